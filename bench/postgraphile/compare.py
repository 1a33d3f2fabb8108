#!/usr/bin/env python3
"""dangjian and PostGraphile side by side on the same data (issue 12's comparison).

Serves one dataset loaded by `dangjian bench-load` (PostgreSQL) with dangjian and with
PostGraphile 4 (a Node.js server that compiles each GraphQL request into one SQL
statement), drives the same five operations through both with `oha`, and reports per
operation and server: throughput, p50/p99, errors, the server process's CPU per request,
**PostgreSQL's CPU per request** (every backend of the cluster, so the work PostGraphile
moves into the database is counted), and their sum.

PostGraphile serves a copy of the database (`<db>_pgc`, made from it as a template and
dropped afterwards) with `setup.sql` applied: the subtree and overdue functions it needs
for Q1 and Q4, a computed column for a session's measures, and column defaults for its
insert (Q5). Its answers carry the same rows as dangjian's; dangjian also checks
permissions, applies the caller's scope and writes an audit record on Q5, which
PostGraphile does not.

Prerequisites: `oha` (`cargo install oha --locked`), `psql`/`createdb`/`dropdb`, Node.js
and `npm install` in this folder (PostGraphile 4.14, pinned by package-lock.json).

    createdb -h 127.0.0.1 -U postgres dj_bench
    target/release/dangjian bench-load --database-url 'postgres://postgres@127.0.0.1:5432/dj_bench?sslmode=disable'
    (cd bench/postgraphile && npm ci)
    python3 bench/postgraphile/compare.py --binary target/release/dangjian --database dj_bench

The PostgreSQL server must be on this machine (its backends' CPU is read from /proc).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")


def pg_conn(args):
    """The connection options of psql, createdb and dropdb."""
    return ["-h", args.pg_host, "-p", str(args.pg_port), "-U", args.pg_user]


def psql(args, db, sql):
    out = subprocess.run(
        ["psql", *pg_conn(args), "-d", db, "-XtAq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True, capture_output=True, text=True)
    return out.stdout.strip()


def cpu_of(pid):
    """utime + stime (+ reaped children's) of one process, in ms; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) * 1000.0 / TICKS


def postgres_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() in ("postgres", "postmaster"):
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def postgres_cpu_since(before):
    """CPU ms the PostgreSQL processes used since `before` (pid to CPU ms); a backend that
    started meanwhile counts from zero, one that ended is left out."""
    return sum(cpu_of(pid) - before.get(pid, 0.0) for pid in postgres_pids())


def picks(args):
    """The ids of the operations, by the rules of `dangjian bench` (its README section)."""
    db = args.database
    general_most = lambda count_below: psql(args, db, f"""
        SELECT g.id FROM organization g WHERE g.kind = 'general_branch'
        ORDER BY ({count_below}) DESC, g.id LIMIT 1""")
    q1 = general_most("SELECT count(*) FROM study_session s JOIN organization o ON o.id = s.organization_id "
                      "WHERE o.path LIKE g.path || '%'")
    q2 = psql(args, db, """
        SELECT a.session_id FROM attendance a JOIN study_session s ON s.id = a.session_id
        WHERE s.status = 'held' GROUP BY a.session_id
        ORDER BY EXISTS (SELECT 1 FROM measure m WHERE m.source_kind = 'session' AND m.source_id = a.session_id) DESC,
                 count(*) DESC, a.session_id LIMIT 1""")
    q3 = psql(args, db, f"""
        SELECT min(p.id::text) FROM person p JOIN organization o ON o.id = p.organization_id
        WHERE p.left_on IS NULL AND o.path LIKE (SELECT path FROM organization WHERE id = '{q1}') || '%'""")
    q4 = general_most("SELECT count(*) FROM supervision_item i JOIN organization o ON o.id = i.organization_id "
                      "WHERE o.path LIKE g.path || '%' AND i.due_on < current_date AND i.status <> 'verified'")
    q5 = psql(args, db, """
        SELECT i.id || ' ' || p.id || ' ' || p.organization_id FROM inspection i
        JOIN organization r ON r.id = i.organization_id
        JOIN LATERAL (SELECT p.id, p.organization_id FROM person p JOIN organization o ON o.id = p.organization_id
                      WHERE p.left_on IS NULL AND o.path LIKE r.path || '%' ORDER BY p.id LIMIT 1) p ON true
        ORDER BY i.status <> 'in_progress', i.id LIMIT 1""").split()
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "inspection": q5[0], "responsible": q5[1], "item_org": q5[2]}


TITLE = "基准测试：科技创新责任落实情况抽查问题"
DESCRIPTION = "压力测试写入的问题（每个请求开一条）。"


