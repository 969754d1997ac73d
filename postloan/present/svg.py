"""Small inline SVG charts for pages repeated thousands of times (one per officer).

A matplotlib figure costs ~0.15 s to lay out and rasterise; these cost well under a
millisecond, print as vectors in the PDF and use the page's CJK font. Same rules as
charts.py: black and white, values written on the chart, a missing value left blank
and said so.
"""
from __future__ import annotations

import html
import math

FONT = 'font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"'


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="pl-svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(label)}" {FONT}>'
            + "".join(body) + "</svg>")


def _text(x, y, s, size=11, anchor="start", weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{html.escape(str(s))}</text>')


def hbars(labels: list[str], values: list[float | None], title: str, vmax: float = 100.0,
          missing: str = "样本不足", width: int = 430, ref: tuple[str, float] | None = None,
          digits: int = 1) -> str:
    """Horizontal bars, one per label, value written at the end; None is drawn as `missing`;
    `ref` (label, value) draws a dashed reference line (e.g. the bank's average)."""
    label_w, row, top = 150, 17, 22
    plot_w = width - label_w - 40
    height = top + row * len(labels) + 18
    body = [_text(width / 2, 14, title, 12, "middle", "bold")]
    for i, (lab, v) in enumerate(zip(labels, values)):
        y = top + i * row
        body.append(_text(label_w - 6, y + 12, lab, 10.5, "end"))
        if v is None or (isinstance(v, float) and math.isnan(v)):
            body.append(_text(label_w + 4, y + 12, missing, 10, "start"))
            continue
        w = max(0.0, min(v, vmax)) / vmax * plot_w
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                    f'fill="#c8c8c8" stroke="#000" stroke-width="0.8"/>')
        body.append(_text(label_w + w + 4, y + 12, f"{v:.{digits}f}", 10))
    axis_y = top + row * len(labels) + 2
    if ref is not None and ref[1] is not None:
        x = label_w + max(0.0, min(ref[1], vmax)) / vmax * plot_w
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" stroke="#000" stroke-width="1" '
                    f'stroke-dasharray="4 3"/>')
        body.append(_text(x, axis_y + 24, f"{ref[0]} {ref[1]:.{digits}f}", 9.5, "middle"))
        height += 12
    body.append(f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{axis_y}" stroke="#000" stroke-width="0.8"/>')
    for tick in (0, vmax / 2, vmax):
        x = label_w + tick / vmax * plot_w
        body.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 3}" stroke="#000"/>')
        body.append(_text(x, axis_y + 13, f"{tick:.0f}", 9, "middle"))
    return _svg(width, height, body, title)


def trend(labels: list[str], values: list[float | None], title: str, vmax: float = 100.0,
          width: int = 300, height: int = 170) -> str:
    """A line over periods with each value written above its point; gaps where None."""
    left, right, top, bottom = 30, 26, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    body = [_text(width / 2, 14, title, 12, "middle", "bold")]
    for g in (0, vmax / 2, vmax):
        y = top + plot_h - g / vmax * plot_h
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#d0d0d0" stroke-width="0.6"/>')
        body.append(_text(left - 4, y + 3, f"{g:.0f}", 9, "end"))
    n = len(labels)
    step = plot_w / max(n - 1, 1)
    points, segment = [], []
    for i, (lab, v) in enumerate(zip(labels, values)):
        x = left + (i * step if n > 1 else plot_w / 2)
        body.append(_text(x, top + plot_h + 14, lab, 9, "middle"))
        if v is None or (isinstance(v, float) and math.isnan(v)):
            if segment:
                points.append(segment)
            segment = []
            continue
        y = top + plot_h - max(0.0, min(v, vmax)) / vmax * plot_h
        segment.append((x, y))
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="#000"/>')
        body.append(_text(x, y - 6, f"{v:.1f}", 9, "middle"))
    if segment:
        points.append(segment)
    for seg in points:
        if len(seg) > 1:
            body.append('<polyline fill="none" stroke="#000" stroke-width="1.3" points="'
                        + " ".join(f"{x:.1f},{y:.1f}" for x, y in seg) + '"/>')
    if not any(points):
        body.append(_text(width / 2, top + plot_h / 2, "各期均未评分", 10, "middle"))
    return _svg(width, height, body, title)


