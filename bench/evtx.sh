#!/usr/bin/env bash
# EVTX benchmark: exhunt's event hunter (embedded event rules + 50 Sigma rules) against the
# parse-only floor, `evtx_dump` of the evtx crate dumping the same files to JSON, same threads.
# Usage: bench/evtx.sh [MB=512] [THREADS=2]. Results go to bench/EVTX_RESULTS.md (by hand).
# Uses the `evtx_bench` example until `exhunt scan` wires the event hunter; then replace the
# hunt command with `exhunt scan "$DATA" --sigma "$SIGMA" --threads "$THREADS"`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MB="${1:-512}"
THREADS="${2:-2}"
WORK="${EVTX_BENCH_DIR:-target/evtx-bench}"
DATA="$WORK/data"
SIGMA="$WORK/sigma50"
CORPUS="${SIGMA_CORPUS:-../shared/corpus/sigma/SigmaHQ__sigma}"

cargo build -q --release -p exhunt-events --example evtx_bench
BIN=target/release/examples/evtx_bench
if [ ! -x target/evtx-tools/bin/evtx_dump ]; then
    cargo install evtx --locked --root target/evtx-tools
fi
if [ ! -d "$DATA" ]; then
    "$BIN" gen "$DATA" "$MB"
fi
# 50 Windows Sigma rules from the corpus (process creation, file events, Exchange, PowerShell).
rm -rf "$SIGMA"; mkdir -p "$SIGMA"
find "$CORPUS/rules" -path '*windows*' -name '*.yml' | sort | head -50 | xargs -I{} cp {} "$SIGMA/"
du -sh "$DATA"
echo "== parse-only floor: evtx_dump -o json, $THREADS threads"
/usr/bin/time -v sh -c "for f in \$(find '$DATA' -name '*.evtx'); do target/evtx-tools/bin/evtx_dump -t $THREADS -o json \"\$f\" > /dev/null; done" 2> "$WORK/dump.time"
grep -E "Elapsed|Maximum resident" "$WORK/dump.time"
echo "== exhunt event hunt: embedded rules + $(ls "$SIGMA" | wc -l) Sigma files, $THREADS threads"
/usr/bin/time -v "$BIN" hunt "$DATA" "$THREADS" "$SIGMA" 2> "$WORK/hunt.time"
grep -E "Elapsed|Maximum resident" "$WORK/hunt.time"
