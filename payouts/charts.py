"""Server-rendered SVG bar charts (no JavaScript, nothing from a CDN), accessible through a data table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bar_chart_svg(
    points: Sequence[tuple[dt.date, int]], *, title: str, width: int = 640, height: int = 200
) -> SafeString:
    n = max(1, len(points))
    top = max([v for _, v in points] + [1])
    pad_left, pad_bottom, pad_top = 48, 22, 10
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    bar_w = plot_w / n
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{pad_left}" y1="{pad_top + plot_h}" x2="{width - 8}" y2="{pad_top + plot_h}" stroke="#a9a8b5"/>',
        f'<text x="{pad_left - 6}" y="{pad_top + 10}" text-anchor="end" font-size="11" fill="#5b5a66">{top:,}</text>',
        f'<text x="{pad_left - 6}" y="{pad_top + plot_h}" text-anchor="end" font-size="11" fill="#5b5a66">0</text>',
    ]
    for i, (day, value) in enumerate(points):
        h = plot_h * value / top
        x = pad_left + i * bar_w + 1
        y = pad_top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" fill="#e0245e">'
            f"<title>{day:%b %d}: {value:,}</title></rect>"
        )
    step = max(1, n // 6)
    for i in range(0, n, step):
        x = pad_left + i * bar_w + bar_w / 2
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="11" fill="#5b5a66">'
            f"{points[i][0]:%b %d}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
