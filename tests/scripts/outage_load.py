#!/usr/bin/env python3
"""Helper of tests/scripts/outage.sh (Python 3 standard library only).

Subcommands:

  ports N                   N free TCP ports on 127.0.0.1
  status URL                the HTTP status of GET URL (000 when unreachable)
  token URL USER PASSWORD   an access token (password grant)
  drill ...                 the outage drill itself: writes (and reads, and /readyz
                            probes) while the database is up, while it is stopped
                            (--stop-cmd) and after it is started again (--start-cmd);
                            then every acknowledged write must read back and the audit
                            chain must verify. Prints a summary table and FAIL lines;
                            exits 1 when a check fails.

The drill's time line (monotonic clock, seconds):

  phase A     the database is up                      every write 201, every read 200
  stopping    requests in flight while `pg_ctl stop`  201/200 or 503, each within 2 s
              runs
  down        started after `pg_ctl stop` returned    503 + Retry-After + code
                                                      UNAVAILABLE, each within 2 s;
                                                      /readyz 503 within 1 s with
                                                      checks.database != "ok"
  restarting  started while `pg_ctl start` runs       2xx or 503, each within 2 s
  recovery    first 2 s after `pg_ctl start` returned 2xx or 503, each within 2 s; the
                                                      first 201 within 2 s
  recovered   the rest                                every write 201, read 200, /readyz
                                                      200, each within 2 s

Every 503 must carry Retry-After and problem+json code UNAVAILABLE; no answer may show
internals (SQL, the pool, sqlx, "connection refused", ...).
"""

import argparse
import json
import random
import re
import subprocess
import sys
import threading
import time
from drill_common import Client, cmd_ports, cmd_status, cmd_token

ORG_PREFIX = "outage-test"
CLIENT_TIMEOUT = 15.0  # a request without an answer after this long is a hang
WRITE_LIMIT = 2.0  # seconds: every request around the outage answered within this
READY_LIMIT = 1.0  # seconds: /readyz answered within this
RECOVERY_LIMIT = 2.0  # seconds from `pg_ctl start` returning to the first 201
PAUSE_AFTER_503 = 0.05  # a writer's pause after a refused request (no hot spin)

# What an answer must never show: database internals.
INTERNALS = [
    re.compile(p, re.I)
    for p in (
        r"sqlx",
        r"pool",
        r"connection refused",
        r"sqlstate",
        r"postgres",
        r"\bpg_\w+",
        r"\bselect\b[^\"]{0,200}\bfrom\b",
        r"\binsert\s+into\b",
        r"\bdelete\s+from\b",
        r"\bupdate\s+\"?\w+\"?\s+set\b",
        r"error returned from database",
        r"error communicating with database",
        r"terminating connection",
        r"os error \d+",
        r"\bio error\b",
        r"\bDbErr\b",
        r"RuntimeErr",
    )
]

PHASES = ["A", "stopping", "down", "restarting", "recovery", "recovered"]


# --------------------------------------------------------------------------- the drill


class Event:
    """One request: what, when (monotonic start/end), and the answer."""

    __slots__ = ("kind", "thread", "what", "t0", "t1", "status", "body", "retry_after", "ctype", "error", "oid")

    def __init__(self, kind, thread, what):
        self.kind = kind  # "write", "read", "readyz"
        self.thread = thread
        self.what = what
        self.t0 = self.t1 = 0.0
        self.status = 0  # 0: no answer (transport error)
        self.body = b""
        self.retry_after = None
        self.ctype = ""
        self.error = None
        self.oid = None

    @property
    def latency(self):
        return self.t1 - self.t0

    def code(self):
        try:
            doc = json.loads(self.body)
            return doc.get("code") if isinstance(doc, dict) else None
        except Exception:
            return None

    def text(self, n=300):
        s = self.body[:n].decode(errors="replace")
        return " ".join(s.split())


