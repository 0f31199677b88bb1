"""Inline SVG charts for the HTML report: a dot-and-interval plot on a log axis (a ratio of 2x
and one of 0.5x are equally far from 1x), one row per group, one marker per series.

Output is deterministic (coordinates rounded to 0.1) and needs no fonts, scripts or network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from auditor.reporters.common import ChartPoint
from auditor.reporters.markup import html_text

COLORS = ("#d1495b", "#00798c", "#edae49", "#66a182")
MARKERS = ("diamond", "circle", "square", "triangle")
NICE_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

WIDTH = 760
LABEL_W = 170
RIGHT_PAD = 30
ROW_H = 22
GROUP_GAP = 10
TOP = 46
AXIS_H = 40


def _f(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def forest_svg(
    points: Sequence[ChartPoint],
    *,
    title: str,
    reference: float = 1.0,
    reference_label: str = "1x",
    css_class: str = "chart",
) -> str:
    """An SVG of `points` grouped by `group`; an empty string when there is nothing to plot."""
    if not points:
        return ""
    groups: dict[str, list[ChartPoint]] = {}
    for p in points:
        groups.setdefault(p.group, []).append(p)
    series = list(dict.fromkeys(p.series for p in points))

    values = [reference]
    for p in points:
        values.append(p.value)
        if p.ci is not None:
            values += [v for v in p.ci if v > 0]
    lo, hi = math.log10(min(values)), math.log10(max(values))
    pad = max((hi - lo) * 0.08, 0.05)
    lo, hi = lo - pad, hi + pad
    plot_w = WIDTH - LABEL_W - RIGHT_PAD

    def x_of(v: float) -> float:
        return LABEL_W + (math.log10(max(v, 1e-12)) - lo) / (hi - lo) * plot_w

    rows = sum(len(g) for g in groups.values())
    plot_h = rows * ROW_H + (len(groups) - 1) * GROUP_GAP
    height = TOP + plot_h + AXIS_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{html_text(css_class)}" '
        f'width="{WIDTH}" height="{_f(height)}" viewBox="0 0 {WIDTH} {_f(height)}" '
        f'role="img" aria-label="{html_text(title)}">',
        f"<title>{html_text(title)}</title>",
        f'<text x="{LABEL_W}" y="18" class="chart-title">{html_text(title)}</text>',
    ]
    # legend
    lx = LABEL_W
    for i, name in enumerate(series):
        out.append(_marker(MARKERS[i % len(MARKERS)], lx + 6, 34, COLORS[i % len(COLORS)]))
        out.append(f'<text x="{_f(lx + 16)}" y="38" class="legend">{html_text(name)}</text>')
        lx += 24 + 7 * len(name)
    # axis ticks and grid
    base = TOP + plot_h
    ticks = [t for t in NICE_TICKS if lo <= math.log10(t) <= hi]
    for t in ticks:
        x = x_of(t)
        out.append(f'<line x1="{_f(x)}" y1="{TOP - 4}" x2="{_f(x)}" y2="{_f(base)}" class="grid"/>')
        label = f"{t:g}x"
        out.append(
            f'<text x="{_f(x)}" y="{_f(base + 16)}" text-anchor="middle" class="tick">'
            f"{label}</text>"
        )
    rx = x_of(reference)
    out.append(
        f'<line x1="{_f(rx)}" y1="{TOP - 4}" x2="{_f(rx)}" y2="{_f(base)}" class="reference"/>'
    )
    out.append(
        f'<text x="{_f(rx)}" y="{_f(base + 32)}" text-anchor="middle" class="tick">'
        f"{html_text(reference_label)}</text>"
    )
    # rows
    y = float(TOP)
    for gi, (group, pts) in enumerate(groups.items()):
        if gi:
            y += GROUP_GAP
        out.append(
            f'<text x="{LABEL_W - 8}" y="{_f(y + ROW_H * len(pts) / 2 + 4)}" '
            f'text-anchor="end" class="label">{html_text(group)}</text>'
        )
        for p in pts:
            cy = y + ROW_H / 2
            si = series.index(p.series)
            color = COLORS[si % len(COLORS)]
            ci = f" [{p.ci[0]:.2f}, {p.ci[1]:.2f}]" if p.ci else ""
            tip = html_text(f"{group}, {p.series}: {p.value:.2f}x{ci}")
            out.append(f'<g class="point"><title>{tip}</title>')
            if p.ci is not None:
                x1, x2 = x_of(p.ci[0]), x_of(p.ci[1])
                out.append(
                    f'<line x1="{_f(x1)}" y1="{_f(cy)}" x2="{_f(x2)}" y2="{_f(cy)}" '
                    f'stroke="{color}" class="interval"/>'
                )
                for xe in (x1, x2):
                    out.append(
                        f'<line x1="{_f(xe)}" y1="{_f(cy - 4)}" x2="{_f(xe)}" y2="{_f(cy + 4)}" '
                        f'stroke="{color}" class="interval"/>'
                    )
            out.append(_marker(MARKERS[si % len(MARKERS)], x_of(p.value), cy, color))
            out.append(
                f'<text x="{_f(min(x_of(p.value) + 8, WIDTH - 4))}" y="{_f(cy - 5)}" '
                f'class="value">{p.value:.2f}x</text></g>'
            )
            y += ROW_H
    out.append("</svg>")
    return "\n".join(out)


def _marker(kind: str, x: float, y: float, color: str) -> str:
    if kind == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="5" fill="{color}" class="marker"/>'
    if kind == "square":
        return (
            f'<rect x="{_f(x - 4.5)}" y="{_f(y - 4.5)}" width="9" height="9" fill="{color}" '
            'class="marker"/>'
        )
    if kind == "triangle":
        pts = f"{_f(x)},{_f(y - 5.5)} {_f(x + 5.5)},{_f(y + 4.5)} {_f(x - 5.5)},{_f(y + 4.5)}"
    else:  # diamond
        pts = f"{_f(x)},{_f(y - 6)} {_f(x + 6)},{_f(y)} {_f(x)},{_f(y + 6)} {_f(x - 6)},{_f(y)}"
    return f'<polygon points="{pts}" fill="{color}" class="marker"/>'
