#!/usr/bin/env bash
# Probe benchmark (issue 5): exhunt probe against 10,000 loopback targets served by a local mock,
# compared with the same mock's capacity measured by wrk with fresh connections; then peak memory
# while streaming 1,000,000 queued targets from a file. Only 127.0.0.1 is ever contacted.
#
# Usage: bash bench/probe.sh            (writes figures to bench/out/probe/, prints a summary)
# Env:   PROBE_TARGETS=10000 PROBE_BIG=1000000 PROBE_CONC=256 WRK_SECS=5 RUNS=5
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=${PROBE_TARGETS:-10000}
BIG=${PROBE_BIG:-1000000}
CONC=${PROBE_CONC:-256}
WRK_SECS=${WRK_SECS:-5}
RUNS=${RUNS:-5}
BASE=20000
OUT=bench/out/probe
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if ! command -v bc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq bc >/dev/null
fi
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# The prober runs with its default runtime (one worker per core); PTHREADS=1 gives it as many
# worker threads as wrk (-t1).
THREAD_ARGS=()
[ -n "${PTHREADS:-}" ] && THREAD_ARGS=(--threads "$PTHREADS")
cargo build --release -q -p exhunt-probe --examples
MOCK=target/release/examples/mock_exchange
PROBE=(target/release/examples/probe_cli)
if [ -x target/release/exhunt ] && target/release/exhunt probe --help >/dev/null 2>&1; then
  PROBE=(target/release/exhunt probe)
fi

"$MOCK" --base $BASE --count "$TARGETS" --duration 1800 --threads 1 >"$OUT/mock.log" 2>&1 &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q ready "$OUT/mock.log" 2>/dev/null && break; sleep 0.2; done
grep -q ready "$OUT/mock.log" || { echo "mock did not start"; cat "$OUT/mock.log"; exit 1; }

URL="http://127.0.0.1:$BASE/owa/auth/logon.aspx"
seq $BASE $((BASE + TARGETS - 1)) | sed 's|^|http://127.0.0.1:|' >"$OUT/targets.txt"
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
# Interleaved rounds (wrk, then exhunt) so that a noisy moment of the shared machine hits both;
# the medians are compared. A 10,000-target run lasts about half a second.
WRKS=(); RATES=()
for round in $(seq "$RUNS"); do
  echo "== round $round: wrk, mock capacity, fresh connection per request (Connection: close), ${WRK_SECS}s"
  wrk -t1 -c"$CONC" -d"${WRK_SECS}s" -H "Connection: close" "$URL" | tee "$OUT/wrk.txt"
  WRKS+=("$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")")
  echo "== round $round: exhunt probe, $TARGETS distinct loopback ports"
  START=$(date +%s.%N)
  /usr/bin/time -v "${PROBE[@]}" -i "$OUT/targets.txt" --jsonl "$OUT/probe.jsonl" --concurrency "$CONC" \
    --per-host "$CONC" --rate 0 --retries 0 --no-progress "${THREAD_ARGS[@]}" >"$OUT/probe_summary.txt" 2>"$OUT/probe_time.txt" || true
  END=$(date +%s.%N)
  LINES=$(wc -l <"$OUT/probe.jsonl")
  REQS=$(grep -o '"requests":[0-9]*' "$OUT/probe.jsonl" | awk -F: '{s+=$2} END {print s}')
  SECS=$(echo "$END - $START" | bc -l)
  RATES+=("$(echo "$REQS / $SECS" | bc -l)")
  printf 'exhunt: %d targets, %d requests in %.2f s = %.0f req/s\n' "$LINES" "$REQS" "$SECS" "${RATES[-1]}"
done
WRK_RPS=$(median "${WRKS[@]}")
PROBE_RPS=$(median "${RATES[@]}")
VULN=$(grep -c '"exposure":"vulnerable"' "$OUT/probe.jsonl" || true)
RSS_SMALL=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$OUT/probe_time.txt")
cat "$OUT/probe_summary.txt" | head -12

echo "== exhunt probe: $BIG queued targets streamed from a file (peak memory)"
awk -v n="$BIG" -v b=$BASE -v t="$TARGETS" 'BEGIN { for (i = 0; i < n; i++) printf "http://127.0.0.1:%d\n", b + (i % t) }' >"$OUT/big.txt"
START=$(date +%s.%N)
/usr/bin/time -v "${PROBE[@]}" -i "$OUT/big.txt" --jsonl /dev/null --concurrency "$CONC" \
  --per-host "$CONC" --rate 0 --retries 0 --no-progress "${THREAD_ARGS[@]}" >"$OUT/big_summary.txt" 2>"$OUT/big_time.txt" || true
END=$(date +%s.%N)
BIG_SECS=$(echo "$END - $START" | bc -l)
RSS_BIG=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$OUT/big_time.txt")
BIG_DONE=$(awk '/exhunt probe:/ {print $3}' "$OUT/big_summary.txt")

printf '\n== results\n'
printf 'wrk (mock capacity, fresh connections): median %.0f req/s of %s\n' "$WRK_RPS" "${WRKS[*]}"
printf 'exhunt, %d targets: median %.0f req/s of %s (%.0f %% of wrk); %s vulnerable; peak RSS %s KB\n' \
  "$LINES" "$PROBE_RPS" "$(printf '%.0f ' "${RATES[@]}")" "$(echo "100 * $PROBE_RPS / $WRK_RPS" | bc -l)" "$VULN" "$RSS_SMALL"
printf 'exhunt streaming %s targets: %s done in %.1f s, peak RSS %s KB (%.1f MB)\n' \
  "$BIG" "$BIG_DONE" "$BIG_SECS" "$RSS_BIG" "$(echo "$RSS_BIG / 1024" | bc -l)"
{
  echo "wrk_rps=$WRK_RPS"
  echo "probe_targets=$LINES probe_rps=$PROBE_RPS probe_runs=\"${RATES[*]}\" wrk_runs=\"${WRKS[*]}\" probe_rss_kb=$RSS_SMALL"
  echo "big_targets=$BIG big_done=$BIG_DONE big_secs=$BIG_SECS big_rss_kb=$RSS_BIG"
} >"$OUT/figures.env"
