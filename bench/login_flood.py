#!/usr/bin/env python3
"""Login flood: starts a dangjian server on a scratch SQLite database, fires N password
logins at once (unknown users, like an anonymous attacker) and reports the answers and
the server's memory (peak and after the burst, from /proc).

    python3 bench/login_flood.py --binary target/release/dangjian --logins 200

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


def login(base, i):
    body = json.dumps({"grant_type": "password", "username": f"nobody{i}", "password": "not-the-password"}).encode()
    req = urllib.request.Request(f"{base}/api/v1/auth/token", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:  # noqa: BLE001 - a refused connection is a result too
        return type(e).__name__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/dangjian")
    ap.add_argument("--logins", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="dj-flood-")
    port = free_port()
    env = dict(os.environ, DANGJIAN_DATA_DIR=data, DANGJIAN_BIND=f"127.0.0.1:{port}", DANGJIAN_LOG="warn",
               DANGJIAN_ADMIN_PASSWORD="flood test admin passphrase")
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
            after = memory(server.pid)
            print(f"round {round_no}: {args.logins} logins in {time.time() - started:.1f} s, answers {counts}, "
                  f"peak RSS so far {after['VmHWM']} MiB, RSS after {after['VmRSS']} MiB")
        time.sleep(2)
        print(f"2 s later: RSS {memory(server.pid)['VmRSS']} MiB; server alive: {server.poll() is None}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
