#!/usr/bin/env python3
"""Draw the benchmark's median latencies as an SVG bar chart (log scale), no dependencies.

usage: chart.py report.csv chart.svg
The CSV has the columns of tviews_bench.report: scenario, approach, median_ms, verdict, ...
"""
import csv
import math
import sys
from collections import OrderedDict

COLORS = {
    "bare": "#9e9e9e", "pg_tviews": "#1f77b4", "pg_ivm": "#2ca02c", "manual": "#ff7f0e",
    "matview": "#d62728", "matview_concurrently": "#9467bd",
}


def main(src, dst):
    all_rows = list(csv.DictReader(open(src, newline="")))
    rows = [r for r in all_rows if r["median_ms"]]
    failed = {(r["scenario"], r["approach"]) for r in all_rows if not r["median_ms"] and r["verdict"].startswith("ERROR")}
    scenarios = OrderedDict()
    approaches = []
    for r in all_rows:
        scenarios.setdefault(r["scenario"], {})[r["approach"]] = r
        if r["approach"] not in approaches:
            approaches.append(r["approach"])
    values = [float(r["median_ms"]) for r in rows if float(r["median_ms"]) > 0]
    lo = 10 ** math.floor(math.log10(min(values))) if values else 0.01
    hi = 10 ** math.ceil(math.log10(max(values))) if values else 1000
    left, right, top, bar, gap = 170, 40, 60, 11, 14
    width = 900
    plot_w = width - left - right
    height = top + len(scenarios) * (len(approaches) * bar + gap) + 60

    def x(v):
        return left + plot_w * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">Median latency per change, statement + COMMIT (ms, log scale)</text>',
           f'<text x="{left}" y="38" fill="#555">Bars marked ✗ are results that did not equal the definition, or failed.</text>']
    decade = lo
    while decade <= hi * 1.0001:
        xx = x(decade)
        out.append(f'<line x1="{xx:.1f}" y1="{top - 8}" x2="{xx:.1f}" y2="{height - 50}" stroke="#ddd"/>')
        out.append(f'<text x="{xx:.1f}" y="{height - 36}" text-anchor="middle" fill="#555">{decade:g}</text>')
        decade *= 10
    y = top
    for scenario, by_app in scenarios.items():
        out.append(f'<text x="{left - 8}" y="{y + len(approaches) * bar / 2 + 4:.1f}" text-anchor="end" font-weight="bold">{scenario}</text>')
        for a in approaches:
            r = by_app.get(a)
            if (scenario, a) in failed:
                out.append(f'<text x="{left + 4}" y="{y + bar - 3}" fill="#b00">✗ {a} failed (see the report)</text>')
            elif r and r["median_ms"]:
                v = float(r["median_ms"])
                wrong = r["verdict"].startswith(("WRONG", "ERROR"))
                out.append(f'<rect x="{left}" y="{y}" width="{max(x(v) - left, 1):.1f}" height="{bar - 2}" fill="{COLORS.get(a, "#444")}"/>')
                out.append(f'<text x="{x(v) + 4:.1f}" y="{y + bar - 3}" fill="#333">{v:g}{" ✗" if wrong else ""}</text>')
            y += bar
        y += gap
    lx = left
    for a in approaches:
        out.append(f'<rect x="{lx}" y="{height - 22}" width="10" height="10" fill="{COLORS.get(a, "#444")}"/>')
        out.append(f'<text x="{lx + 14}" y="{height - 13}">{a}</text>')
        lx += 24 + 7 * len(a)
    out.append("</svg>")
    open(dst, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
