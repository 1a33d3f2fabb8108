#!/usr/bin/env bash
# Outage drill against a real PostgreSQL: with the database stopped, requests answer 503
# (Retry-After, code UNAVAILABLE, no internals) within 2 s and /readyz answers 503 within
# 1 s; after it is started again, writes succeed within 2 s, and nothing acknowledged is
# lost (every 201 reads back; the audit chain verifies).
#
# usage: DANGJIAN_BIN=/path/to/dangjian tests/scripts/outage.sh
#   DANGJIAN_BIN  the server (default ${CARGO_TARGET_DIR:-target}/release/dangjian)
#   OUTAGE_WRITERS (3), OUTAGE_READERS (1)  load threads
#   OUTAGE_UP_SECONDS (2), OUTAGE_DOWN_SECONDS (5), OUTAGE_AFTER_SECONDS (4.5)  the phases
#   OUTAGE_KEEP=1  keep the temporary folder (cluster, logs) on exit
#   PG_BINDIR  PostgreSQL's server binaries (default: the highest /usr/lib/postgresql/*/bin)
#
# It never touches the machine's own PostgreSQL: it creates a throwaway cluster
# (initdb, trust auth) on a free port with its socket in a temporary folder, and stops
# and removes it on exit. Run as root, it runs the PostgreSQL tools as the `postgres`
# user. Needs python3 (standard library only). Other DANGJIAN_* settings in the
# environment reach the server (e.g. DANGJIAN_DB_ACQUIRE_TIMEOUT_MS=5000 makes it fail).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HELPER="$HERE/outage_load.py"
BIN=${DANGJIAN_BIN:-${CARGO_TARGET_DIR:-target}/release/dangjian}
WRITERS=${OUTAGE_WRITERS:-3}
READERS=${OUTAGE_READERS:-1}
UP_SECONDS=${OUTAGE_UP_SECONDS:-2}
DOWN_SECONDS=${OUTAGE_DOWN_SECONDS:-5}
AFTER_SECONDS=${OUTAGE_AFTER_SECONDS:-4.5}
ADMIN_PASSWORD='Outage-Test-Passw0rd!'
DB=dj_outage

DRILL=outage
# shellcheck source=drill_lib.sh
. "$HERE/drill_lib.sh"

# ---------------------------------------------------------------- prerequisites
command -v python3 >/dev/null 2>&1 || fail "'python3' is not installed"
[ -f "$HELPER" ] || fail "missing $HELPER"
[ -x "$BIN" ] || fail "no server binary at $BIN (set DANGJIAN_BIN)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

if [ -z "${PG_BINDIR:-}" ]; then
  PG_BINDIR=$(for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; fi
  done | sort -t/ -k5,5n | tail -n 1)
fi
[ -n "$PG_BINDIR" ] && [ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] ||
  fail "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin (set PG_BINDIR)"
for tool in initdb pg_ctl createdb psql; do
  [ -x "$PG_BINDIR/$tool" ] || fail "no $PG_BINDIR/$tool"
done

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
AS_PG=()
PG_OWNER=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || fail "running as root, but there is no 'postgres' user to run PostgreSQL as"
  if command -v runuser >/dev/null 2>&1; then
    AS_PG=(runuser -u postgres --)
  else
    AS_PG=(sudo -u postgres --)
    command -v sudo >/dev/null 2>&1 || fail "running as root, but neither runuser nor sudo is available"
  fi
  PG_OWNER=postgres
fi
as_pg() { "${AS_PG[@]}" "$@"; }
say "$("$BIN" --version 2>/dev/null || echo dangjian); $("$PG_BINDIR/postgres" --version) as $PG_OWNER"

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dj-outage.XXXXXX")
chmod 0711 "$TMP" # the postgres user reaches its folders inside
PGDATA="$TMP/pgdata"
PGRUN="$TMP/pgrun" # socket and log
SERVER_LOG="$TMP/server.log"
PG_LOG="$PGRUN/postgres.log"
PID_SERVER="" CLUSTER=0

