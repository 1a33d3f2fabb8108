# What the drill drivers (replicas.sh, outage.sh) share. Source it after setting DRILL
# (the name their lines start with) and HELPER (their Python helper).
T0=$(date +%s)
say() { echo "[$DRILL +$(($(date +%s) - T0))s] $*"; }
fail() {
  echo "[$DRILL] FAIL: $*" >&2
  exit 1
}
helper() { python3 "$HELPER" "$@"; }

stop_pid() { # pid: SIGTERM, up to 10 s, then SIGKILL
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