def waterfall(steps: list[tuple[str, float, str]], title: str, unit: str, width: int = 620, height: int = 230) -> str:
    """A waterfall: `steps` are (label, value, kind) with kind `total` (a bar from 0), `up` or
    `down` (a floating bar from the running level); each value written on its bar."""
    left, right, top, bottom = 14, 10, 42, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    level, bars = 0.0, []
    for label, v, kind in steps:
        if kind == "total":
            lo, hi, level = 0.0, v, v
        elif kind == "up":
            lo, hi, level = level, level + v, level + v
        else:
            lo, hi, level = level - v, level, level - v
        bars.append((label, v, kind, min(lo, hi), max(lo, hi)))
    vmax = max([b[4] for b in bars] + [1e-9])
    vmin = min([b[3] for b in bars] + [0.0])
    scale = plot_h / (vmax - vmin)
    y0 = top + vmax * scale
    slot = plot_w / len(bars)
    body = [_text(width / 2, 14, title, 12, "middle", "bold"),
            f'<line x1="{left}" y1="{y0:.1f}" x2="{left + plot_w}" y2="{y0:.1f}" stroke="#000" stroke-width="0.8"/>']
    fills = {"total": "#7a7a7a", "up": "#ffffff", "down": "#c8c8c8"}
    prev_level_y = None
    for i, (label, v, kind, lo, hi) in enumerate(bars):
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        y_hi, y_lo = top + (vmax - hi) * scale, top + (vmax - lo) * scale
        body.append(f'<rect x="{x:.1f}" y="{y_hi:.1f}" width="{w:.1f}" height="{max(y_lo - y_hi, 0.8):.1f}" '
                    f'fill="{fills[kind]}" stroke="#000" stroke-width="0.8"/>')
        sign = "" if kind == "total" else ("+" if kind == "up" else "−")
        body.append(_text(x + w / 2, y_hi - 4, f"{sign}{v:,.0f}", 9.5, "middle"))
        body.append(_text(x + w / 2, top + plot_h + 14, label, 9.5, "middle"))
        if prev_level_y is not None:
            body.append(f'<line x1="{x - slot * 0.3:.1f}" y1="{prev_level_y:.1f}" x2="{x:.1f}" y2="{prev_level_y:.1f}" '
                        f'stroke="#000" stroke-width="0.6" stroke-dasharray="2 2"/>')
        prev_level_y = y_hi if kind in ("total", "up") else y_lo
    body.append(_text(width - right, top + plot_h + 30, f"单位：{unit}；灰色为余额，白色为增加，浅灰为减少", 9, "end"))
    return _svg(width, height, body, title)


# marker per status of a duty on a timeline: (shape, filled, label)
TIMELINE_MARKS = {"on_time": ("circle", False, "按时"), "late": ("triangle", False, "逾期完成"),
                  "missing": ("cross", False, "未履行"), "lapse": ("square", True, "违规")}


def _mark(shape: str, filled: bool, x: float, y: float, r: float = 4.0) -> str:
    fill = "#000" if filled else "none"
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" stroke="#000"/>'
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - r:.1f} {x - r:.1f},{y + r:.1f} {x + r:.1f},{y + r:.1f}" '
                f'fill="{fill}" stroke="#000"/>')
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{fill}" stroke="#000"/>'
    return (f'<path d="M{x - r:.1f},{y - r:.1f} L{x + r:.1f},{y + r:.1f} M{x - r:.1f},{y + r:.1f} '
            f'L{x + r:.1f},{y - r:.1f}" stroke="#000" stroke-width="1.3"/>')


def timeline(rows: list[str], points: list[tuple[str, object, str]], spans: list[tuple[object, object]],
             title: str, width: int = 680) -> str:
    """Duties on a time axis: one row per duty (`rows`), a marker per (row, date, status) of
    TIMELINE_MARKS, grey bands for `spans` (start, end); the legend above the rows."""
    import pandas as pd
    label_w, row_h, top = 190, 16, 38
    plot_w = width - label_w - 20
    height = top + row_h * len(rows) + 30
    dates = [pd.Timestamp(d) for _, d, _ in points if not pd.isna(d)]
    dates += [pd.Timestamp(d) for span in spans for d in span if not pd.isna(d)]
    lo, hi = (min(dates), max(dates)) if dates else (pd.Timestamp("2000-01-01"), pd.Timestamp("2000-12-31"))
    if hi <= lo:
        hi = lo + pd.Timedelta(days=30)
    x = lambda d: label_w + (pd.Timestamp(d) - lo) / (hi - lo) * plot_w          # noqa: E731
    body = [_text(width / 2, 13, title, 11.5, "middle", "bold")]
    lx = label_w
    for shape, filled, label in TIMELINE_MARKS.values():
        body += [_mark(shape, filled, lx + 4, 26), _text(lx + 12, 30, label, 9.5)]
        lx += 24 + 11 * len(label)
    bottom = top + row_h * len(rows)
    for a, b in spans:
        if pd.isna(a):
            continue
        xa, xb = x(a), x(hi if pd.isna(b) else b)
        body.append(f'<rect x="{xa:.1f}" y="{top}" width="{max(xb - xa, 1):.1f}" height="{bottom - top}" fill="#d9d9d9"/>')
    y_of = {r: top + row_h * i + row_h / 2 for i, r in enumerate(rows)}
    for r, y in y_of.items():
        body.append(_text(label_w - 6, y + 4, r, 9.5, "end"))
        body.append(f'<line x1="{label_w}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#bbb" stroke-width="0.5"/>')
    for r, d, status in points:
        if r in y_of and status in TIMELINE_MARKS and not pd.isna(d):
            shape, filled, _ = TIMELINE_MARKS[status]
            body.append(_mark(shape, filled, x(d), y_of[r]))
    body.append(f'<line x1="{label_w}" y1="{bottom}" x2="{width - 20}" y2="{bottom}" stroke="#000" stroke-width="0.8"/>')
    for k in range(5):
        d = lo + (hi - lo) * k / 4
        body.append(f'<line x1="{x(d):.1f}" y1="{bottom}" x2="{x(d):.1f}" y2="{bottom + 3}" stroke="#000"/>')
        body.append(_text(x(d), bottom + 15, f"{d:%Y-%m}", 9, "middle"))
    return _svg(width, height, body, title)
