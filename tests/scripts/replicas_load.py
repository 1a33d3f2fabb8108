#!/usr/bin/env python3
"""Helper of tests/scripts/replicas.sh (Python 3 standard library only).

Subcommands (each prints its result on stdout, problems on stderr, and exits non-zero
when a check fails):

  ports N                          N free TCP ports on 127.0.0.1
  status URL                       the HTTP status of GET URL (000 when unreachable)
  haproxy-wait SOCKET SRV... [--timeout S]
                                   wait until the named servers are UP and checked (L7OK)
  haproxy-state SOCKET             "server status check" per server of every backend
  token URL USER PASSWORD          an access token (password grant)
  metrics URL TOKEN                requests served by one replica, from its /metrics
  phase1 ...                       a fixed number of writes and reads
  load ...                         writes until a stop file appears
  verify ...                       every acknowledged write reads back; the audit chain verifies
  haproxy-log FILE [--since-line N]
                                   requests per server and retries, from HAProxy's log
"""

import argparse
import json
import os
import random
import re
import socket
import sys
import threading
import time
from drill_common import Client, cmd_ports, cmd_status, cmd_token, die

# Routes not counted as the load's requests: probes and the metrics themselves.
PROBE_ROUTES = {"/readyz", "/healthz", "/metrics"}
ORG_PREFIX = "replica-test"


# --------------------------------------------------------------------------- small tools