def requests_of(p):
    """{op: (dangjian body, PostGraphile body)}: the same rows asked of both."""
    due = "2027-03-01"
    dj = {
        "q1": ("query Q1($org: ID!) { studySessions(organizationId: $org, orderBy: HELD_AT_DESCENDING, first: 50) "
               "{ edges { node { id topic heldAt organization { id name } attendanceCounts { present } "
               "attendance(status: PRESENT, first: 10) { person { id name } } } } } }", {"org": p["q1"]}),
        "q2": ("query Q2($id: ID!) { studySession(id: $id) { id topic attendance { status person { id name } } "
               "measures { id title status } } }", {"id": p["q2"]}),
        "q3": ("query Q3($id: ID!) { person(id: $id) { id name organization { id name } } }", {"id": p["q3"]}),
        "q4": ("query Q4($org: ID!) { supervisionItems(organizationId: $org, overdue: true, orderBy: DUE_ON, first: 50) "
               "{ edges { node { id title dueOn status } } } }", {"org": p["q4"]}),
        "q5": ("mutation Q5($input: OpenSupervisionItemInput!) { openSupervisionItem(input: $input) { id } }",
               {"input": {"inspectionId": p["inspection"], "organizationId": p["item_org"], "title": TITLE,
                          "description": DESCRIPTION, "category": "INNOVATION_RESPONSIBILITY", "severity": "MEDIUM",
                          "responsiblePersonId": p["responsible"], "dueOn": due}}),
    }
    pg = {
        "q1": ("query Q1($org: UUID!) { subtreeSessions(org: $org, first: 50) { nodes { id topic heldAt "
               "organizationByOrganizationId { id name } "
               "present: attendancesBySessionId(condition: {status: \"present\"}) { totalCount } "
               "attendancesBySessionId(condition: {status: \"present\"}, first: 10, orderBy: ID_ASC) "
               "{ nodes { personByPersonId { id name } } } } } }", {"org": p["q1"]}),
        "q2": ("query Q2($id: UUID!) { studySessionById(id: $id) { id topic attendancesBySessionId(orderBy: ID_ASC) "
               "{ nodes { status personByPersonId { id name } } } measures { nodes { id title status } } } }",
               {"id": p["q2"]}),
        "q3": ("query Q3($id: UUID!) { personById(id: $id) { id name organizationByOrganizationId { id name } } }",
               {"id": p["q3"]}),
        "q4": ("query Q4($org: UUID!) { overdueItems(org: $org, first: 50) { nodes { id title dueOn status } } }",
               {"org": p["q4"]}),
        "q5": ("mutation Q5($input: CreateSupervisionItemInput!) { createSupervisionItem(input: $input) "
               "{ supervisionItem { id } } }",
               {"input": {"supervisionItem": {
                   "inspectionId": p["inspection"], "organizationId": p["item_org"], "title": TITLE,
                   "description": DESCRIPTION, "category": "innovation_responsibility", "severity": "medium",
                   "responsiblePersonId": p["responsible"], "dueOn": due}}}),
    }
    body = lambda q: json.dumps({"query": q[0], "variables": q[1]}, ensure_ascii=False)
    return {op: (body(dj[op]), body(pg[op])) for op in dj}


