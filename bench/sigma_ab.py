#!/usr/bin/env python3
"""Interleaved A/B of exhunt binaries on the Sigma scaling data.

    python3 bench/sigma_ab.py OLD_BINARY NEW_BINARY [...]    (env: N=runs, default 9; T=threads,
                                                               default 2; PACK=1: rule packs)

Runs each binary in turn, N rounds, on the data `bench/sigma_scaling.sh` prepared under
target/sigma-bench (run it once first): 200 rules, all 2,407 rules, and all rules on an empty
folder (the cost of loading them); from the rule folders, or with PACK=1 from the packs the
script compiled (`pack-200.exhpack`, `pack-2407.exhpack`). Alternating the binaries keeps a machine whose speed drifts
from favouring one of them. Prints median / fastest wall and median CPU (user + system) per case,
and writes the same to bench/out/sigma-ab.txt.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "sigma-bench")


def run(binary, rules, evtx, threads):
    source = f"pack-{rules}.exhpack" if os.environ.get("PACK") == "1" else f"rules-{rules}"
    cmd = [binary, "scan", evtx, "--sigma", os.path.join(WORK, source),
           "--no-builtin-rules", "--no-file-scan", "--no-exposure", "--quiet", "--threads", threads]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    # 0: nothing found, 1: findings; anything else is a failed run, not a fast one.
    if done.returncode not in (0, 1):
        sys.exit(f"sigma_ab.py: {' '.join(cmd)} exited {done.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    binaries = sys.argv[1:]
    needed = "pack-2407.exhpack" if os.environ.get("PACK") == "1" else "rules-2407"
    if not binaries or not os.path.exists(os.path.join(WORK, needed)):
        sys.exit(__doc__)
    rounds, threads = int(os.environ.get("N", "9")), os.environ.get("T", "2")
    empty = tempfile.mkdtemp()
    cases = [("200", os.path.join(WORK, "evtx")), ("2407", os.path.join(WORK, "evtx")), ("2407", empty)]
    results = {}
    for _ in range(rounds):
        for b in binaries:
            for case in cases:
                results.setdefault((b, case), []).append(run(b, *case, threads))
    source = "rule packs" if os.environ.get("PACK") == "1" else "rule folders"
    lines = [f"{rounds} rounds, {threads} thread(s), {source}: median / fastest wall (ms), median CPU (ms)"]
    for b in binaries:
        row = []
        for case in cases:
            r = results[(b, case)]
            row.append((statistics.median(x[0] for x in r), min(x[0] for x in r),
                        statistics.median(x[1] for x in r)))
        (a, full, load) = row
        lines.append(f"{b}\n  200 rules {a[0]*1e3:.0f} / {a[1]*1e3:.0f}, cpu {a[2]*1e3:.0f}"
              f" | 2407 rules {full[0]*1e3:.0f} / {full[1]*1e3:.0f}, cpu {full[2]*1e3:.0f}"
              f" | loading 2407 {load[0]*1e3:.0f} / {load[1]*1e3:.0f}, cpu {load[2]*1e3:.0f}"
              f" | full / 200: {full[0]/a[0]:.2f}x")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    out = os.path.join(ROOT, "bench", "out")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "sigma-ab.txt"), "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