def haproxy_stat(sock_path):
    """Rows of `show stat` as dicts."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path)
    s.sendall(b"show stat\n")
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            break
        chunks.append(b)
    s.close()
    lines = b"".join(chunks).decode().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise RuntimeError("unexpected answer to 'show stat': %r" % lines[:3])
    header = lines[0][2:].split(",")
    return [dict(zip(header, line.split(","))) for line in lines[1:] if line.strip()]


def servers(rows):
    return [r for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")]


def cmd_haproxy_state(args):
    for r in servers(haproxy_stat(args.socket)):
        print("%s/%s %s %s" % (r["pxname"], r["svname"], r["status"], r["check_status"]))


def cmd_haproxy_wait(args):
    deadline = time.monotonic() + args.timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            rows = {r["svname"]: r for r in servers(haproxy_stat(args.socket))}
            last = ", ".join("%s=%s/%s" % (n, r["status"], r["check_status"]) for n, r in rows.items())
            if all(n in rows and rows[n]["status"] == "UP" and rows[n]["check_status"] == "L7OK" for n in args.servers):
                print(last)
                return
        except Exception as e:  # socket not there yet
            last = str(e)
        time.sleep(0.2)
    die("HAProxy did not report %s UP within %ss (last: %s)" % (", ".join(args.servers), args.timeout, last))


# Labels may hold braces themselves (route="/api/v1/organizations/{id}").
METRIC_LINE = re.compile(r'^dangjian_http_requests_total\{(.*)\}\s+(\S+)\s*$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def cmd_metrics(args):
    """Prints {"served": n, "by_route": {...}}: dangjian_http_requests_total summed over
    every route but the probes and /metrics."""
    c = Client(args.url, timeout=10)
    status, body, _ = c.request("GET", "/metrics", bearer=args.token, headers={"Accept": "text/plain"})
    if status != 200:
        die("GET %s/metrics answered %d" % (args.url, status))
    served = 0
    by_route = {}
    for line in body.decode().splitlines():
        m = METRIC_LINE.match(line)
        if not m:
            continue
        labels = dict(LABEL.findall(m.group(1)))
        if labels.get("route") in PROBE_ROUTES:
            continue
        n = int(float(m.group(2)))
        served += n
        key = "%s %s %s" % (labels.get("method"), labels.get("route"), labels.get("status"))
        by_route[key] = by_route.get(key, 0) + n
    print(json.dumps({"served": served, "by_route": by_route}))


# --------------------------------------------------------------------------- load


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.writes = 0
        self.reads = 0
        self.failures = []  # (unix time, thread, what, detail)
        self.ids = []

    def fail(self, thread, what, detail):
        with self.lock:
            self.failures.append((time.time(), thread, what, detail))


def do_create(client, res, thread, seq, phase):
    name = "%s-%s-%d-%d" % (ORG_PREFIX, phase, thread, seq)
    what = "POST /api/v1/organizations (%s)" % name
    try:
        status, body, _ = client.request("POST", "/api/v1/organizations", {"name": name, "kind": "committee"})
    except Exception as e:
        res.fail(thread, what, "transport error: %s: %s" % (type(e).__name__, e))
        return None
    if status != 201:
        res.fail(thread, what, "status %d: %s" % (status, body[:300].decode(errors="replace")))
        return None
    try:
        oid = json.loads(body)["id"]
    except Exception as e:
        res.fail(thread, what, "201 without an id: %s (%s)" % (body[:300], e))
        return None
    with res.lock:
        res.ok += 1
        res.writes += 1
        res.ids.append(oid)
    return oid


def do_read(client, res, thread, oid):
    what = "GET /api/v1/organizations/%s" % oid
    try:
        status, body, _ = client.request("GET", "/api/v1/organizations/%s" % oid)
    except Exception as e:
        res.fail(thread, what, "transport error: %s: %s" % (type(e).__name__, e))
        return False
    if status != 200:
        res.fail(thread, what, "status %d: %s" % (status, body[:300].decode(errors="replace")))
        return False
    try:
        got = json.loads(body)["id"]
    except Exception as e:
        res.fail(thread, what, "200 without an id: %s (%s)" % (body[:300], e))
        return False
    if got != oid:
        res.fail(thread, what, "answered another organisation: %s" % got)
        return False
    with res.lock:
        res.ok += 1
        res.reads += 1
    return True


def write_ids(path, ids):
    with open(path, "w") as f:
        for i in ids:
            f.write(i + "\n")


def report_failures(res, limit=50):
    for t, thread, what, detail in sorted(res.failures)[:limit]:
        stamp = time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)
        detail = " ".join(re.sub(r"<[^>]*>", " ", detail).split())
        print("  %s thread %d %s -> %s" % (stamp, thread, what, detail), file=sys.stderr)
    if len(res.failures) > limit:
        print("  ... and %d more" % (len(res.failures) - limit), file=sys.stderr)


def cmd_phase1(args):
    """Exactly `requests` requests: each thread creates or (half the time, at random) reads
    one of the organisations it created (the read may well reach the other replica)."""
    res = Results()
    counter = iter(range(args.requests))
    counter_lock = threading.Lock()

    def take():
        with counter_lock:
            return next(counter, None)

    def worker(thread):
        client = Client(args.url, args.token)
        rng = random.Random(thread)
        mine = []
        seq = 0
        while True:
            n = take()
            if n is None:
                break
            if not mine or rng.random() < 0.5:
                seq += 1
                oid = do_create(client, res, thread, seq, "p1")
                if oid is not None:
                    mine.append(oid)
            else:
                do_read(client, res, thread, rng.choice(mine))
        client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    write_ids(args.ids, res.ids)
    summary = {
        "sent": args.requests,
        "ok": res.ok,
        "writes": res.writes,
        "reads": res.reads,
        "failed": len(res.failures),
        "seconds": round(elapsed, 2),
    }
    print(json.dumps(summary))
    if res.failures:
        print("phase 1: %d of %d requests failed:" % (len(res.failures), args.requests), file=sys.stderr)
        report_failures(res)
        sys.exit(1)


def cmd_load(args):
    """Writes from `threads` threads until the stop file appears; every answer must be 201."""
    res = Results()
    sent = [0] * args.threads
    per_second = {}

    def worker(thread):
        client = Client(args.url, args.token)
        seq = 0
        while not os.path.exists(args.stop_file):
            seq += 1
            sent[thread] += 1
            if do_create(client, res, thread, seq, "p2") is not None:
                sec = int(time.time())
                with res.lock:
                    per_second[sec] = per_second.get(sec, 0) + 1
        client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    write_ids(args.ids, res.ids)
    summary = {
        "sent": sum(sent),
        "ok": res.ok,
        "failed": len(res.failures),
        "seconds": round(elapsed, 2),
        "acknowledged_per_second": [per_second[k] for k in sorted(per_second)],
    }
    print(json.dumps(summary))
    if res.failures:
        print("phase 2: %d of %d requests failed:" % (len(res.failures), sum(sent)), file=sys.stderr)
        report_failures(res)
        sys.exit(1)


AUDIT_QUERY = (
    "{ verifyAuditChain { ok recordsChecked headSequence headHash pending "
    "firstBroken { sequence reason detail } } }"
)


def cmd_verify(args):
    """Every id in the files reads back (200, same id) and the audit chain verifies."""
    ids = []
    for path in args.ids:
        with open(path) as f:
            ids.extend(line.strip() for line in f if line.strip())
    res = Results()
    queue = list(ids)
    qlock = threading.Lock()

    def worker(thread):
        client = Client(args.url, args.token)
        while True:
            with qlock:
                if not queue:
                    break
                oid = queue.pop()
            do_read(client, res, thread, oid)
        client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(set(ids)) != len(ids):
        res.fail(-1, "acknowledged ids", "%d ids acknowledged twice" % (len(ids) - len(set(ids))))

    c = Client(args.url, args.token)
    chain = None
    try:
        status, body, _ = c.request("POST", "/graphql", {"query": AUDIT_QUERY})
        doc = json.loads(body)
        if status != 200 or doc.get("errors"):
            res.fail(-1, "verifyAuditChain", "status %d: %s" % (status, body[:500].decode(errors="replace")))
        else:
            chain = doc["data"]["verifyAuditChain"]
            if not chain["ok"] or chain["firstBroken"] is not None:
                res.fail(-1, "verifyAuditChain", "the chain does not verify: %s" % json.dumps(chain))
            elif chain["recordsChecked"] + chain["pending"] < len(ids):
                res.fail(
                    -1,
                    "verifyAuditChain",
                    "%d records for %d acknowledged writes" % (chain["recordsChecked"] + chain["pending"], len(ids)),
                )
    except Exception as e:
        res.fail(-1, "verifyAuditChain", "%s: %s" % (type(e).__name__, e))
    print(json.dumps({"ids": len(ids), "read_back": res.reads, "failed": len(res.failures), "audit_chain": chain}))
    if res.failures:
        print("verification: %d problems:" % len(res.failures), file=sys.stderr)
        report_failures(res)
        sys.exit(1)


LOG_LINE = re.compile(r" (\S+)/(\S+) (\d{3}|-1) (\S{4}) retries=(\+?)(\d+) ")


def cmd_haproxy_log(args):
    """Counts the request lines of our log-format (`... backend/server status term
    retries=N ...`) after line `since_line`: per server, retried, redispatched, and
    those not answered 2xx."""
    per_server = {}
    retried = redispatched = bad = 0
    bad_lines = []
    with open(args.file, errors="replace") as f:
        for i, line in enumerate(f, 1):
            if i <= args.since_line:
                continue
            m = LOG_LINE.search(line)
            if not m:
                continue
            _backend, server, status, _term, plus, retries = m.groups()
            per_server[server] = per_server.get(server, 0) + 1
            if int(retries) > 0 or plus:
                retried += 1
            if plus:
                redispatched += 1
            if not status.startswith("2"):
                bad += 1
                bad_lines.append(line.rstrip())
    print(json.dumps({"per_server": per_server, "retried": retried, "redispatched": redispatched, "not_2xx": bad}))
    for line in bad_lines[:20]:
        print("  " + line, file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("ports")
    s.add_argument("n", type=int)
    s.set_defaults(fn=cmd_ports)

    s = sub.add_parser("status")
    s.add_argument("url")
    s.set_defaults(fn=cmd_status)

    s = sub.add_parser("haproxy-wait")
    s.add_argument("socket")
    s.add_argument("servers", nargs="+")
    s.add_argument("--timeout", type=float, default=30)
    s.set_defaults(fn=cmd_haproxy_wait)

    s = sub.add_parser("haproxy-state")
    s.add_argument("socket")
    s.set_defaults(fn=cmd_haproxy_state)

    s = sub.add_parser("token")
    s.add_argument("url")
    s.add_argument("user")
    s.add_argument("password")
    s.set_defaults(fn=cmd_token)

    s = sub.add_parser("metrics")
    s.add_argument("url")
    s.add_argument("token")
    s.set_defaults(fn=cmd_metrics)

    s = sub.add_parser("phase1")
    s.add_argument("--url", required=True)
    s.add_argument("--token", required=True)
    s.add_argument("--requests", type=int, default=400)
    s.add_argument("--threads", type=int, default=8)
    s.add_argument("--ids", required=True, help="file for the ids of acknowledged writes")
    s.set_defaults(fn=cmd_phase1)

    s = sub.add_parser("load")
    s.add_argument("--url", required=True)
    s.add_argument("--token", required=True)
    s.add_argument("--threads", type=int, default=8)
    s.add_argument("--stop-file", required=True)
    s.add_argument("--ids", required=True)
    s.set_defaults(fn=cmd_load)

    s = sub.add_parser("verify")
    s.add_argument("--url", required=True)
    s.add_argument("--token", required=True)
    s.add_argument("--threads", type=int, default=8)
    s.add_argument("ids", nargs="+", help="files of acknowledged ids")
    s.set_defaults(fn=cmd_verify)

    s = sub.add_parser("haproxy-log")
    s.add_argument("file")
    s.add_argument("--since-line", type=int, default=0)
    s.set_defaults(fn=cmd_haproxy_log)

    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