class Timeline:
    """The moments the drill marks, and the classification of a request by them."""

    def __init__(self):
        self.start = time.monotonic()
        self.stop_begin = None  # `pg_ctl stop` called
        self.down = None  # `pg_ctl stop` returned: the database is down
        self.start_begin = None  # `pg_ctl start` called
        self.up = None  # `pg_ctl start` returned

    def phase(self, ev):
        inf = float("inf")
        stop_begin = self.stop_begin if self.stop_begin is not None else inf
        down = self.down if self.down is not None else inf
        start_begin = self.start_begin if self.start_begin is not None else inf
        up = self.up if self.up is not None else inf
        if ev.t1 < stop_begin:
            return "A"
        if ev.t0 < down:
            return "stopping"
        if ev.t0 < start_begin:
            return "down"
        if ev.t0 < up:
            return "restarting"
        if ev.t0 < up + RECOVERY_LIMIT:
            return "recovery"
        return "recovered"

    def rel(self, t):
        return t - self.start


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = []

    def add(self, ev):
        with self.lock:
            self.events.append(ev)

    def acked(self):
        with self.lock:
            return [e.oid for e in self.events if e.kind == "write" and e.status == 201 and e.oid]


def timed(client, ev, method, path, body=None):
    ev.t0 = time.monotonic()
    try:
        status, payload, headers = client.request(method, path, body)
        ev.t1 = time.monotonic()
        ev.status = status
        ev.body = payload
        ev.retry_after = headers.get("Retry-After")
        ev.ctype = headers.get("Content-Type", "")
    except Exception as e:  # noqa: BLE001 - every transport failure is recorded
        ev.t1 = time.monotonic()
        ev.error = "%s: %s" % (type(e).__name__, e)
    return ev


def writer(url, token, thread, rec, stop, known, known_lock):
    client = Client(url, token, timeout=CLIENT_TIMEOUT)
    seq = 0
    while not stop.is_set():
        seq += 1
        name = "%s-%d-%d" % (ORG_PREFIX, thread, seq)
        ev = timed(client, Event("write", thread, "POST /api/v1/organizations"), "POST", "/api/v1/organizations",
                   {"name": name, "kind": "committee"})
        if ev.status == 201:
            try:
                ev.oid = json.loads(ev.body)["id"]
                with known_lock:
                    known.append(ev.oid)
            except Exception as e:  # noqa: BLE001
                ev.error = "201 without an id: %s (%s)" % (ev.text(), e)
        rec.add(ev)
        if ev.status != 201:
            stop.wait(PAUSE_AFTER_503)
    client.close()


def reader(url, token, thread, rec, stop, known, known_lock):
    client = Client(url, token, timeout=CLIENT_TIMEOUT)
    rng = random.Random(thread)
    while not stop.is_set():
        with known_lock:
            oid = rng.choice(known) if known else None
        if oid is None:
            stop.wait(0.05)
            continue
        ev = timed(client, Event("read", thread, "GET /api/v1/organizations/{id}"), "GET",
                   "/api/v1/organizations/%s" % oid)
        if ev.status == 200:
            try:
                if json.loads(ev.body)["id"] != oid:
                    ev.error = "answered another organisation"
            except Exception as e:  # noqa: BLE001
                ev.error = "200 without an id: %s (%s)" % (ev.text(), e)
        rec.add(ev)
        stop.wait(0.02 if ev.status == 200 else PAUSE_AFTER_503)
    client.close()


def prober(url, rec, stop, interval):
    while not stop.is_set():
        client = Client(url, timeout=CLIENT_TIMEOUT)  # a fresh connection, as a probe makes
        ev = timed(client, Event("readyz", -1, "GET /readyz"), "GET", "/readyz")
        client.close()
        rec.add(ev)
        stop.wait(interval)


def run_cmd(what, cmd):
    """Runs a bash command line; (seconds it took, ok)."""
    t = time.monotonic()
    p = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    took = time.monotonic() - t
    if p.returncode != 0:
        print("FAIL: %s exited with status %d:\n%s" % (what, p.returncode, p.stdout.strip()), file=sys.stderr)
    return took, p.returncode == 0


