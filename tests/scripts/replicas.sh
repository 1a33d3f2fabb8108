#!/usr/bin/env bash
# Two replicas on one PostgreSQL behind HAProxy: traffic reaches both, stopping one
# (SIGTERM: graceful, it drains what is in flight) loses no request, and each replica's
# /metrics shows its share.
#
# usage: DANGJIAN_BIN=/path/to/dangjian tests/scripts/replicas.sh
#   DANGJIAN_BIN  the server (default ${CARGO_TARGET_DIR:-target}/release/dangjian)
#   PGHOST/PGPORT/PGUSER  PostgreSQL (default 127.0.0.1, 5432, postgres; trust auth)
#   REPLICAS_PHASE1_REQUESTS (400), REPLICAS_THREADS (8)  the load
#   REPLICAS_KEEP=1  keep the temporary folder (logs, HAProxy config) on success too
# Needs haproxy, psql/createdb/dropdb and python3 (standard library only). Creates a
# fresh database dj_replicas_<timestamp>_<pid> and drops it on exit; every process it
# starts is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HELPER="$HERE/replicas_load.py"
BIN=${DANGJIAN_BIN:-${CARGO_TARGET_DIR:-target}/release/dangjian}
PHASE1_REQUESTS=${REPLICAS_PHASE1_REQUESTS:-400}
THREADS=${REPLICAS_THREADS:-8}
ADMIN_PASSWORD='Replica-Test-Passw0rd!'
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}

DRILL=replicas
# shellcheck source=drill_lib.sh
. "$HERE/drill_lib.sh"

# ---------------------------------------------------------------- prerequisites
export PATH="$PATH:/usr/sbin:/sbin"
for tool in haproxy psql createdb python3; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is not installed"
done
[ -x "$BIN" ] || fail "no server binary at $BIN (set DANGJIAN_BIN)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -f "$HELPER" ] || fail "missing $HELPER"
say "$("$BIN" --version 2>/dev/null || echo dangjian); $(haproxy -v | head -1)"

DB="dj_replicas_$(date +%s)_$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dj-replicas.XXXXXX")
PID_A="" PID_B="" PID_HAPROXY="" PID_LOAD="" DB_CREATED=0

