"""Server-side SVG charts: bar, line, funnel and heat map, as plain SVG strings.

No chart library: the same markup goes inline into the web page and into the PDF (WeasyPrint
draws SVG as vectors). Text uses the DejaVu Sans family so that Cyrillic renders in the PDF.
Every function returns a complete ``<svg>`` element with a ``role="img"`` and a title.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from django.utils.formats import number_format

FONT = "DejaVu Sans, Noto Sans, Arial, sans-serif"
INK = "#1f2430"
MUTED = "#6b7280"
GRID = "#e3e6ee"
ACCENT = "#3f51e0"
SECOND = "#22a06b"
TARGET = "#d9480f"


def _num(value: float | None) -> str:
    """A short label: 1 234, 12.5 k, 3.4 M."""
    if value is None:
        return "—"
    size = abs(value)
    if size >= 1_000_000:
        return f"{_decimal(value / 1_000_000, 1).removesuffix(_decimal(0.0, 1)[1:])} M"
    if size >= 10_000:
        return f"{value / 1000:.0f} k"
    if size >= 1000 or float(value).is_integer():
        return f"{value:,.0f}".replace(",", "\u202f")
    return _decimal(value, 1)


def _decimal(value: float, places: int) -> str:
    """A decimal in the active language's way (12,5 in Russian, 12.5 in English), so a chart
    and the table beside it write one number alike."""
    return number_format(round(float(value), places), places, use_l10n=True)


def _open(width: int, height: int, title: str, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" font-size="11" fill="{INK}">',
        f"<title>{escape(title)}</title>",
    ]


def _text(x: float, y: float, text: str, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _empty(width: int, height: int, title: str, kind: str, note: str) -> str:
    parts = _open(width, height, title, kind)
    parts.append(f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" '
                 f'fill="none" stroke="{GRID}"/>')  # fmt: skip
    parts.append(_text(width / 2, height / 2, note, "middle", fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def bar(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    width: int = 640,
    second: Sequence[float | None] | None = None,
    markers: Sequence[float | None] | None = None,
    unit: str = "",
    legend: Sequence[str] = (),
    empty: str = "—",
) -> str:
    """Horizontal bars, one row per item; an optional second bar per row and a marker line
    (e.g. planned vs published with the target share)."""
    values = [v or 0 for _label, v in items] + [v or 0 for v in (second or [])]
    values += [v or 0 for v in (markers or [])]
    if not items or not any(values):
        return _empty(width, 60, title, "bar", empty)
    label_w, right = 230, 60
    row = 30 if second is not None else 22
    top = 18 if legend else 4
    height = top + row * len(items) + 6
    scale = (width - label_w - right) / max(values)
    parts = _open(width, height, title, "bar")
    for i, name in enumerate(legend):
        color = (ACCENT, SECOND, TARGET)[i % 3]
        x = label_w + i * 130
        parts.append(f'<rect x="{x}" y="3" width="10" height="10" fill="{color}"/>')
        parts.append(_text(x + 14, 12, name, font_size="10", fill=MUTED))
    for i, (label, value) in enumerate(items):
        y = top + i * row
        name = label if len(label) <= 34 else label[:33] + "…"
        parts.append(_text(label_w - 8, y + 14, name, "end", font_size="10"))
        h = 12 if second is not None else 14
        w = (value or 0) * scale
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{h}" '
                     f'fill="{ACCENT}" rx="2"/>')  # fmt: skip
        parts.append(_text(label_w + w + 4, y + 4 + h - 2, _num(value) + unit, font_size="10"))
        if second is not None:
            other = second[i] or 0
            w2 = other * scale
            parts.append(f'<rect x="{label_w}" y="{y + 17}" width="{w2:.1f}" height="{h}" '
                         f'fill="{SECOND}" rx="2"/>')  # fmt: skip
            parts.append(_text(label_w + w2 + 4, y + 27, _num(second[i]) + unit, font_size="10"))
        if markers is not None and markers[i] is not None:
            x = label_w + markers[i] * scale
            parts.append(f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + row - 1}" '
                         f'stroke="{TARGET}" stroke-width="2"/>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def line(
    points: Sequence[tuple[dt.date, float | None]],
    *,
    title: str,
    width: int = 640,
    height: int = 200,
    empty: str = "—",
    missing_as_zero: bool = False,
) -> str:
    """A daily series as a line with dots; gaps (None) break the line, or count as 0 when
    ``missing_as_zero`` (a day without posts has no reach)."""
    if not points or not any(v for _d, v in points):
        return _empty(width, 60, title, "line", empty)
    if missing_as_zero:
        points = [(day, value or 0) for day, value in points]
    left, right, top, bottom = 52, 12, 10, 26
    top_value = max(v or 0 for _d, v in points) or 1
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)
    parts = _open(width, height, title, "line")
    for i in range(5):  # grid lines with values
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{GRID}"/>')  # fmt: skip
        parts.append(_text(left - 6, y + 4, _num(value), "end", font_size="9", fill=MUTED))
    segments: list[list[str]] = [[]]
    for i, (_day, value) in enumerate(points):
        if value is None:
            segments.append([])
            continue
        x, y = left + i * step, top + plot_h - plot_h * value / top_value
        segments[-1].append(f"{x:.1f},{y:.1f}")
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{ACCENT}" '
                         f'stroke-width="2" stroke-linejoin="round"/>')  # fmt: skip
        for xy in seg:
            x, y = xy.split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{ACCENT}"/>')
    every = max(1, round(len(points) / 8))
    for i, (day, _value) in enumerate(points):
        last = i == len(points) - 1 and (i % every) * 2 >= every
        if i % every == 0 or last:
            x = left + i * step
            parts.append(_text(x, height - 8, day.strftime("%d.%m"), "middle",
                               font_size="9", fill=MUTED))  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def funnel(
    steps: Sequence[tuple[str, float | None, float | None]],
    *,
    title: str,
    width: int = 640,
    empty: str = "—",
) -> str:
    """Funnel steps as centred bars of decreasing width: (label, value, conversion % from the
    previous step). Widths are proportional to the square root so later steps stay visible."""
    if not steps or not any(v for _l, v, _c in steps):
        return _empty(width, 60, title, "funnel", empty)
    row, label_w, right = 40, 150, 110
    height = row * len(steps) + 4
    plot_w = width - label_w - right
    first = max(v or 0 for _l, v, _c in steps) or 1
    parts = _open(width, height, title, "funnel")
    for i, (label, value, conversion) in enumerate(steps):
        y = 2 + i * row
        w = max(plot_w * ((value or 0) / first) ** 0.5, 2)
        x = label_w + (plot_w - w) / 2
        shade = (ACCENT, "#5b6be6", "#7d89ec", "#a1a9f1", "#c3c8f6")[min(i, 4)]
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" '
                     f'fill="{shade}" rx="3"/>')  # fmt: skip
        parts.append(_text(label_w - 8, y + row / 2, label, "end"))
        if w > 60:  # the value inside a wide bar, beside a narrow one
            parts.append(_text(label_w + plot_w / 2, y + row / 2 + 1, _num(value), "middle",
                               font_weight="bold", fill="#ffffff"))  # fmt: skip
        else:
            parts.append(_text(x + w + 6, y + row / 2 + 1, _num(value), font_weight="bold"))
        if conversion is not None:
            parts.append(_text(width - right + 8, y + row / 2, f"→ {_decimal(conversion, 1)} %",
                               fill=MUTED, font_size="10"))  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    width: int = 640,
    empty: str = "—",
) -> str:
    """A grid of cells shaded by value (e.g. weekday x hour); None cells stay blank."""
    flat = [v for line_ in values for v in line_ if v is not None]
    if not flat or not any(flat):
        return _empty(width, 60, title, "heatmap", empty)
    label_w, top, cell_h = 40, 18, 20
    cell_w = (width - label_w - 4) / max(len(columns), 1)
    height = top + cell_h * len(rows) + 4
    peak = max(flat) or 1
    parts = _open(width, height, title, "heatmap")
    for j, name in enumerate(columns):
        parts.append(_text(label_w + j * cell_w + cell_w / 2, 12, name, "middle",
                           font_size="9", fill=MUTED))  # fmt: skip
    for i, name in enumerate(rows):
        y = top + i * cell_h
        parts.append(_text(label_w - 6, y + 14, name, "end", font_size="10"))
        for j, value in enumerate(values[i]):
            x = label_w + j * cell_w
            if value is None or value == 0:
                fill, opacity = GRID, 0.5
            else:
                fill, opacity = ACCENT, 0.15 + 0.85 * value / peak
            parts.append(f'<rect x="{x + 1:.1f}" y="{y + 1}" width="{cell_w - 2:.1f}" '
                         f'height="{cell_h - 2}" fill="{fill}" fill-opacity="{opacity:.2f}" '
                         f'rx="2"><title>{escape(name)} {escape(columns[j])}: '
                         f"{_num(value)}</title></rect>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
