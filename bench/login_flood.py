#!/usr/bin/env python3
"""Login flood: starts a dangjian server on a scratch SQLite database, fires N password
logins at once (half for usernames that do not exist, like an anonymous attacker, half
for the administrator with its password) and reports the answers and the server's
memory (peak and after the burst, from /proc).

    python3 bench/login_flood.py --binary target/release/dangjian --logins 200

Exits non-zero when an answer is not 200, 400 (refused credentials) or 503 with
Retry-After, when the peak RSS passes --max-rss-mb, or when RSS has not fallen back to
within --settle-margin-mb of its idle size --settle seconds after the last burst.
The token quota per address is turned off: the flood measures the password work's bound.
Only talks to 127.0.0.1. Standard library only.
"""
import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) // 1024
    return fields


ADMIN_PASSWORD = "flood test admin passphrase"


def login(base, i):
    if i % 2:
        who, password = f"nobody{i}", "not-the-password"
    else:
        who, password = "admin", ADMIN_PASSWORD
    body = json.dumps({"grant_type": "password", "username": who, "password": password}).encode()
    req = urllib.request.Request(f"{base}/api/v1/auth/token", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return str(r.status)
    except urllib.error.HTTPError as e:
        if e.code == 503:
            return "503+Retry-After" if e.headers.get("Retry-After") else "503 without Retry-After"
        return str(e.code)
    except Exception as e:  # noqa: BLE001 - a refused connection is a result too
        return type(e).__name__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/dangjian")
    ap.add_argument("--logins", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-rss-mb", type=int, default=300)
    ap.add_argument("--settle", type=int, default=60, help="seconds to wait for RSS to fall back")
    ap.add_argument("--settle-margin-mb", type=int, default=15)
    args = ap.parse_args()
    failures = []
    peak = None
    data = tempfile.mkdtemp(prefix="dj-flood-")
    port = free_port()
    env = dict(os.environ, DANGJIAN_DATA_DIR=data, DANGJIAN_BIND=f"127.0.0.1:{port}", DANGJIAN_LOG="warn",
               DANGJIAN_ADMIN_PASSWORD=ADMIN_PASSWORD, DANGJIAN_RATE_LIMIT_TOKEN="0")
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.2)
        idle = memory(server.pid)
        print(f"idle: RSS {idle['VmRSS']} MiB")
        for round_no in range(1, args.rounds + 1):
            started = time.time()
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.logins) as pool:
                answers = list(pool.map(lambda i: login(base, i), range(args.logins)))
            counts = {}
            for a in answers:
                counts[a] = counts.get(a, 0) + 1
                if a not in ("200", "400", "401", "503+Retry-After"):
                    failures.append(f"round {round_no}: answer {a}")
            after = memory(server.pid)
            print(f"round {round_no}: {args.logins} logins in {time.time() - started:.1f} s, answers {counts}, "
                  f"peak RSS so far {after['VmHWM']} MiB, RSS after {after['VmRSS']} MiB")
        peak = memory(server.pid)["VmHWM"]
        if peak > args.max_rss_mb:
            failures.append(f"peak RSS {peak} MiB > {args.max_rss_mb} MiB")
        settled = None
        for waited in range(1, args.settle + 1):
            time.sleep(1)
            rss = memory(server.pid)["VmRSS"]
            if rss <= idle["VmRSS"] + args.settle_margin_mb:
                settled = waited
                break
        rss = memory(server.pid)["VmRSS"]
        if settled is None:
            failures.append(f"RSS {rss} MiB {args.settle} s after the burst (idle was {idle['VmRSS']} MiB)")
            print(f"{args.settle} s later: RSS {rss} MiB")
        else:
            print(f"RSS back to {rss} MiB (idle {idle['VmRSS']} MiB) {settled} s after the burst")
        if server.poll() is not None:
            failures.append("the server died")
    finally:
        server.terminate()
        server.wait(timeout=10)
    for f in failures:
        print(f"FAIL: {f}")
    print("login flood: " + ("FAILED" if failures else f"ok (peak RSS {peak} MiB, limit {args.max_rss_mb})"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
