#!/usr/bin/env bash
# Multi-root scan benchmark: one `exhunt scan` of 200 small collections (zips) vs a shell loop
# of 200 single scans of the same zips.
#
#   bench/multiroot.sh [--roots N] [--runs N] [--data DIR] [--keep]
#
# Builds N zips (default 200) under DIR (default /tmp/exhunt-bench-roots) from the servers of
# the fleet demo (examples/fleet/collections, cycled; each zip a KAPE-style copy of drive C:),
# then, after one warm-up run each (hot page cache), times --runs runs (default 3) of
#   (a) exhunt scan DIR/*.zip -q -j 2 --jsonl OUT/multiroot.jsonl
#   (b) for z in DIR/*.zip; do exhunt scan "$z" -q -j 2 --jsonl OUT/single/<name>.jsonl; done
# under /usr/bin/time -v, checks that both report the same verdict per server, and deletes the
# zips (unless --keep). Results go to stdout and bench/out/multiroot-results.md. Run it with
# `quiet` on a shared machine.
set -euo pipefail

ROOTS=200
RUNS=3
DATA=/tmp/exhunt-bench-roots
KEEP=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --roots) ROOTS="${2:?}"; shift 2 ;;
        --runs) RUNS="${2:?}"; shift 2 ;;
        --data) DATA="${2:?}"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "multiroot.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
OUT="$HERE/out"
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "multiroot.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
(cd "$REPO" && cargo build --release -q -p exhunt)
EXHUNT="$REPO/target/release/exhunt"

rm -rf "$DATA"
mkdir -p "$DATA"
python3 - "$REPO/examples/fleet/collections" "$DATA" "$ROOTS" <<'PY'
import os, sys, zipfile
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
servers = sorted(os.path.join(src, o, h) for o in os.listdir(src) for h in os.listdir(os.path.join(src, o)))
for i in range(n):
    s = servers[i % len(servers)]
    name = "Collection-%s-%03d.zip" % (os.path.basename(s), i)
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
        for d, _, files in os.walk(s):
            for f in files:
                p = os.path.join(d, f)
                z.write(p, os.path.relpath(p, s))
PY
size="$(du -sh "$DATA" | cut -f1)"

timed() {  # LABEL CMD... ; appends "wall rss" to $OUT/mr-LABEL.txt
    local label="$1"; shift
    local log; log="$(mktemp)"
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { echo "multiroot.sh: $label failed" >&2; tail -5 "$log" >&2; exit 1; }
    local wall rss
    wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')"
    rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
    echo "$wall $rss" >>"$OUT/mr-$label.txt"
    rm -f "$log"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

rm -f "$OUT"/mr-*.txt
export EXHUNT DATA OUT
for r in $(seq 0 "$RUNS"); do
    echo "== run $r of $RUNS (0 = warm-up)" >&2
    timed multi bash -c '"$EXHUNT" scan "$DATA"/*.zip -q -j 2 --jsonl "$OUT/multiroot.jsonl" || [ $? -le 1 ]'
    rm -rf "$OUT/single"; mkdir -p "$OUT/single"
    timed loop bash -c 'for z in "$DATA"/*.zip; do "$EXHUNT" scan "$z" -q -j 2 --jsonl "$OUT/single/$(basename "$z" .zip).jsonl" || [ $? -le 1 ] || exit 1; done'
    if [ "$r" = 0 ]; then rm -f "$OUT"/mr-*.txt; fi
done
mw="$(awk '{print $1}' "$OUT/mr-multi.txt" | median)"
lw="$(awk '{print $1}' "$OUT/mr-loop.txt" | median)"
mr="$(awk '{print $2}' "$OUT/mr-multi.txt" | sort -n | tail -1)"
lr="$(awk '{print $2}' "$OUT/mr-loop.txt" | sort -n | tail -1)"
same="$(python3 - "$OUT/multiroot.jsonl" "$OUT/single" <<'PY'
import json, os, sys
multi = {}
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["kind"] == "host":
        multi[o["host"]] = o["verdict"]
single = {}
for f in os.listdir(sys.argv[2]):
    last = None
    for l in open(os.path.join(sys.argv[2], f)):
        last = json.loads(l)
    for h in last["hosts"]:
        single[h["name"]] = h["verdict"]
print("yes (%d servers)" % len(multi) if multi == single else "NO (%d vs %d)" % (len(multi), len(single)))
PY
)"
ratio="$(awk -v a="$mw" -v b="$lw" 'BEGIN { printf "%.2f×", a / b }')"
{
    echo "| roots | data | exhunt scan of all roots (median) | shell loop of single scans (median) | ratio | peak RSS (one run / largest single scan) | same verdicts |"
    echo "|---:|---:|---:|---:|---:|---:|---|"
    printf '| %s zips | %s | %.2f s | %.2f s | %s | %d MB / %d MB | %s |\n' "$ROOTS" "$size" "$mw" "$lw" "$ratio" "$((mr / 1024))" "$((lr / 1024))" "$same"
    echo
    echo "Command: \`bench/multiroot.sh --roots $ROOTS --runs $RUNS\` on $(nproc) CPUs, $(date -u +%Y-%m-%d), exhunt $(git -C "$REPO" rev-parse --short HEAD)."
} >"$OUT/multiroot-results.md"
rm -f "$OUT"/mr-*.txt
rm -rf "$OUT/single"
[ "$KEEP" = 1 ] || rm -rf "$DATA"
cat "$OUT/multiroot-results.md"
