#!/usr/bin/env bash
# EVTX benchmark: `exhunt scan` hunting event logs (embedded event rules + 50 Windows Sigma rules
# of the corpus) against the parse-only floor, `evtx_dump` of the evtx crate dumping the same
# files to JSON with the same number of threads.
#
#   bench/evtx.sh [MB=512] [THREADS=2]
#
# Generates the data once with the project's EVTX writer (`evtx_bench gen`: 64 MB files of
# Security 4688/4624, Sysmon 1/11 and MSExchange Management events, a few attacks), installs
# `evtx_dump` (`cargo install evtx` into target/evtx-tools) if missing, warms the page cache, then
# times each tool 3 times with /usr/bin/time -v and writes bench/out/evtx-results.md.
# Goal (issue 4): hunt within 1.3x of the floor, peak RSS < 300 MB.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MB="${1:-512}"
THREADS="${2:-2}"
WORK="${EVTX_BENCH_DIR:-target/evtx-bench}"
DATA="$WORK/data"
SIGMA="$WORK/sigma50"
CORPUS="${SIGMA_CORPUS:-../shared/corpus/sigma/SigmaHQ__sigma}"
OUT=bench/out
mkdir -p "$WORK" "$OUT"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build -q --release -p exhunt -p exhunt-events --example evtx_bench
EXHUNT=target/release/exhunt
DUMP=target/evtx-tools/bin/evtx_dump
[ -x "$DUMP" ] || cargo install evtx --locked --root target/evtx-tools
if [ ! -f "$WORK/data.$MB" ]; then
    rm -rf "$DATA"
    target/release/examples/evtx_bench gen "$DATA" "$MB"
    touch "$WORK/data.$MB"
fi
# 50 Windows Sigma rules from the corpus (process creation, file events, Exchange, PowerShell).
rm -rf "$SIGMA"; mkdir -p "$SIGMA"
find "$CORPUS/rules" -path '*windows*' -name '*.yml' | sort | head -50 | xargs -I{} cp {} "$SIGMA/"
BYTES=$(du -sb "$DATA" | cut -f1)
FILES=$(find "$DATA" -name '*.evtx' | wc -l)

dump() {
    find "$DATA" -name '*.evtx' -print0 | while IFS= read -r -d '' f; do
        "$DUMP" -t "$THREADS" -o json "$f" > /dev/null
    done
}
hunt() {
    "$EXHUNT" scan "$DATA" --sigma "$SIGMA" --threads "$THREADS" --quiet --no-file-scan \
        --no-exposure --jsonl "$OUT/evtx.jsonl" || [ $? -eq 1 ]
}
export -f dump hunt
export DATA DUMP THREADS EXHUNT SIGMA OUT

measure() { # name → median wall seconds and max RSS (KB) over 3 runs, after a warm-up
    local name=$1 walls=() rss=0 w r
    bash -c "$name" > /dev/null 2>&1 || true
    for i in 1 2 3; do
        /usr/bin/time -f '%e %M' -o "$WORK/$name.time" bash -c "$name" > /dev/null 2>&1 || true
        read -r w r < <(tail -n 1 "$WORK/$name.time")
        walls+=("$w"); [ "$r" -gt "$rss" ] && rss=$r
    done
    printf '%s\n' "${walls[@]}" | sort -n | sed -n 2p > "$WORK/$name.median"
    echo "$rss" > "$WORK/$name.rss"
    echo "$name: runs ${walls[*]} s, peak RSS $rss KB" >&2
}
measure dump
measure hunt
D=$(cat "$WORK/dump.median"); H=$(cat "$WORK/hunt.median")
DR=$(cat "$WORK/dump.rss"); HR=$(cat "$WORK/hunt.rss")
FINDINGS=$(grep -c '"kind":"finding"' "$OUT/evtx.jsonl" || true)
RULES=$(grep -o '"rules_loaded":[0-9]*' "$OUT/evtx.jsonl" | cut -d: -f2)
RATIO=$(echo "scale=2; $H / $D" | bc)
{
    echo "### EVTX hunt: exhunt vs evtx_dump (parse-only floor)"
    echo
    echo "Data: $FILES EVTX files, $((BYTES / 1000000)) MB (\`evtx_bench gen\`), $THREADS threads, hot page cache, median of 3 runs ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)."
    echo
    echo "| tool | median wall (s) | MB/s | peak RSS (MB) |"
    echo "|---|---:|---:|---:|"
    echo "| evtx_dump -t $THREADS -o json (floor) | $D | $(echo "scale=0; $BYTES / 1000000 / $D" | bc) | $((DR / 1024)) |"
    echo "| exhunt scan --sigma (${RULES:-?} rules, $FINDINGS findings) | $H | $(echo "scale=0; $BYTES / 1000000 / $H" | bc) | $((HR / 1024)) |"
    echo "| **exhunt / floor** | **${RATIO}×** | | |"
    echo
    echo "Goals: ≤ 1.3× the floor, peak RSS < 300 MB."
} | tee "$OUT/evtx-results.md"
