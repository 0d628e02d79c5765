"""Server-rendered SVG bar charts for the reports page: no JavaScript, readable on a 390 px phone.

Each chart is drawn in a 360-unit-wide viewBox (about one CSS pixel per unit on a phone) and
repeats nothing a screen reader needs: the table under it carries the same figures. A count
under the small-count rule is drawn as a hatched band, never at its true height.
"""
from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

WIDTH = 360
FONT = 12


def _nice_max(value: float) -> int:
    """A round axis top at or above value (5, 10, 20, 50, 100, ...)."""
    top = 5
    while top < value:
        for step in (2, 2.5, 2):
            top = int(top * step)
            if top >= value:
                break
    return top


def _hatch(uid: str) -> str:
    return (f'<defs><pattern id="hatch-{uid}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#dfe7f1"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#0b5cad" stroke-width="2"/></pattern></defs>')


def _label(value) -> str:
    if isinstance(value, date):
        return value.strftime("%d %b")
    return str(value)


def columns(uid: str, title: str, series: list[tuple[object, object]]) -> Markup:
    """Vertical bars over days or hours; a few axis labels so they never overlap at 390 px."""
    height, left, bottom, top = 170, 30, 22, 8
    plot_w, plot_h = WIDTH - left - 4, height - bottom - top
    peak = _nice_max(max([c.plot for _, c in series] + [1]))
    n = max(len(series), 1)
    slot = plot_w / n
    every = max(1, round(n / 6))
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart-{uid}-title" '
             f'focusable="false" font-size="{FONT}" font-family="system-ui, sans-serif">',
             f'<title id="chart-{uid}-title">{escape(title)}: bar chart; the same figures are in the table below</title>',
             _hatch(uid)]
    for tick in (0, peak // 2, peak):
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line x1="{left}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dbe1"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#1b1f24">{tick}</text>')
    for i, (label, count) in enumerate(series):
        h = plot_h * count.plot / peak
        x, y = left + i * slot + slot * 0.12, top + plot_h - h
        fill = f"url(#hatch-{uid})" if count.hidden else "#0b5cad"
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.76:.1f}" height="{h:.1f}" fill="{fill}">'
                     f'<title>{escape(_label(label))}: {escape(count.shown)}</title></rect>')
        # Every few bars a label, and always the last one, anchored at its end so it stays inside.
        last = i == n - 1
        if last or (i % every == 0 and n - 1 - i > every):
            anchor = "end" if last and n > 1 else "middle"
            x_text = left + (i + 1) * slot if anchor == "end" else left + i * slot + slot / 2
            parts.append(f'<text x="{x_text:.1f}" y="{height - 6}" text-anchor="{anchor}" '
                         f'fill="#1b1f24">{escape(_label(label))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(uid: str, title: str, series: list[tuple[object, object]]) -> Markup:
    """Horizontal bars for categories: the name above each bar, the figure at its end."""
    row, top = 36, 4
    height = top + row * max(len(series), 1)
    peak = _nice_max(max([c.plot for _, c in series] + [1]))
    usable = WIDTH - 90
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart-{uid}-title" '
             f'focusable="false" font-size="{FONT + 1}" font-family="system-ui, sans-serif">',
             f'<title id="chart-{uid}-title">{escape(title)}: bar chart; the same figures are in the table below</title>',
             _hatch(uid)]
    for i, (label, count) in enumerate(series):
        y = top + i * row
        w = usable * count.plot / peak
        fill = f"url(#hatch-{uid})" if count.hidden else "#0b5cad"
        parts.append(f'<text x="0" y="{y + 12}" fill="#1b1f24">{escape(_label(label))}</text>'
                     f'<rect x="0" y="{y + 16}" width="{max(w, 1):.1f}" height="14" fill="{fill}">'
                     f'<title>{escape(_label(label))}: {escape(count.shown)}</title></rect>'
                     f'<text x="{max(w, 1) + 6:.1f}" y="{y + 27}" fill="#1b1f24">{escape(count.shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