stop_cluster() {
  [ "$CLUSTER" = 1 ] || return 0
  [ -f "$PGDATA/postmaster.pid" ] || return 0
  local pid
  pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
  as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  # only ever our own postmaster: the pid from our data folder, if it still runs on it
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$PGDATA"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

tails() {
  local f
  for f in "$SERVER_LOG" "$PG_LOG"; do
    [ -s "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 40 "$f" | sed 's/\x1b\[[0-9;]*m//g' >&2
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$PID_SERVER"
  stop_cluster
  if [ "$rc" -ne 0 ]; then
    tails
  fi
  if [ "${OUTAGE_KEEP:-0}" = 1 ]; then
    echo "[outage] cluster and logs kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  if [ "$rc" -ne 0 ]; then echo "[outage] FAILED after $(($(date +%s) - T0))s" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- a throwaway cluster
mkdir -p "$PGDATA" "$PGRUN"
chmod 0700 "$PGDATA"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$PGDATA" "$PGRUN"
fi
as_pg test -w "$PGRUN" || fail "$PG_OWNER cannot write to $PGRUN (is ${TMPDIR:-/tmp} reachable for it?)"
read -r PGPORT PORT_API < <(helper ports 2)

LOCALE=--no-locale
if grep -qiE '^c\.utf-?8$' < <(locale -a 2>/dev/null); then LOCALE=--locale=C.UTF-8; fi
CLUSTER=1
as_pg "$PG_BINDIR/initdb" -D "$PGDATA" --auth=trust -U postgres -E UTF8 "$LOCALE" --no-sync \
  >"$TMP/initdb.log" 2>&1 || {
  cat "$TMP/initdb.log" >&2
  fail "initdb failed"
}
q() { printf '%q' "$1"; }
PG_CTL_CMD="$(q "$PG_BINDIR/pg_ctl") -D $(q "$PGDATA")"
if [ "${#AS_PG[@]}" -gt 0 ]; then PG_CTL_CMD="$(printf '%q ' "${AS_PG[@]}")$PG_CTL_CMD"; fi
PG_OPTS="-p $PGPORT -k $PGRUN -c listen_addresses=127.0.0.1"
START_CMD="$PG_CTL_CMD -o $(q "$PG_OPTS") -l $(q "$PG_LOG") -w -t 30 start"
STOP_CMD="$PG_CTL_CMD -m fast -w -t 30 stop"
bash -c "$START_CMD" >"$TMP/pg_ctl.log" 2>&1 || {
  cat "$TMP/pg_ctl.log" >&2
  fail "the throwaway PostgreSQL did not start"
}
"$PG_BINDIR/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$DB" || fail "could not create database $DB"
say "throwaway PostgreSQL on 127.0.0.1:$PGPORT (cluster $PGDATA), database $DB"

# ---------------------------------------------------------------- the server
DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/$DB?sslmode=disable"
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
mkdir -p "$TMP/data"
DATABASE_URL="$DATABASE_URL" \
  DANGJIAN_BIND="127.0.0.1:$PORT_API" \
  DANGJIAN_DATA_DIR="$TMP/data" \
  DANGJIAN_JWT_SECRET="$JWT_SECRET" \
  DANGJIAN_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  DANGJIAN_RATE_LIMIT_TOKEN=0 DANGJIAN_RATE_LIMIT_ACCOUNT=0 DANGJIAN_RATE_LIMIT_CLIENT=0 \
  NO_COLOR=1 \
  "$BIN" serve </dev/null >"$SERVER_LOG" 2>&1 &
PID_SERVER=$!
URL="http://127.0.0.1:$PORT_API"
deadline=$(($(date +%s) + 120))
until [ "$(helper status "$URL/readyz")" = 200 ]; do
  kill -0 "$PID_SERVER" 2>/dev/null || fail "the server exited before it was ready"
  [ "$(date +%s)" -lt "$deadline" ] || fail "/readyz not 200 after 120 s"
  sleep 0.25
done
say "server ready on $URL (pid $PID_SERVER; migrations applied)"
TOKEN=$(helper token "$URL" admin "$ADMIN_PASSWORD") || fail "no admin token"

# ---------------------------------------------------------------- the drill
DRILL_RC=0
helper drill --url "$URL" --token "$TOKEN" --writers "$WRITERS" --readers "$READERS" \
  --up-seconds "$UP_SECONDS" --down-seconds "$DOWN_SECONDS" --after-seconds "$AFTER_SECONDS" \
  --stop-cmd "$STOP_CMD" --start-cmd "$START_CMD" \
  --result "$TMP/result.json" --ids "$TMP/ids.txt" || DRILL_RC=$?

# ---------------------------------------------------------------- server-side checks
FAILS=()
kill -0 "$PID_SERVER" 2>/dev/null || FAILS+=("the server is no longer running")
if grep -n -m 5 -E 'panicked|RUST_BACKTRACE' "$SERVER_LOG" >"$TMP/panics.txt"; then
  FAILS+=("the server panicked: $(tr '\n' ' ' <"$TMP/panics.txt")")
fi
if [ -f "$TMP/ids.txt" ]; then
  ACKED=$(wc -l <"$TMP/ids.txt")
  if ROWS=$("$PG_BINDIR/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -At \
    -c "select count(*) from organization where name like 'outage-test-%'" 2>"$TMP/psql.err"); then
    if [ "$ROWS" -lt "$ACKED" ]; then
      FAILS+=("the database holds $ROWS drill organisations for $ACKED acknowledged writes: acknowledged writes were lost")
    elif [ "$ROWS" -gt "$ACKED" ]; then
      say "note: $((ROWS - ACKED)) write(s) committed although the client got no 201 (a failure answer at the outage's edge: outcome unknown to the client)"
    fi
    say "the database holds $ROWS drill organisations for $ACKED acknowledged writes"
  else
    FAILS+=("could not count the rows: $(cat "$TMP/psql.err")")
  fi
fi
WARN_LINES=$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -c -E '\bWARN\b|"level":"WARN"' || true)
ERROR_LINES=$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -c -E '\bERROR\b|"level":"ERROR"' || true)
say "server log: $WARN_LINES WARN lines, $ERROR_LINES ERROR lines"

for f in "${FAILS[@]+"${FAILS[@]}"}"; do echo "FAIL: $f" >&2; done
if [ "$DRILL_RC" -ne 0 ] || [ "${#FAILS[@]}" -ne 0 ]; then
  if [ "$ERROR_LINES" -gt 0 ]; then
    echo "---- ERROR lines of the server log (first 10)" >&2
    sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -E '\bERROR\b|"level":"ERROR"' | head -n 10 >&2
  fi
  fail "the outage drill failed (see the FAIL lines above)"
fi

echo
echo "== outage drill: all checks passed in $(($(date +%s) - T0))s"
python3 - "$TMP/result.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print("   database down: %d writes answered 503 (Retry-After, UNAVAILABLE), the slowest in %.3fs; /readyz %d probes,"
      " 503 within %.3fs (checks.database %s)"
      % (r["writes_503_while_down"], r["max_503_latency_s"], r["readyz_probes_down"],
         r["max_readyz_latency_down_s"], "/".join(r["readyz_checks_database_down"])))
print("   restarted: first write 201 after %.3fs, /readyz 200 after %.3fs"
      % (r["recovery_first_write_s"], r["recovery_readyz_200_s"]))
print("   %d acknowledged writes (%s) all read back; audit chain %s"
      % (r["acknowledged_writes"], ", ".join("%s %d" % kv for kv in r["acknowledged_by_phase"].items() if kv[1]),
         json.dumps(r["audit_chain"])))
EOF
