#!/bin/bash
# Measures the server's resident memory while it streams an export of every person.
# Load a dataset first, e.g. `dangjian bench-load --database-url URL --people 100000`
# (it creates the account `bench`); the script starts its own server on port 18080.
# usage: tests/scripts/export-memory.sh DATABASE_URL [ndjson|csv]   (DANGJIAN_BIN: the server binary)
set -e
BIN=${DANGJIAN_BIN:-target/release/dangjian}
URL="$1"; FMT="${2:-ndjson}"
ACCEPT="application/x-ndjson"; [ "$FMT" = csv ] && ACCEPT="text/csv"
DIR=$(mktemp -d)
DATABASE_URL="$URL" DANGJIAN_BIND=127.0.0.1:18080 DANGJIAN_DATA_DIR=$DIR DANGJIAN_LOG=warn \
  DANGJIAN_RATE_LIMIT_ACCOUNT=0 DANGJIAN_RATE_LIMIT_TOKEN=0 $BIN serve > $DIR/server.log 2>&1 &
PID=$!
trap "kill $PID 2>/dev/null; rm -rf $DIR" EXIT
for i in $(seq 1 100); do curl -sf http://127.0.0.1:18080/readyz >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s -X POST http://127.0.0.1:18080/api/v1/auth/token -H 'Content-Type: application/json' \
  -d '{"grant_type":"password","username":"bench","password":"Bench-Passw0rd!"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# Warm up: a small request, so the baseline includes what every request touches.
curl -s -o /dev/null "http://127.0.0.1:18080/api/v1/people?limit=100" -H "Authorization: Bearer $TOKEN"
BASE=$(awk '/VmRSS/{print $2}' /proc/$PID/status)
( while kill -0 $PID 2>/dev/null; do awk '/VmRSS/{print $2}' /proc/$PID/status; sleep 0.05; done ) > $DIR/rss.txt &
SAMPLER=$!
START=$(date +%s.%N)
curl -s -H "Authorization: Bearer $TOKEN" -H "Accept: $ACCEPT" "http://127.0.0.1:18080/api/v1/exports/people" -D $DIR/headers.txt -o $DIR/export.out
END=$(date +%s.%N)
kill $SAMPLER
PEAK=$(sort -n $DIR/rss.txt | tail -1)
LINES=$(wc -l < $DIR/export.out); BYTES=$(stat -c %s $DIR/export.out)
echo "format=$FMT lines=$LINES bytes=$BYTES seconds=$(echo "$END - $START" | bc) rss_before_kB=$BASE rss_peak_kB=$PEAK growth_MB=$(echo "scale=1; ($PEAK - $BASE)/1024" | bc) hwm_kB=$(awk '/VmHWM/{print $2}' /proc/$PID/status)"
grep -i "x-changes-cursor\|content-type" $DIR/headers.txt
