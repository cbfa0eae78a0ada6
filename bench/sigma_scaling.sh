#!/usr/bin/env bash
# Sigma scaling benchmark: exhunt's cost as the Sigma rule count grows, and chainsaw/hayabusa
# side by side, on the same third-party attack EVTX files.
#
#   bench/sigma_scaling.sh [--runs N] [--sizes "200 400 800 1600 all"] [--copies K] [--no-peers]
#
# EVTX: every file of shared/corpus/evtx/{mdecrevoisier__EVTX-to-MITRE-Attack,SigmaHQ__sigma}
# (attack samples written by third parties). Rules: nested subsets of the SigmaHQ
# `rules/windows` set (every file, ordered by a hash of its path so that each subset mixes all
# categories), from 200 rules to all of them. For each size,
#   exhunt scan EVTX... --sigma rules-N --no-builtin-rules --no-file-scan --no-exposure --quiet
# and the same with the rules compiled into a pack (`exhunt rules compile`, `--sigma PACK`),
# plus the parse-only floor (no rules), loading the largest set alone, and the smallest and
# largest packs over the same EVTX folder K times (hard links; default 8: a server's volume of
# logs, over which the rule set's one-off cost of loading is spread): a warm-up round, then
# RUNS rounds running each of these once (round-robin, so that a drift of the machine's speed
# hits every rule count alike), with exhunt's own account of each run (hunters built, events
# hunted) from its JSONL summary; then chainsaw 2.16.4 with the same rules and its SigmaHQ
# mapping at 200 rules and at all rules, and hayabusa 4.0 with its own rule set.
# Writes bench/out/sigma-scaling-results.md, bench/out/sigma-scaling.tsv and the plot
# bench/out/sigma-scaling.svg (with bench/sigma-scaling-before.tsv, the engine before the
# literal index, drawn for comparison).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=3
SIZES="200 400 800 1600 all"
PEERS=1
COPIES=8
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --sizes) SIZES="$2"; shift 2 ;;
        --copies) COPIES="$2"; shift 2
            [[ "$COPIES" =~ ^[0-9]+$ && "$COPIES" -ge 2 ]] || { echo "sigma_scaling.sh: --copies wants a whole number of at least 2" >&2; exit 2; } ;;
        --no-peers) PEERS=0; shift ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "sigma_scaling.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
SHARED="$(cd ../shared 2>/dev/null && pwd || true)"
[[ -n "$SHARED" ]] || { echo "sigma_scaling.sh: ../shared not found" >&2; exit 1; }
CORPUS="$SHARED/corpus"
SIGMA_ALL="$CORPUS/sigma/SigmaHQ__sigma-all/rules/windows"
EVTX_SOURCES=("$CORPUS/evtx/mdecrevoisier__EVTX-to-MITRE-Attack" "$CORPUS/evtx/SigmaHQ__sigma")
CHAINSAW="$SHARED/tools/anchors/chainsaw/chainsaw"
MAPPING="$SHARED/tools/anchors/chainsaw/sigma-event-logs-all.yml"
HAYABUSA_DIR="$SHARED/tools/anchors/hayabusa"
WORK=target/sigma-bench
OUT=bench/out
mkdir -p "$WORK" "$OUT"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build -q --release -p exhunt
EXHUNT=target/release/exhunt