def fmt_statuses(evs):
    counts = {}
    for e in evs:
        key = str(e.status) if e.status else "no-answer"
        counts[key] = counts.get(key, 0) + 1
    return " ".join("%s×%d" % (k, counts[k]) for k in sorted(counts))


class Checks:
    def __init__(self):
        self.fails = []
        self.notes = []

    def fail(self, msg):
        self.fails.append(msg)

    def note(self, msg):
        self.notes.append(msg)


def describe(tl, ev):
    s = "t=%+.3fs %s %s (thread %d) -> " % (tl.rel(ev.t0), ev.kind, ev.what, ev.thread)
    if ev.status:
        s += "%d in %.3fs" % (ev.status, ev.latency)
    else:
        s += "no answer after %.3fs" % ev.latency
    if ev.error:
        s += " [%s]" % ev.error
    if ev.status and ev.status not in (200, 201):
        s += " Retry-After=%s body=%s" % (ev.retry_after, ev.text(200))
    return s


def check_events(tl, events, chk):
    """Per-request checks; collects failures (at most a few lines per kind of failure)."""
    shown = {}

    def bad(key, ev, why):
        n = shown.get(key, 0)
        shown[key] = n + 1
        if n < 5:
            chk.fail("%s: %s" % (why, describe(tl, ev)))
        elif n == 5:
            chk.fail("%s: ... more of these (see the counts above)" % why)

    for ev in events:
        ph = tl.phase(ev)
        ok_status = 201 if ev.kind == "write" else 200
        limit = READY_LIMIT if ev.kind == "readyz" else WRITE_LIMIT
        if ev.error and ev.status in (0, ok_status):
            bad("transport-" + ev.kind, ev, "%s request failed" % ev.kind)
            continue
        # internals: in any answer that is not a success, and in every /readyz answer
        if ev.status != ok_status or ev.kind == "readyz":
            for pat in INTERNALS:
                m = pat.search(ev.body.decode(errors="replace"))
                if m:
                    bad("internals", ev, "the answer shows internals (%r)" % m.group(0))
                    break
        if ev.status not in (ok_status, 503):
            bad("status-" + ev.kind, ev, "%s answered neither %d nor 503" % (ev.kind, ok_status))
            continue
        if ev.status == 503:
            if not ev.retry_after:
                bad("retry-after-" + ev.kind, ev, "503 without Retry-After")
            if ev.kind != "readyz":
                if ev.code() != "UNAVAILABLE":
                    bad("code", ev, "503 whose problem code is %r, not UNAVAILABLE" % ev.code())
                if "application/problem+json" not in ev.ctype:
                    bad("ctype", ev, "503 with Content-Type %r, not application/problem+json" % ev.ctype)
        if ev.kind == "readyz":
            try:
                db = json.loads(ev.body)["checks"]["database"]
            except Exception:  # noqa: BLE001
                db = None
                bad("readyz-body", ev, "/readyz answer without checks.database")
            if ev.status == 200 and db != "ok":
                bad("readyz-200", ev, "/readyz 200 but checks.database=%r" % db)
            if ev.status == 503 and db == "ok":
                bad("readyz-503", ev, "/readyz 503 but checks.database='ok'")
        # (phase A only checks /readyz's latency: it proves nothing about the outage)
        if ev.latency > limit and (ph != "A" or ev.kind == "readyz"):
            bad("slow-" + ev.kind, ev, "%s answered after more than %.0f s" % (ev.kind, limit))
        # status by phase
        if ph == "A" and ev.status != ok_status:
            bad("A-" + ev.kind, ev, "phase A (database up): %s not %d" % (ev.kind, ok_status))
        elif ph == "down" and ev.status != 503 and ev.t1 < tl.start_begin:
            bad("down-" + ev.kind, ev, "database down: %s answered %d, not 503" % (ev.kind, ev.status))
        elif ph == "recovered" and ev.status != ok_status:
            bad("recovered-" + ev.kind, ev,
                "more than %.0f s after the restart: %s not %d" % (RECOVERY_LIMIT, ev.kind, ok_status))


