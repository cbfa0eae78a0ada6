#!/usr/bin/env bash
# Scale benchmark: one full `exhunt scan` (logs, event logs, files, exposure; JSONL, HTML and
# CSV timeline written) over a generated ~10 GB evidence tree of one Exchange server, in the
# proportions of a real collection: IIS and HttpProxy logs (~8 GB), Security event logs
# (~1.5 GB), web roots with pages, scripts and images, and staging folders (~0.5 GB).
# Goal: peak RSS <= 300 MB. Measures wall time, throughput and peak RSS with /usr/bin/time -v.
#
# Usage: bench/scale.sh [GB=10]   Results: bench/out/scale-results.md.
# The tree goes to $SCALE_DIR (default /tmp/exhunt-scale; a tmpfs such as /dev/shm spares the
# disk) and is deleted afterwards unless KEEP=1. It needs GB + 1 GB of free space.
# STEP=gen only generates (and keeps) the tree, STEP=scan only scans a kept tree: generate
# first, then time the scan alone with `quiet` (see bench/README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
gb="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
work="${SCALE_DIR:-/tmp/exhunt-scale}"
command -v /usr/bin/time >/dev/null || apt-get install -y time >/dev/null
cargo build -q --release -p exhunt
cargo build -q --release -p exhunt-events --example evtx_bench
exhunt="$CARGO_TARGET_DIR/release/exhunt"
mkdir -p bench/out
step="${STEP:-all}"
[ "${KEEP:-0}" = 1 ] || [ "$step" = gen ] || trap 'rm -rf "$work"' EXIT
root="$work/EX01/C"
if [ "$step" != scan ]; then
rm -rf "$work"
mkdir -p "$root"

# Shares of the total: text logs 82 %, event logs 15 %, files 3 %.
logs_gb=$(echo "scale=3; $gb * 0.82" | bc)
evtx_mb=$(echo "$gb * 1000 * 15 / 100" | bc)
files_mb=$(echo "$gb * 1000 * 3 / 100" | bc)
start=$(date +%s)
echo "generating $logs_gb GB of IIS/HttpProxy logs"
python3 bench/gen_logs.py "$root" --size-gb "$logs_gb" --manifest "$work/planted.json" > /dev/null
echo "generating $evtx_mb MB of EVTX"
"$CARGO_TARGET_DIR/release/examples/evtx_bench" gen "$work" "$evtx_mb" > /dev/null
echo "generating $files_mb MB of files"
python3 - "$root" "$files_mb" <<'PY'
import os, random, sys
root, mb = sys.argv[1], int(sys.argv[2])
random.seed(11)
words = "order customer invoice report product list detail edit view search account".split()
def page(i):
    body = "\n".join(f'<asp:Label runat="server" ID="l{j}" Text="<%# Eval(\\"{random.choice(words)}\\") %>" />' for j in range(random.randint(5, 60)))
    return f'<%@ Page Language="C#" CodeBehind="p{i}.aspx.cs" Inherits="Intranet.P{i}" %>\n{body}\n'.encode()
def script(i):
    return "".join(f"function f{i}_{j}(a){{ return a.{random.choice(words)} + {j}; }}\n" for j in range(random.randint(10, 200))).encode()
def image(i):
    return b"\x89PNG\r\n\x1a\n" + os.urandom(random.randint(500, 40000))
budget = mb * 1_000_000
used = 0
kinds = [("aspx", page), ("js", script), ("png", image), ("css", script), ("htm", page)]
web = os.path.join(root, "inetpub", "wwwroot")
ex = os.path.join(root, "Program Files", "Microsoft", "Exchange Server", "V15", "FrontEnd", "HttpProxy")
i = 0
# Web roots: about two thirds of the file bytes, in many small files.
while used < budget * 2 // 3:
    top = web if i % 3 else os.path.join(ex, ["owa", "ecp", "ews"][(i // 3) % 3])
    d = os.path.join(top, f"app{i % 40}", f"sub{(i // 40) % 25}")
    os.makedirs(d, exist_ok=True)
    ext, gen = kinds[i % len(kinds)]
    data = gen(i)
    open(os.path.join(d, f"f{i}.{ext}"), "wb").write(data)
    used += len(data)
    i += 1
os.makedirs(os.path.join(web, "aspnet_client", "system_web"), exist_ok=True)
open(os.path.join(web, "aspnet_client", "system_web", "qwertyui.aspx"), "w").write(
    '<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>')
# Staging folders: a few large binaries (installers, dumps, archives).
staging = [os.path.join(root, "ProgramData", "Vendor"), os.path.join(root, "Windows", "Temp")]
j = 0
while used < budget:
    d = staging[j % 2]
    os.makedirs(d, exist_ok=True)
    n = min(24_000_000, budget - used)
    with open(os.path.join(d, f"update{j}.bin"), "wb") as f:
        f.write(os.urandom(n))
    used += n
    j += 1
print(f"{i} web files, {j} staging files")
PY
echo "generated in $(( $(date +%s) - start ))s"
fi
[ "$step" = gen ] && exit 0
files=$(find "$work/EX01" -type f | wc -l)
bytes=$(du -sb "$work/EX01" | cut -f1)
echo "tree: $files files, $bytes bytes"
sync
out="$work/out"; mkdir -p "$out"
status=0
/usr/bin/time -v "$exhunt" scan "$work/EX01" --quiet --jsonl "$out/scan.jsonl" \
    --html "$out/report.html" --timeline "$out/timeline.csv" 2> "$out/time.txt" || status=$?
[ "$status" -le 1 ] || { cat "$out/time.txt"; echo "exhunt failed with $status"; exit 1; }
cp "$out/time.txt" bench/out/scale-time.txt
wall=$(grep 'Elapsed (wall clock)' "$out/time.txt" | awk '{print $NF}')
rss_kb=$(grep 'Maximum resident set size' "$out/time.txt" | awk '{print $NF}')
secs=$(python3 -c 'import sys; p=sys.argv[1].split(":"); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))' "$wall")
summary=$(tail -n 1 "$out/scan.jsonl")
findings=$(grep -c '"kind":"finding"' "$out/scan.jsonl" || true)
cov=$(python3 - "$summary" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
print(", ".join("%s %d files / %.2f GB" % (k, v["files"], v["bytes"] / 1e9) for k, v in s["coverage"].items()))
PY
)
{
    echo "### Scale: one full scan of a ${gb} GB evidence tree"
    echo
    echo "Data: $files files, $(echo "scale=2; $bytes / 1000000000" | bc) GB (\`bench/scale.sh $gb\`: IIS + HttpProxy logs from \`bench/gen_logs.py\`, Security EVTX from \`evtx_bench gen\`, web roots and staging binaries), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); the page cache held what fit."
    echo
    echo "| what | value |"
    echo "|---|---:|"
    echo "| wall time | ${secs} s |"
    echo "| throughput | $(echo "scale=0; $bytes / 1000000 / $secs" | bc) MB/s |"
    echo "| peak RSS | $((rss_kb / 1024)) MB (goal <= 300) |"
    echo "| findings | $findings |"
    echo "| read | $cov |"
    echo
    echo "Outputs written: JSONL $(du -h "$out/scan.jsonl" | cut -f1), HTML $(du -h "$out/report.html" | cut -f1), CSV $(du -h "$out/timeline.csv" | cut -f1)."
} | tee bench/out/scale-results.md