tails() {
  local f
  for f in "$TMP"/a.log "$TMP"/b.log "$TMP"/haproxy.log; do
    [ -s "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 30 "$f" >&2
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$PID_LOAD"
  stop_pid "$PID_HAPROXY"
  stop_pid "$PID_B"
  stop_pid "$PID_A"
  if [ "$rc" -ne 0 ]; then
    tails
  fi
  if [ "$DB_CREATED" = 1 ]; then
    psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 ||
      psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 ||
      echo "[replicas] could not drop database $DB" >&2
  fi
  if [ "$rc" -ne 0 ] || [ "${REPLICAS_KEEP:-0}" = 1 ]; then
    echo "[replicas] logs and configuration kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  if [ "$rc" -ne 0 ]; then echo "[replicas] FAILED after $(($(date +%s) - T0))s" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

createdb "$DB" || fail "could not create database $DB on $PGHOST:$PGPORT as $PGUSER"
DB_CREATED=1
DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB?sslmode=disable"
say "database $DB; work folder $TMP"

JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
METRICS_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
read -r PORT_A PORT_B PORT_FE < <(helper ports 3)

# ---------------------------------------------------------------- replicas
start_replica() { # name port -> sets LAST_PID
  local name=$1 port=$2
  mkdir -p "$TMP/$name-data"
  DATABASE_URL="$DATABASE_URL" \
    DANGJIAN_BIND="127.0.0.1:$port" \
    DANGJIAN_DATA_DIR="$TMP/$name-data" \
    DANGJIAN_JWT_SECRET="$JWT_SECRET" \
    DANGJIAN_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    DANGJIAN_METRICS_TOKEN="$METRICS_TOKEN" \
    DANGJIAN_RATE_LIMIT_TOKEN=0 DANGJIAN_RATE_LIMIT_ACCOUNT=0 DANGJIAN_RATE_LIMIT_CLIENT=0 \
    DANGJIAN_LOG_FORMAT=json \
    DANGJIAN_SHUTDOWN_DRAIN_SECS=2 \
    "$BIN" serve </dev/null >"$TMP/$name.log" 2>&1 &
  LAST_PID=$!
}

wait_ready() { # name pid port
  local name=$1 pid=$2 port=$3 deadline=$(($(date +%s) + 120))
  while :; do
    kill -0 "$pid" 2>/dev/null || fail "replica $name exited before it was ready"
    [ "$(helper status "http://127.0.0.1:$port/readyz")" = 200 ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || fail "replica $name: /readyz not 200 after 120 s"
    sleep 0.25
  done
}

start_replica a "$PORT_A"
PID_A=$LAST_PID
wait_ready A "$PID_A" "$PORT_A"
say "replica A ready on 127.0.0.1:$PORT_A (pid $PID_A; migrations applied)"
start_replica b "$PORT_B"
PID_B=$LAST_PID
wait_ready B "$PID_B" "$PORT_B"
say "replica B ready on 127.0.0.1:$PORT_B (pid $PID_B)"

# ---------------------------------------------------------------- HAProxy
SOCK="$TMP/haproxy.sock"
cat >"$TMP/haproxy.cfg" <<EOF
global
    log stdout format raw local0 info
    stats socket $SOCK mode 600 level admin
    maxconn 512

defaults
    mode http
    log global
    # one line per request: backend/server, status, termination state, retries (+: redispatched)
    log-format "%ci:%cp [%tr] %ft %b/%s %ST %tsc retries=%rc %HM %HU Tr=%Tr Ta=%Ta"
    option log-health-checks
    timeout connect 2s
    timeout client 35s
    timeout server 35s
    timeout http-keep-alive 10s
    timeout check 2s

frontend fe
    bind 127.0.0.1:$PORT_FE
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    # a new server connection per request: a draining replica's idle connection is never reused
    option http-server-close
    # wait for the whole request before connecting, so that every request can be replayed
    # (L7 retry): without it a body arriving after the headers were forwarded disables the
    # retry, and a connection the stopping replica drops unanswered reaches the client
    option http-buffer-request
    option redispatch
    retries 3
    retry-on conn-failure empty-response response-timeout
    server a 127.0.0.1:$PORT_A check inter 500ms fall 1 rise 2
    server b 127.0.0.1:$PORT_B check inter 500ms fall 1 rise 2
EOF
haproxy -c -q -f "$TMP/haproxy.cfg" || fail "HAProxy rejects the generated configuration ($TMP/haproxy.cfg)"
haproxy -f "$TMP/haproxy.cfg" -db </dev/null >"$TMP/haproxy.log" 2>&1 &
PID_HAPROXY=$!
helper haproxy-wait "$SOCK" a b --timeout 30 >/dev/null || fail "HAProxy did not see both replicas UP"
kill -0 "$PID_HAPROXY" 2>/dev/null || fail "HAProxy exited"
FE="http://127.0.0.1:$PORT_FE"
say "HAProxy on 127.0.0.1:$PORT_FE (pid $PID_HAPROXY): both servers UP"

TOKEN=$(helper token "$FE" admin "$ADMIN_PASSWORD") || fail "no token through HAProxy"
say "signed in as admin through HAProxy"

# ---------------------------------------------------------------- phase 1: both up
served() { # port -> requests served (probes and /metrics excluded)
  helper metrics "http://127.0.0.1:$1" "$METRICS_TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["served"])'
}
A0=$(served "$PORT_A")
B0=$(served "$PORT_B")
say "phase 1: $PHASE1_REQUESTS requests (creates, and reads of what was created, at random) from $THREADS threads"
P1=$(helper phase1 --url "$FE" --token "$TOKEN" --requests "$PHASE1_REQUESTS" --threads "$THREADS" --ids "$TMP/ids1.txt") ||
  fail "phase 1: not every request was answered 2xx"
say "phase 1: $P1"
A1=$(served "$PORT_A")
B1=$(served "$PORT_B")
SHARE_A=$((A1 - A0))
SHARE_B=$((B1 - B0))
say "replica A served $SHARE_A, replica B served $SHARE_B (sum $((SHARE_A + SHARE_B)), sent $PHASE1_REQUESTS)"
[ "$SHARE_A" -gt 0 ] || fail "replica A served nothing in phase 1"
[ "$SHARE_B" -gt 0 ] || fail "replica B served nothing in phase 1"
[ $((SHARE_A + SHARE_B)) -eq "$PHASE1_REQUESTS" ] ||
  fail "the replicas' /metrics count $((SHARE_A + SHARE_B)) requests in phase 1, $PHASE1_REQUESTS were sent"

# ---------------------------------------------------------------- phase 2: stop B under load
LOG_MARK=$(wc -l <"$TMP/haproxy.log")
say "phase 2: continuous writes from $THREADS threads; SIGTERM to replica B after 2 s"
rm -f "$TMP/stop"
helper load --url "$FE" --token "$TOKEN" --threads "$THREADS" --stop-file "$TMP/stop" --ids "$TMP/ids2.txt" \
  >"$TMP/phase2.json" 2>"$TMP/phase2.err" &
PID_LOAD=$!
sleep 2
kill -0 "$PID_LOAD" 2>/dev/null || fail "the load stopped early: $(cat "$TMP/phase2.err")"
kill -TERM "$PID_B"
TERM_AT=$(date +%s.%N)
say "SIGTERM sent to replica B (pid $PID_B) at $(date -d "@$TERM_AT" +%T.%3N); it drains for 2 s, then stops"
sleep 4
touch "$TMP/stop"
LOAD_RC=0
wait "$PID_LOAD" || LOAD_RC=$?
PID_LOAD=""
say "phase 2: $(cat "$TMP/phase2.json")"
# B drains and exits (exit status 0 for a graceful stop)
B_RC=""
for _ in $(seq 1 400); do
  if ! kill -0 "$PID_B" 2>/dev/null; then
    B_RC=0
    wait "$PID_B" || B_RC=$?
    break
  fi
  sleep 0.1
done
[ -n "$B_RC" ] || fail "replica B still runs $(($(date +%s) - ${TERM_AT%.*}))s after SIGTERM"
PID_B=""
say "replica B exited with status $B_RC; HAProxy: $(helper haproxy-state "$SOCK" | tr '\n' ' ')"
HLOG=$(helper haproxy-log "$TMP/haproxy.log" --since-line "$LOG_MARK" 2>"$TMP/haproxy-bad.txt")
say "phase 2 in HAProxy's log: $HLOG"
if [ "$LOAD_RC" -ne 0 ]; then
  cat "$TMP/phase2.err" >&2
  echo "HAProxy log lines of requests not answered 2xx:" >&2
  cat "$TMP/haproxy-bad.txt" >&2
  echo "warnings and errors in replica B's log:" >&2
  grep -E '"level":"(WARN|ERROR)"' "$TMP/b.log" | tail -n 20 >&2 || true
  fail "phase 2: requests were lost or failed while replica B stopped"
fi
[ "$B_RC" -eq 0 ] || fail "replica B exited with status $B_RC after SIGTERM (expected a graceful 0)"
B_PHASE2=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["per_server"].get("b", 0))' "$HLOG")
[ "$B_PHASE2" -gt 0 ] || fail "replica B served nothing in phase 2: it was not stopped under load"

# ---------------------------------------------------------------- every acknowledged write is there
W1=$(wc -l <"$TMP/ids1.txt")
W2=$(wc -l <"$TMP/ids2.txt")
say "verifying through HAProxy: $((W1 + W2)) acknowledged writes read back, the audit chain verifies"
V=$(helper verify --url "$FE" --token "$TOKEN" --threads "$THREADS" "$TMP/ids1.txt" "$TMP/ids2.txt") ||
  fail "verification failed"
say "verification: $V"
ROWS=$(psql -At -d "$DB" -c "select count(*) from organization where name like 'replica-test-%'")
[ "$ROWS" -eq $((W1 + W2)) ] ||
  fail "the database holds $ROWS test organisations for $((W1 + W2)) acknowledged writes (a write applied twice or lost its answer)"
A2=$(served "$PORT_A")

echo
echo "== replicas behind HAProxy: all checks passed in $(($(date +%s) - T0))s"
echo "   phase 1: $PHASE1_REQUESTS requests, replica A served $SHARE_A, replica B served $SHARE_B (by their /metrics)"
echo "   phase 2: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%d writes in %.1fs, %d failed" % (d["sent"], d["seconds"], d["failed"]))' "$TMP/phase2.json");" \
  "replica B stopped by SIGTERM mid-load (exit $B_RC); HAProxy: $HLOG"
echo "   $((W1 + W2)) acknowledged writes read back, $ROWS rows in the database; audit chain verified;" \
  "replica A served $A2 requests in all"
