#!/usr/bin/env bash
# Detection and false-positive rates of the file hunter on ../shared/corpus: every web shell
# (and, separately, every benign file) is copied into an ORDINARY folder under
# inetpub/wwwroot of a temporary tree (so the location cannot help), scanned, and the share
# of files with at least one finding is printed. Nothing from the corpus enters the repo.
# Usage: bench/files_corpus.sh [release|debug]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile="${1:-release}"
corpus="${CORPUS:-../shared/corpus}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
flag=""; [ "$profile" = release ] && flag="--release"
${CARGO:-cargo} build -q $flag -p exhunt-files --example files_scan
bin="$CARGO_TARGET_DIR/$profile/examples/files_scan"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

run() { # $1 = label, $2 = corpus subfolder
    local tree="$work/$1"
    mkdir -p "$tree/inetpub/wwwroot/uploads" "$tree/Windows"
    local n=0
    while IFS= read -r -d '' f; do
        n=$((n+1))
        # Each file keeps its own name (name rules see what a server would show) in a folder
        # of its own, so that files of the same name do not overwrite each other.
        local dir; dir="$tree/inetpub/wwwroot/uploads/$(printf '%04d' $n)"
        mkdir -p "$dir"
        cp "$f" "$dir/$(basename "$f")"
    done < <(find "$corpus/$2" -type f ! -name INDEX.csv ! -path '*/licenses/*' -print0 | sort -z)
    "$bin" "$tree" --list --threads 2 > "$work/$1.txt" 2> "$work/$1.err"
    local flagged content
    flagged=$(cut -f3 "$work/$1.txt" | sort -u | wc -l)
    content=$(grep -E '^(EXH-FY|EXH-FC|EXH-FH)' "$work/$1.txt" | cut -f3 | sort -u | wc -l || true)
    local high
    high=$(awk -F'\t' '$2=="high"||$2=="critical"{print $3}' "$work/$1.txt" | sort -u | wc -l)
    printf '%s: %d files, flagged %d (%.1f%%), by content rules %d (%.1f%%), high/critical %d (%.1f%%)\n' \
        "$1" "$n" "$flagged" "$(echo "100*$flagged/$n" | bc -l)" "$content" "$(echo "100*$content/$n" | bc -l)" \
        "$high" "$(echo "100*$high/$n" | bc -l)"
    echo "  rules: $(cut -f1 "$work/$1.txt" | sort | uniq -c | sort -rn | awk '{printf "%s×%s ", $2, $1}')"
    if [ "${SHOW_FILES:-}" = 1 ]; then sort -k3 "$work/$1.txt" | sed 's/^/    /'; fi
    if [ "$1" = webshells ] && [ "${SHOW_MISSED:-}" = 1 ]; then
        comm -23 <(cd "$tree/inetpub/wwwroot/uploads" && find . -type f | sed 's#^\./##' | sort) \
                 <(cut -f3 "$work/$1.txt" | sed 's#.*/uploads/##' | sort -u) | sed 's/^/    missed: /'
    fi
    tail -3 "$work/$1.err" | sed 's/^/  /'
}
run webshells webshells
run benign benign
