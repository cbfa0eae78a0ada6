#!/usr/bin/env bash
# Fleet merge benchmark: `exhunt merge` vs DuckDB over N servers' result files.
#
#   bench/merge.sh [--servers "1000 3000 10000 30000"] [--runs N] [--data DIR] [--keep]
#
# For each fleet size, one after the other (disk: ~145 MB per 1,000 servers): generates the
# servers' JSONL with bench/gen_fleet.py under DIR (default /tmp/exhunt-bench-fleet), then, after
# one warm-up run each (hot page cache), times --runs runs of
#   (a) exhunt merge DIR -q --jsonl OUT/merge-exhunt.jsonl          (2 threads)
#   (b) bench/merge_duckdb.py DIR OUT --threads 2                    (the same verdict table and
#       indicator spread in DuckDB SQL)
# under /usr/bin/time -v, checks that both found the same indicators with the same spread, and
# deletes the data (unless --keep). The table (median wall, peak RSS, ratio, growth) goes to
# stdout and bench/out/merge-results.md. Needs python3 with duckdb (pip install duckdb; set
# PYTHON to a venv's python). Run it with `quiet` on a shared machine.
set -euo pipefail

SERVERS="1000 3000 10000 30000"
RUNS=3
DATA=/tmp/exhunt-bench-fleet
KEEP=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --servers) SERVERS="${2:?}"; shift 2 ;;
        --runs) RUNS="${2:?}"; shift 2 ;;
        --data) DATA="${2:?}"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "merge.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
OUT="$HERE/out"
PY="${PYTHON:-python3}"
mkdir -p "$OUT"
"$PY" -c 'import duckdb' 2>/dev/null || { echo "merge.sh: $PY cannot import duckdb (pip install duckdb)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "merge.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
(cd "$REPO" && cargo build --release -q -p exhunt)
EXHUNT="$REPO/target/release/exhunt"
DUCKDB_VERSION="$("$PY" -c 'import duckdb; print(duckdb.__version__)')"

# time_run LABEL CMD... -> appends "wall_seconds rss_kb" to $OUT/merge-times-LABEL.txt
time_run() {
    local label="$1"; shift
    local log; log="$(mktemp)"
    local status=0
    /usr/bin/time -v "$@" >"$log.out" 2>"$log" || status=$?
    if [ "$status" -gt 1 ]; then
        echo "merge.sh: $label failed ($status):" >&2; tail -20 "$log" >&2; exit 1
    fi
    local wall rss
    wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')"
    rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
    echo "$wall $rss" >>"$OUT/merge-times-$label.txt"
    rm -f "$log" "$log.out"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

RESULTS="$OUT/merge-results.md"
{
    echo "| servers | result lines | data | exhunt merge (median) | DuckDB $DUCKDB_VERSION (median) | ratio | exhunt peak RSS | DuckDB peak RSS | same indicators |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} >"$RESULTS.tmp"
for n in $SERVERS; do
    dir="$DATA/f$n"
    rm -rf "$dir"
    echo "== $n servers: generating" >&2
    gen="$("$PY" "$HERE/gen_fleet.py" "$dir" --servers "$n" --seed 1)"
    lines="$(echo "$gen" | sed -E 's/.*lines=([0-9]+).*/\1/')"
    size="$(du -sh "$dir" | cut -f1)"
    rm -f "$OUT"/merge-times-*.txt
    for r in $(seq 0 "$RUNS"); do
        echo "== $n servers: run $r of $RUNS (0 = warm-up)" >&2
        time_run exhunt "$EXHUNT" merge "$dir" -q -j 2 --jsonl "$OUT/merge-exhunt.jsonl"
        time_run duckdb "$PY" "$HERE/merge_duckdb.py" "$dir" "$OUT" --threads 2
        if [ "$r" = 0 ]; then rm -f "$OUT"/merge-times-*.txt; fi
    done
    ew="$(awk '{print $1}' "$OUT/merge-times-exhunt.txt" | median)"
    dw="$(awk '{print $1}' "$OUT/merge-times-duckdb.txt" | median)"
    er="$(awk '{print $2}' "$OUT/merge-times-exhunt.txt" | sort -n | tail -1)"
    dr="$(awk '{print $2}' "$OUT/merge-times-duckdb.txt" | sort -n | tail -1)"
    same="$("$PY" - "$OUT/merge-exhunt.jsonl" "$OUT/duckdb-indicators.csv" <<'EOF'
import csv, json, sys
ex = set()
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["kind"] == "indicator" and o["type"] in ("ip", "user_agent", "url_path", "sha256"):
        ex.add((o["type"], o["value"], o["host_count"], o["org_count"]))
dk = set((r["type"], r["value"], int(r["host_count"]), int(r["org_count"]))
         for r in csv.DictReader(open(sys.argv[2])))
print("yes (%d)" % len(ex) if ex == dk else "NO: %d only exhunt, %d only DuckDB" % (len(ex - dk), len(dk - ex)))
EOF
)"
    ratio="$(awk -v a="$ew" -v b="$dw" 'BEGIN { printf "%.2f×", a / b }')"
    printf '| %s | %s | %s | %.2f s | %.2f s | %s | %d MB | %d MB | %s |\n' \
        "$n" "$lines" "$size" "$ew" "$dw" "$ratio" "$((er / 1024))" "$((dr / 1024))" "$same" >>"$RESULTS.tmp"
    echo "$n $ew $er" >>"$OUT/merge-growth.txt.tmp"
    [ "$KEEP" = 1 ] || rm -rf "$dir"
done
mv "$RESULTS.tmp" "$RESULTS"
{
    echo
    echo "Growth of exhunt merge (time per 1,000 servers; linear growth keeps it flat):"
    echo
    echo "| servers | wall | per 1,000 servers | peak RSS |"
    echo "|---:|---:|---:|---:|"
    awk '{ printf "| %d | %.2f s | %.3f s | %d MB |\n", $1, $2, $2 * 1000 / $1, $3 / 1024 }' "$OUT/merge-growth.txt.tmp"
    echo
    echo "Command: \`bench/merge.sh --servers \"$SERVERS\" --runs $RUNS\` on $(nproc) CPUs, $(date -u +%Y-%m-%d), exhunt $(git -C "$REPO" rev-parse --short HEAD)."
} >>"$RESULTS"
rm -f "$OUT/merge-growth.txt.tmp" "$OUT"/merge-times-*.txt
cat "$RESULTS"