# Nested rule subsets, in a fixed order that mixes the categories.
find "$SIGMA_ALL" -name '*.yml' | sort \
    | while read -r f; do printf '%s\t%s\n' "$(printf '%s' "${f#"$SIGMA_ALL"/}" | sha1sum | cut -c1-12)" "$f"; done \
    | sort | cut -f2 > "$WORK/order.txt"
TOTAL=$(wc -l < "$WORK/order.txt")
subset() { # N → dir holding the first N rules of the order
    local n=$1 dir="$WORK/rules-$1"
    if [[ ! -d "$dir" || $(find "$dir" -name '*.yml' | wc -l) -ne $n ]]; then
        rm -rf "$dir"; mkdir -p "$dir"
        head -n "$n" "$WORK/order.txt" | while read -r f; do
            cp "$f" "$dir/$(printf '%s' "$f" | sha1sum | cut -c1-8)-$(basename "$f")"
        done
    fi
    echo "$dir"
}
# One folder of copies of the EVTX files, the same input for every tool.
EVTX="$PWD/$WORK/evtx"
if [[ ! -d "$EVTX" ]]; then
    mkdir -p "$EVTX"
    for src in "${EVTX_SOURCES[@]}"; do
        find "$src" -name '*.evtx' | while read -r f; do
            cp "$f" "$EVTX/$(printf '%s' "$f" | sha1sum | cut -c1-8)-$(basename "$f")"
        done
    done
fi
EVTX_FILES=$(find "$EVTX" -name '*.evtx' | wc -l)
EVTX_BYTES=$(find "$EVTX" -name '*.evtx' -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }')
# The same files COPIES times (hard links, copies where links cannot be made): the volume of one
# server's logs, with the same third-party mix of events.
VOLUME="$PWD/$WORK/evtx-x$COPIES"
if [[ ! -d "$VOLUME" || $(find "$VOLUME" -name '*.evtx' | wc -l) -ne $((EVTX_FILES * COPIES)) ]]; then
    rm -rf "$VOLUME"
    for ((k = 1; k <= COPIES; k++)); do
        mkdir -p "$VOLUME/copy-$k"
        cp -l "$EVTX"/*.evtx "$VOLUME/copy-$k/" 2> /dev/null || cp "$EVTX"/*.evtx "$VOLUME/copy-$k/"
    done
fi

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# time_one NAME CMD... → appends one run's wall (s) to WALLS[NAME] and keeps the peak RSS
declare -A WALLS PEAK JSONL BUILD HUNT
time_one() {
    local name=$1; shift
    local t0 t1 r status=0 jsonl=${JSONL[$name]:-}
    [[ -n "$jsonl" ]] && rm -f "$jsonl" # so that a failed run cannot leave an earlier run's summary
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/$name.time" "$@" > /dev/null 2> "$WORK/$name.err" || status=$?
    t1=$(date +%s%N)
    # exhunt exits 0 (nothing found) or 1 (findings); anything else is a failed run, not a fast one.
    if (( status > 1 )); then
        echo "sigma_scaling.sh: $name failed (exit $status):" >&2
        tail -n 5 "$WORK/$name.err" >&2
        exit 1
    fi
    WALLS[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') "
    r=$(tail -n 1 "$WORK/$name.time")
    (( r > ${PEAK[$name]:-0} )) && PEAK[$name]=$r
    # exhunt's own account of the run (JSONL summary): building the rules, hunting the events.
    if [[ -n "$jsonl" ]]; then
        BUILD[$name]+="$(grep -o '"build_seconds":[0-9.e-]*' "$jsonl" | tail -n 1 | cut -d: -f2) "
        HUNT[$name]+="$(grep -o '"hunter":"events"[^}]*' "$jsonl" | grep -o '"seconds":[0-9.e-]*' | tail -n 1 | cut -d: -f2) "
    fi
    return 0
}
# measure NAME CMD... → sets WALL (median s) and RSS (max MB) over RUNS runs after a warm-up
# (for the peers, whose runs take seconds)
measure() {
    local name=$1; shift
    "$@" > /dev/null 2>&1 || true
    for ((i = 1; i <= RUNS; i++)); do time_one "$name" "$@"; done
    result "$name"
}
# result NAME → WALL (median s) and RSS (peak MB) of its runs
result() {
    WALL=$(printf '%s\n' ${WALLS[$1]} | median)
    RSS=$((${PEAK[$1]:-0} / 1024))
    echo "$1: runs ${WALLS[$1]}s, peak RSS $RSS MB" >&2
}
exhunt_cmd() { # RULES_DIR|"" JSONL → EXCMD
    EXCMD=("$EXHUNT" scan "$EVTX" --no-builtin-rules --no-file-scan --no-exposure --quiet --threads 2 --jsonl "$2")
    [[ -n "$1" ]] && EXCMD+=(--sigma "$1")
    return 0
}
count() { grep -c "\"kind\":\"$2\"" "$1" || true; }
loaded() { grep -o '"rules_loaded":[0-9]*' "$1" | cut -d: -f2 | tail -n 1; }

# Every exhunt case, each a command line: run round-robin below, so that a machine whose
# speed drifts slows every rule count alike and the ratios stay comparable.
declare -A CASE COMPILE_S
ORDER=()
add_case() { local name=$1; shift; CASE[$name]=$(printf '%q ' "$@"); ORDER+=("$name"); }
secs() { printf '%s\n' $1 | median | awk '{ printf "%.3f", $1 }'; } # median of a space-separated list
exhunt_cmd "" "$WORK/floor.jsonl"
add_case floor "${EXCMD[@]}"
NS=()
for size in $SIZES; do
    n=$size; [[ $n == all ]] && n=$TOTAL
    NS+=("$n")
    dir=$(subset "$n")
    exhunt_cmd "$dir" "$WORK/exhunt-$n.jsonl"
    add_case "exhunt-$n" "${EXCMD[@]}"
    JSONL[exhunt-$n]="$WORK/exhunt-$n.jsonl"
    # The same rules compiled into one pack (`exhunt rules compile`), then scanned from it.
    t0=$(date +%s%N)
    "$EXHUNT" rules compile --sigma "$dir" -o "$WORK/pack-$n.exhpack" 2> "$WORK/pack-$n.compile.err" \
        || { echo "sigma_scaling.sh: compiling $n rules failed:" >&2; tail -n 3 "$WORK/pack-$n.compile.err" >&2; exit 1; }
    t1=$(date +%s%N)
    COMPILE_S[$n]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    exhunt_cmd "$WORK/pack-$n.exhpack" "$WORK/exhunt-pack-$n.jsonl"
    add_case "exhunt-pack-$n" "${EXCMD[@]}"
    JSONL[exhunt-pack-$n]="$WORK/exhunt-pack-$n.jsonl"
done
FIRST=${NS[0]}
LAST=${NS[-1]}
# Loading alone: the largest set on no evidence, from its folder and from its pack.
mkdir -p "$WORK/empty"
LOADCMD=(scan "$WORK/empty" --no-builtin-rules --no-file-scan --no-exposure --quiet --threads 2)
add_case "load-folder-$LAST" "$EXHUNT" "${LOADCMD[@]}" --sigma "$WORK/rules-$LAST"
add_case "load-pack-$LAST" "$EXHUNT" "${LOADCMD[@]}" --sigma "$WORK/pack-$LAST.exhpack"
# The smallest and largest packs over COPIES times the evidence.
# (The same command as the one-copy runs, JSONL included, so that the difference is the evidence.)
for n in "$FIRST" "$LAST"; do
    add_case "volume-pack-$n" "$EXHUNT" scan "$VOLUME" --no-builtin-rules --no-file-scan --no-exposure \
        --quiet --threads 2 --jsonl "$WORK/volume-pack-$n.jsonl" --sigma "$WORK/pack-$n.exhpack"
    JSONL[volume-pack-$n]="$WORK/volume-pack-$n.jsonl"
done
for name in "${ORDER[@]}"; do eval "${CASE[$name]}" > /dev/null 2>&1 || true; done # warm-up
for ((i = 1; i <= RUNS; i++)); do
    for name in "${ORDER[@]}"; do eval "time_one $name ${CASE[$name]}"; done
done

result floor
FLOOR=$WALL FLOOR_RSS=$RSS
declare -A EXW EXR PKW
printf 'rules\tloaded\twall_s\trss_mb\tfindings\n' > "$OUT/sigma-scaling.tsv"
printf 'rules\tcompile_s\tpack_mb\twall_s\trss_mb\tfindings\n' > "$OUT/sigma-scaling-pack.tsv"
for n in "${NS[@]}"; do
    result "exhunt-$n"
    EXW[$n]=$WALL EXR[$n]=$RSS
    printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$(loaded "$WORK/exhunt-$n.jsonl")" "$WALL" "$RSS" \
        "$(count "$WORK/exhunt-$n.jsonl" finding)" >> "$OUT/sigma-scaling.tsv"
    result "exhunt-pack-$n"
    PKW[$n]=$WALL
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "${COMPILE_S[$n]}" \
        "$(awk -v s="$(stat -c %s "$WORK/pack-$n.exhpack")" 'BEGIN { printf "%.1f", s / 1e6 }')" "$WALL" "$RSS" \
        "$(count "$WORK/exhunt-pack-$n.jsonl" finding)" >> "$OUT/sigma-scaling-pack.tsv"
done
result "load-folder-$LAST"
LOAD_FOLDER=$WALL
result "load-pack-$LAST"
LOAD_PACK=$WALL
result "volume-pack-$FIRST"
VOL_FIRST=$WALL
result "volume-pack-$LAST"
VOL_LAST=$WALL
# Each copy is hunted as the files it copies: COPIES times their findings.
for n in "$FIRST" "$LAST"; do
    one=$(count "$WORK/exhunt-pack-$n.jsonl" finding) many=$(count "$WORK/volume-pack-$n.jsonl" finding)
    if (( many != one * COPIES )); then
        echo "sigma_scaling.sh: $COPIES copies gave $many findings with $n rules, not $COPIES × $one" >&2
        exit 1
    fi
done

calc() { awk "BEGIN { printf \"$1\", $2 }"; }
PEER_ROWS=""
if [[ $PEERS -eq 1 ]]; then
    for n in "$FIRST" "$LAST"; do
        measure "chainsaw-$n" "$CHAINSAW" hunt "$EVTX" -s "$WORK/rules-$n" --mapping "$MAPPING" \
            --json -o "$WORK/chainsaw-$n.json"
        CS_LOADED=$(grep -o 'Loaded [0-9]* detection rules' "$WORK/chainsaw-$n.err" | grep -o '[0-9]*' | head -n 1)
        CS_HITS=$(grep -o '[0-9]* Detections found' "$WORK/chainsaw-$n.err" | grep -o '^[0-9]*' | head -n 1)
        PEER_ROWS+="| chainsaw 2.16.4, same $n rule files ($CS_LOADED loaded, $CS_HITS detections) + its SigmaHQ mapping | $WALL | $RSS | **$(calc '%.3f' "${EXW[$n]} / $WALL")×** |"$'\n'
        [[ $n == "$LAST" ]] && CS_LAST=$WALL
    done
    if [[ -x "$HAYABUSA_DIR/hayabusa" ]]; then
        measure hayabusa bash -c "cd '$HAYABUSA_DIR' && rm -f '$PWD/$WORK/hayabusa.jsonl' && ./hayabusa dfir-timeline -d '$EVTX' -o '$PWD/$WORK/hayabusa.jsonl' -t jsonl -w -q"
        PEER_ROWS+="| hayabusa 4.0.0, its own rule set | $WALL | $RSS | $(calc '%.3f' "${EXW[$LAST]} / $WALL")× |"$'\n'
    fi
fi

{
    echo "### Sigma scaling: exhunt from $FIRST to $LAST SigmaHQ Windows rules"
    echo
    echo "EVTX: $EVTX_FILES files, $((EVTX_BYTES / 1000000)) MB (shared/corpus/evtx: mdecrevoisier__EVTX-to-MITRE-Attack, SigmaHQ__sigma regression data)."
    echo "Rules: nested subsets of SigmaHQ rules/windows ($TOTAL files). 2 threads, hot page cache, 1 warm-up round + $RUNS rounds of every exhunt case in turn (peers: 1 warm-up + $RUNS runs), median wall; $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores."
    echo
    echo "| Sigma rule files | loaded | exhunt wall (s) | peak RSS (MB) | findings |"
    echo "|---:|---:|---:|---:|---:|"
    echo "| 0 (parse only) | 0 | $FLOOR | $FLOOR_RSS | |"
    tail -n +2 "$OUT/sigma-scaling.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }'
    echo
    echo "Full set / $FIRST rules: **$(calc '%.2f' "${EXW[$LAST]} / ${EXW[$FIRST]}")×** the time (goal ≤ 2×) for $(calc '%.1f' "$LAST / $FIRST")× the rules."
    echo
    echo "The same rule sets compiled into packs (\`exhunt rules compile --sigma DIR -o PACK\`, then \`--sigma PACK\`):"
    echo
    echo "| Sigma rule files | compile (s) | pack (MB) | exhunt wall from the pack (s) | peak RSS (MB) | findings |"
    echo "|---:|---:|---:|---:|---:|---:|"
    tail -n +2 "$OUT/sigma-scaling-pack.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }'
    echo
    echo "From packs, full set / $FIRST rules: **$(calc '%.2f' "${PKW[$LAST]} / ${PKW[$FIRST]}")×** the time."
    echo
    echo "Where the time went, by exhunt's own account (JSONL summary: \`build_seconds\`, the events hunter's \`seconds\`; medians):"
    echo
    echo "| rules | source | hunters built (s) | events hunted (s) |"
    echo "|---:|---|---:|---:|"
    for n in "$FIRST" "$LAST"; do
        echo "| $n | folder | $(secs "${BUILD[exhunt-$n]}") | $(secs "${HUNT[exhunt-$n]}") |"
        echo "| $n | pack | $(secs "${BUILD[exhunt-pack-$n]}") | $(secs "${HUNT[exhunt-pack-$n]}") |"
    done
    echo
    echo "The events hunt alone, full set / $FIRST rules (from packs): **$(calc '%.2f' "$(secs "${HUNT[exhunt-pack-$LAST]}") / $(secs "${HUNT[exhunt-pack-$FIRST]}")")×**."
    echo
    echo "Loading the $LAST rules alone (no evidence): $LOAD_FOLDER s from the folder, $LOAD_PACK s from the pack ($(calc '%.2f' "$LOAD_PACK / $LOAD_FOLDER")×)."
    echo
    echo "The same EVTX $COPIES times ($((EVTX_FILES * COPIES)) files, $((EVTX_BYTES * COPIES / 1000000)) MB read, the volume of a server's logs with the same mix of events; hard links, so the page cache holds $((EVTX_BYTES / 1000000)) MB), from packs, $COPIES × the findings: $FIRST rules $VOL_FIRST s, all $LAST $VOL_LAST s: **$(calc '%.2f' "$VOL_LAST / $VOL_FIRST")×**. Each further copy of the evidence cost $(calc '%.3f' "($VOL_FIRST - ${PKW[$FIRST]}) / ($COPIES - 1)") s with $FIRST rules and $(calc '%.3f' "($VOL_LAST - ${PKW[$LAST]}) / ($COPIES - 1)") s with $LAST (**$(calc '%.2f' "($VOL_LAST - ${PKW[$LAST]}) / ($VOL_FIRST - ${PKW[$FIRST]})")×** per unit of evidence); the rest of the full set's single-copy time, $(calc '%.3f' "${PKW[$LAST]} - ($VOL_LAST - ${PKW[$LAST]}) / ($COPIES - 1)") s, is paid once per run (loading, indexing, automata and regexes built on first use, exit, and the two threads' uneven finish of one copy's 478 files)."
    if [[ -n "$PEER_ROWS" ]]; then
        echo
        echo "| peer | wall (s) | peak RSS (MB) | exhunt / peer (same rule count) |"
        echo "|---|---:|---:|---:|"
        printf '%s' "$PEER_ROWS"
        echo
        echo "exhunt / chainsaw on the full set: **$(calc '%.3f' "${EXW[$LAST]} / $CS_LAST")×** (goal ≤ 0.1×)."
    fi
} | tee "$OUT/sigma-scaling-results.md"

BEFORE=()
[[ -f bench/sigma-scaling-before.tsv ]] && BEFORE=(--before bench/sigma-scaling-before.tsv)
python3 bench/plot_scaling.py "$OUT/sigma-scaling.tsv" "$FLOOR" "$OUT/sigma-scaling.svg" "${BEFORE[@]}"
echo "(plot: $OUT/sigma-scaling.svg)"
