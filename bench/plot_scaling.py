#!/usr/bin/env python3
"""Plot bench/sigma_scaling.sh's table as a small self-contained SVG (standard library only).

    plot_scaling.py SCALING.tsv FLOOR_SECONDS OUT.svg [--title TEXT]

SCALING.tsv has a header and the columns rules, loaded, wall_s, rss_mb, findings.
"""
import argparse
import html


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tsv")
    ap.add_argument("floor", type=float)
    ap.add_argument("out")
    ap.add_argument("--title", default="exhunt: wall time vs. Sigma rule count (SigmaHQ rules/windows)")
    ap.add_argument("--before", help="a second table of the same shape, drawn as the earlier engine")
    ap.add_argument("--before-label", default="before the literal index")
    a = ap.parse_args()

    def read(path):
        out = []
        with open(path) as fh:
            next(fh)
            for line in fh:
                f = line.rstrip("\n").split("\t")
                out.append((int(f[0]), float(f[2])))
        return sorted(out)

    rows = read(a.tsv)
    before = read(a.before) if a.before else []
    w, h, ml, mr, mt, mb = 640, 360, 60, 20, 40, 50
    xmax = max(r for r, _ in rows) * 1.05
    ymax = max([t for _, t in rows + before] + [a.floor]) * 1.25 or 1
    # a "linear" reference: the first point's time growing with the rule count
    r0, t0 = rows[0]
    lin = [(r, t0 * r / r0) for r, _ in rows]
    ymax = max(ymax, min(max(t for _, t in lin), ymax * 2.5))

    def x(v):
        return ml + (w - ml - mr) * v / xmax

    def y(v):
        return h - mb - (h - mt - mb) * min(v, ymax) / ymax

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="14">%s</text>' % (ml, html.escape(a.title))]
    # axes and grid
    for i in range(6):
        v = ymax * i / 5
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (ml, y(v), w - mr, y(v)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.2f s</text>' % (ml - 6, y(v) + 4, v))
    for r, _ in rows:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x(r), h - mb + 18, r))
    out.append('<text x="%d" y="%d" text-anchor="middle">Sigma rule files</text>' % ((w + ml) // 2, h - 10))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, h - mb, w - mr, h - mb))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, mt, ml, h - mb))
    # parse-only floor
    out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999" stroke-dasharray="4 4"/>' % (ml, y(a.floor), w - mr, y(a.floor)))
    out.append('<text x="%d" y="%.1f" fill="#666">parse only (no rules)</text>' % (w - mr - 150, y(a.floor) - 5))
    # linear reference
    pts = " ".join("%.1f,%.1f" % (x(r), y(t)) for r, t in lin)
    out.append('<polyline points="%s" fill="none" stroke="#e08080" stroke-dasharray="6 3"/>' % pts)
    out.append('<text x="%.1f" y="%.1f" fill="#c05050">linear in rule count</text>' % (x(lin[1][0]) + 6, y(lin[1][1]) - 6))
    # the earlier engine
    if before:
        pts = " ".join("%.1f,%.1f" % (x(r), y(t)) for r, t in before)
        out.append('<polyline points="%s" fill="none" stroke="#999" stroke-width="2"/>' % pts)
        for r, t in before:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#999"/>' % (x(r), y(t)))
        r, t = before[-1]
        out.append('<text x="%.1f" y="%.1f" fill="#777" text-anchor="end">%s: %.2f s</text>' % (x(r) - 6, y(t) - 6, html.escape(a.before_label), t))
    # measured
    pts = " ".join("%.1f,%.1f" % (x(r), y(t)) for r, t in rows)
    out.append('<polyline points="%s" fill="none" stroke="#1f5fbf" stroke-width="2"/>' % pts)
    for r, t in rows:
        out.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="#1f5fbf"/>' % (x(r), y(t)))
        out.append('<text x="%.1f" y="%.1f" fill="#1f5fbf" text-anchor="middle">%.2f</text>' % (x(r), y(t) - 8, t))
    out.append("</svg>")
    with open(a.out, "w") as fh:
        fh.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