def table(tl, events):
    rows = [("phase", "kind", "requests", "statuses", "max latency", "from..to (s)")]
    for ph in PHASES:
        for kind in ("write", "read", "readyz"):
            evs = [e for e in events if e.kind == kind and tl.phase(e) == ph]
            if not evs:
                continue
            rows.append((
                ph,
                kind,
                str(len(evs)),
                fmt_statuses(evs),
                "%.3fs" % max(e.latency for e in evs),
                "%.1f..%.1f" % (tl.rel(min(e.t0 for e in evs)), tl.rel(max(e.t1 for e in evs))),
            ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        out.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(out)


AUDIT_QUERY = (
    "{ verifyAuditChain { ok recordsChecked headSequence pending "
    "firstBroken { sequence reason detail } } }"
)


def verify(url, token, ids, threads, chk):
    """Every acknowledged id reads back; the audit chain verifies. Returns a summary dict."""
    if len(set(ids)) != len(ids):
        chk.fail("%d ids were acknowledged twice" % (len(ids) - len(set(ids))))
    queue = list(ids)
    qlock = threading.Lock()
    missing = []
    errors = []

    def work():
        c = Client(url, token, timeout=CLIENT_TIMEOUT)
        while True:
            with qlock:
                if not queue:
                    break
                oid = queue.pop()
            try:
                status, body, _ = c.request("GET", "/api/v1/organizations/%s" % oid)
                if status != 200 or json.loads(body).get("id") != oid:
                    with qlock:
                        missing.append((oid, status, body[:200].decode(errors="replace")))
            except Exception as e:  # noqa: BLE001
                with qlock:
                    errors.append((oid, "%s: %s" % (type(e).__name__, e)))
        c.close()

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for oid, status, body in missing[:10]:
        chk.fail("acknowledged write %s does not read back: %d %s" % (oid, status, " ".join(body.split())))
    for oid, err in errors[:10]:
        chk.fail("reading back %s failed: %s" % (oid, err))
    if len(missing) + len(errors) > 10:
        chk.fail("... %d acknowledged writes in all do not read back" % (len(missing) + len(errors)))

    # The audit chain: ok, and (the chainer links records moments after they commit)
    # nothing left pending after a while.
    c = Client(url, token, timeout=CLIENT_TIMEOUT)
    chain = None
    deadline = time.monotonic() + 20
    while True:
        try:
            status, body, _ = c.request("POST", "/graphql", {"query": AUDIT_QUERY})
            doc = json.loads(body)
            if status != 200 or doc.get("errors"):
                chk.fail("verifyAuditChain answered %d: %s" % (status, body[:500].decode(errors="replace")))
                break
            chain = doc["data"]["verifyAuditChain"]
        except Exception as e:  # noqa: BLE001
            chk.fail("verifyAuditChain: %s: %s" % (type(e).__name__, e))
            break
        if not chain["ok"] or chain.get("firstBroken") is not None:
            chk.fail("the audit chain does not verify: %s" % json.dumps(chain))
            break
        if chain["pending"] == 0 or time.monotonic() > deadline:
            if chain["pending"]:
                chk.fail("the audit chain verifies, but %d records are still pending 20 s after the load "
                         "(the chainer did not catch up after the outage)" % chain["pending"])
            break
        time.sleep(0.5)
    c.close()
    if chain is not None and chain["ok"] and chain["recordsChecked"] + chain["pending"] < len(set(ids)):
        chk.fail("the audit chain holds %d records for %d acknowledged writes"
                 % (chain["recordsChecked"] + chain["pending"], len(set(ids))))
    return {"ids": len(ids), "not_read_back": len(missing) + len(errors), "audit_chain": chain}


def cmd_drill(args):
    tl = Timeline()
    rec = Recorder()
    chk = Checks()
    stop = threading.Event()
    known, known_lock = [], threading.Lock()

    def log(msg):
        print("[outage +%5.2fs] %s" % (tl.rel(time.monotonic()), msg), flush=True)

    workers = [threading.Thread(target=writer, args=(args.url, args.token, i, rec, stop, known, known_lock))
               for i in range(args.writers)]
    workers += [threading.Thread(target=reader, args=(args.url, args.token, 100 + i, rec, stop, known, known_lock))
                for i in range(args.readers)]
    workers.append(threading.Thread(target=prober, args=(args.url, rec, stop, args.probe_interval)))
    log("phase A: %d writers, %d readers, /readyz every %.2fs; database up for %.1fs"
        % (args.writers, args.readers, args.probe_interval, args.up_seconds))
    for t in workers:
        t.start()
    time.sleep(args.up_seconds)

    tl.stop_begin = time.monotonic()
    took, ok = run_cmd("pg_ctl stop", args.stop_cmd)
    tl.down = time.monotonic()
    if not ok:
        chk.fail("could not stop PostgreSQL")
    log("PostgreSQL stopped (pg_ctl stop -m fast took %.2fs); outage for %.1fs" % (took, args.down_seconds))
    time.sleep(args.down_seconds)

    tl.start_begin = time.monotonic()
    took, ok = run_cmd("pg_ctl start", args.start_cmd)
    tl.up = time.monotonic()
    if not ok:
        chk.fail("could not start PostgreSQL again")
    log("PostgreSQL started again (pg_ctl start -w took %.2fs); load continues for %.1fs"
        % (took, args.after_seconds))
    time.sleep(args.after_seconds)
    stop.set()
    for t in workers:
        t.join(CLIENT_TIMEOUT + 5)
    if any(t.is_alive() for t in workers):
        chk.fail("a load thread did not finish: a request hangs")
    with rec.lock:
        events = sorted(rec.events, key=lambda e: e.t0)
    log("load stopped: %d requests" % len(events))

    check_events(tl, events, chk)

    writes = [e for e in events if e.kind == "write"]
    down_writes = [e for e in writes if tl.phase(e) == "down"]
    down_ready = [e for e in events if e.kind == "readyz" and tl.phase(e) == "down" and e.t1 < tl.start_begin]
    outage_503 = [e for e in events if e.kind != "readyz" and e.status == 503]
    if len(down_writes) < args.writers:
        chk.fail("only %d writes were sent while the database was down" % len(down_writes))
    if len(down_ready) < 3:
        chk.fail("only %d /readyz probes were answered while the database was down (3 or more expected)"
                 % len(down_ready))
    if not [e for e in writes if tl.phase(e) == "A" and e.status == 201]:
        chk.fail("no write succeeded in phase A")

    # Recovery: from `pg_ctl start` returning to the first 201 answered after the restart began.
    firsts = [e.t1 for e in writes if e.status == 201 and e.t1 >= tl.start_begin]
    recovery = max(0.0, min(firsts) - tl.up) if firsts else None
    if recovery is None:
        chk.fail("no write succeeded after PostgreSQL was started again")
    elif recovery > RECOVERY_LIMIT:
        chk.fail("the first write succeeded %.3fs after PostgreSQL was back (limit %.0f s)" % (recovery, RECOVERY_LIMIT))
    ready_back = [e.t1 for e in events if e.kind == "readyz" and e.status == 200 and e.t1 >= tl.start_begin]
    ready_recovery = max(0.0, min(ready_back) - tl.up) if ready_back else None
    if ready_recovery is None:
        chk.fail("/readyz never answered 200 after PostgreSQL was started again")

    print()
    print("== requests by phase (time from the drill's start; phase A %.1fs, stop at %.2f, down at %.2f, "
          "start at %.2f, up at %.2f)" % (args.up_seconds, tl.rel(tl.stop_begin), tl.rel(tl.down),
                                          tl.rel(tl.start_begin), tl.rel(tl.up)))
    print(table(tl, events))
    print()

    acked = rec.acked()
    log("verifying: %d acknowledged writes read back; the audit chain verifies" % len(acked))
    v = verify(args.url, args.token, acked, args.writers + 1, chk)
    chain = v["audit_chain"]
    ready_down_lat = [e.latency for e in down_ready]
    result = {
        "requests": len(events),
        "acknowledged_writes": len(acked),
        "acknowledged_by_phase": {ph: sum(1 for e in writes if e.status == 201 and tl.phase(e) == ph) for ph in PHASES},
        "writes_while_down": len(down_writes),
        "max_503_latency_s": round(max((e.latency for e in outage_503), default=0.0), 3),
        "max_write_latency_down_s": round(max((e.latency for e in down_writes), default=0.0), 3),
        "writes_503_while_down": sum(1 for e in down_writes if e.status == 503),
        "readyz_probes_down": len(down_ready),
        "max_readyz_latency_down_s": round(max(ready_down_lat, default=0.0), 3),
        "readyz_checks_database_down": sorted({(json.loads(e.body).get("checks") or {}).get("database", "?")
                                               for e in down_ready if e.body[:1] == b"{"}),
        "recovery_first_write_s": None if recovery is None else round(recovery, 3),
        "recovery_readyz_200_s": None if ready_recovery is None else round(ready_recovery, 3),
        "not_read_back": v["not_read_back"],
        "sample_503": next((e.text(400) for e in down_writes if e.status == 503), None),
        "sample_503_retry_after": next((e.retry_after for e in down_writes if e.status == 503), None),
        "sample_readyz_down": next((e.text(400) for e in down_ready), None),
        "audit_chain": None if chain is None else {k: chain[k] for k in ("ok", "recordsChecked", "pending")},
    }
    with open(args.result, "w") as f:
        json.dump(result, f)
    with open(args.ids, "w") as f:
        f.writelines(i + "\n" for i in acked)
    print("  max latency of a 503 (writes and reads): %.3fs (limit %.0f s)" % (result["max_503_latency_s"], WRITE_LIMIT))
    print("  /readyz while down: %d probes, max %.3fs (limit %.0f s), checks.database %s"
          % (len(down_ready), result["max_readyz_latency_down_s"], READY_LIMIT,
             "/".join(result["readyz_checks_database_down"]) or "-"))
    print("  recovery: first 201 %s after pg_ctl start returned (limit %.0f s); /readyz 200 after %s"
          % ("never" if recovery is None else "%.3fs" % recovery, RECOVERY_LIMIT,
             "never" if ready_recovery is None else "%.3fs" % ready_recovery))
    print("  %d acknowledged writes, %d do not read back; audit chain %s"
          % (len(acked), v["not_read_back"], json.dumps(result["audit_chain"])))
    print("  a write's 503 while down: Retry-After: %s, %s" % (result["sample_503_retry_after"], result["sample_503"]))
    print("  /readyz while down: %s" % result["sample_readyz_down"])
    for n in chk.notes:
        print("  note: " + n)
    if chk.fails:
        print()
        for f in chk.fails:
            print("FAIL: " + f, file=sys.stderr)
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("ports")
    s.add_argument("n", type=int)
    s.set_defaults(fn=cmd_ports)

    s = sub.add_parser("status")
    s.add_argument("url")
    s.set_defaults(fn=cmd_status)

    s = sub.add_parser("token")
    s.add_argument("url")
    s.add_argument("user")
    s.add_argument("password")
    s.set_defaults(fn=cmd_token)

    s = sub.add_parser("drill")
    s.add_argument("--url", required=True)
    s.add_argument("--token", required=True)
    s.add_argument("--writers", type=int, default=3)
    s.add_argument("--readers", type=int, default=1)
    s.add_argument("--probe-interval", type=float, default=0.1)
    s.add_argument("--up-seconds", type=float, default=2.0)
    s.add_argument("--down-seconds", type=float, default=5.0)
    s.add_argument("--after-seconds", type=float, default=4.5)
    s.add_argument("--stop-cmd", required=True, help="bash command line that stops PostgreSQL (returns when it is down)")
    s.add_argument("--start-cmd", required=True, help="bash command line that starts PostgreSQL (returns when it is up)")
    s.add_argument("--result", required=True, help="file for the drill's figures (JSON)")
    s.add_argument("--ids", required=True, help="file for the acknowledged ids")
    s.set_defaults(fn=cmd_drill)

    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