def post(url, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def wait_ready(url, proc, what):
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not start")


def oha(url, body, token, connections, duration):
    cmd = ["oha", "--no-tui", "--output-format", "json", "-z", duration, "-c", str(connections), "-m", "POST",
           "--disable-compression", "-H", "Content-Type: application/json", "-d", body]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def summarise(report):
    codes = report.get("statusCodeDistribution") or {}
    answered = sum(codes.values())
    errors = sum(n for c, n in codes.items() if not c.startswith("2"))
    errors += sum(n for k, n in (report.get("errorDistribution") or {}).items() if "deadline" not in k)
    pct = report.get("latencyPercentiles") or {}
    return {"answered": answered, "errors": errors, "rps": report["summary"]["requestsPerSec"],
            "p50": (pct.get("p50") or 0) * 1000, "p99": (pct.get("p99") or 0) * 1000}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True, help="the dangjian executable (release build)")
    ap.add_argument("--database", default="dj_bench", help="the database loaded by `dangjian bench-load`")
    ap.add_argument("--pg-host", default="127.0.0.1")
    ap.add_argument("--pg-port", type=int, default=5432)
    ap.add_argument("--pg-user", default="postgres")
    ap.add_argument("--ops", default="q1,q2,q3,q4,q5")
    ap.add_argument("--connections", default="16,64")
    ap.add_argument("--duration", default="8s")
    ap.add_argument("--password", default=os.environ.get("DANGJIAN_BENCH_PASSWORD", "Bench-Passw0rd!"))
    ap.add_argument("--out", help="also write the Markdown report here")
    args = ap.parse_args()

    base = f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}"
    copy = f"{args.database}_pgc"
    p = picks(args)
    bodies = requests_of(p)
    conn = pg_conn(args)
    subprocess.run(["dropdb", *conn, "--if-exists", copy], check=True)
    subprocess.run(["createdb", *conn, "-T", args.database, copy], check=True)
    subprocess.run(["psql", *conn, "-d", copy, "-XqAt", "-v", "ON_ERROR_STOP=1", "-f",
                    os.path.join(HERE, "setup.sql")], check=True)

    procs = []
    try:
        env = dict(os.environ, DATABASE_URL=f"{base}/{args.database}?sslmode=disable", DANGJIAN_BIND="127.0.0.1:18765",
                   DANGJIAN_DATA_DIR=f"/tmp/dj-compare-{os.getpid()}", DANGJIAN_LOG="warn", DANGJIAN_ENV="development",
                   DANGJIAN_RATE_LIMIT_ACCOUNT="0", DANGJIAN_RATE_LIMIT_CLIENT="0", DANGJIAN_RATE_LIMIT_TOKEN="0")
        dj = subprocess.Popen([args.binary, "serve"], env=env)
        procs.append(dj)
        pgl = subprocess.Popen(
            ["node", os.path.join(HERE, "node_modules", ".bin", "postgraphile"), "-c", f"{base}/{copy}",
             "-s", "public,pgc", "--host", "127.0.0.1", "--port", "18766", "--disable-query-log"],
            env=dict(os.environ, NODE_ENV="production"), stdout=subprocess.DEVNULL)
        procs.append(pgl)
        wait_ready("http://127.0.0.1:18765/readyz", dj, "dangjian")
        wait_ready("http://127.0.0.1:18766/graphql", pgl, "PostGraphile")
        token = post("http://127.0.0.1:18765/api/v1/auth/token",
                     json.dumps({"grant_type": "password", "username": "bench", "password": args.password}))[
            "access_token"]
        servers = {"dangjian": ("http://127.0.0.1:18765/graphql", dj.pid, token, 0),
                   "PostGraphile": ("http://127.0.0.1:18766/graphql", pgl.pid, None, 1)}
        rows = []
        for op in args.ops.split(","):
            for name, (url, pid, tok, which) in servers.items():
                answer = post(url, bodies[op][which], tok)
                if answer.get("errors"):
                    sys.exit(f"{name} {op}: {answer['errors']}")
                for c in [int(c) for c in args.connections.split(",")]:
                    pg_before = {q: cpu_of(q) for q in postgres_pids()}
                    cpu_before = cpu_of(pid)
                    s = summarise(oha(url, bodies[op][which], tok, c, args.duration))
                    cpu = cpu_of(pid) - cpu_before
                    pg = postgres_cpu_since(pg_before)
                    n = max(s["answered"], 1)
                    row = dict(op=op, server=name, conns=c, **s, cpu=cpu / n, pg=pg / n)
                    rows.append(row)
                    print(f"{op} {name:<12} c{c:<3} {s['rps']:8.1f} req/s p50 {s['p50']:7.2f} ms "
                          f"errors {s['errors']} server {row['cpu']:.2f} ms/req PostgreSQL {row['pg']:.2f} ms/req",
                          flush=True)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["dropdb", *conn, "--if-exists", copy])

    cpuinfo = open("/proc/cpuinfo").read()
    model = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")), "?")
    lines = [f"Machine: {os.cpu_count()} cores ({model}); PostgreSQL "
             f"{psql(args, args.database, 'SHOW server_version').split()[0]}; each run {args.duration}; "
             "CPU in ms per answered request.", "",
             "| op | conns | server | req/s | p50 ms | p99 ms | errors | server CPU | PostgreSQL CPU | sum | "
             "dangjian/PostGraphile (sum) |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        other = next((o for o in rows if o["op"] == r["op"] and o["conns"] == r["conns"]
                      and o["server"] == "PostGraphile"), None)
        ratio = ""
        if r["server"] == "dangjian" and other and other["cpu"] + other["pg"] > 0:
            ratio = f"{(r['cpu'] + r['pg']) / (other['cpu'] + other['pg']):.2f}"
        lines.append(f"| {r['op']} | {r['conns']} | {r['server']} | {r['rps']:.1f} | {r['p50']:.2f} | "
                     f"{r['p99']:.2f} | {r['errors']} | {r['cpu']:.2f} | {r['pg']:.2f} | {r['cpu'] + r['pg']:.2f} | "
                     f"{ratio} |")
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
