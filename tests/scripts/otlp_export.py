#!/usr/bin/env python3
"""Trace export drill (the `otlp` build feature): starts a stand-in OTLP/HTTP collector
and a dangjian server built with `--features otlp` that exports to it, makes a few
requests, stops the server (which sends what is buffered) and checks what the collector
received: OTLP/HTTP protobuf posts to /v1/traces carrying the service name, the request
spans (with their routes), a service call's span and SQL statements.

    cargo build -p dangjian --features otlp
    python3 tests/scripts/otlp_export.py --binary target/debug/dangjian

Protobuf keeps strings as UTF-8 bytes, so the checks look for them in the posted bodies
without decoding the messages. Only talks to 127.0.0.1. Standard library only.
"""
import argparse
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ADMIN_PASSWORD = "otlp drill admin passphrase"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 - the standard library's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        Collector.received.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/debug/dangjian")
    args = ap.parse_args()
    collector = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    data = tempfile.mkdtemp(prefix="dj-otlp-")
    port = free_port()
    env = dict(os.environ, DANGJIAN_DATA_DIR=data, DANGJIAN_BIND=f"127.0.0.1:{port}", DANGJIAN_LOG="warn",
               DANGJIAN_ADMIN_PASSWORD=ADMIN_PASSWORD, DANGJIAN_SHUTDOWN_DRAIN_SECS="0",
               OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_port}")
    log = open(os.path.join(data, "server.log"), "wb")
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    failures = []
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=1)
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        status, token = call(base, "POST", "/api/v1/auth/token",
                             body={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
        if status != 200:
            failures.append(f"token: {status}")
        token = (token or {}).get("access_token")
        status, _ = call(base, "GET", "/api/v1/organizations", token)
        if status != 200:
            failures.append(f"GET /api/v1/organizations: {status}")
        status, _ = call(base, "POST", "/graphql", token, {"query": "{ me { kind } }"})
        if status != 200:
            failures.append(f"POST /graphql: {status}")
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        collector.shutdown()
    posts = Collector.received
    bodies = b"".join(body for _, _, body in posts)
    print(f"collector received {len(posts)} posts, {len(bodies)} bytes: "
          f"{sorted({(path, ctype) for path, ctype, _ in posts})}")
    if not posts:
        failures.append("no export reached the collector")
    for path, ctype, _ in posts:
        if path != "/v1/traces" or ctype != "application/x-protobuf":
            failures.append(f"unexpected post {path} {ctype}")
    for needle, what in [
        (b"dangjian", "the service name"),
        (b"HTTP request", "the request spans"),
        (b"/api/v1/organizations", "a request span's route"),
        (b"/graphql", "the GraphQL request's route"),
        (b"list", "the organisations service call's span"),
        (b"SELECT", "a SQL statement"),
    ]:
        if needle not in bodies:
            failures.append(f"the export lacks {what} ({needle.decode()})")
    if ADMIN_PASSWORD.encode() in bodies:
        failures.append("the export carries the password")
    for f in failures:
        print(f"FAIL: {f}")
    if failures:
        print(open(os.path.join(data, "server.log"), encoding="utf-8", errors="replace").read()[-3000:])
    print("trace export: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
