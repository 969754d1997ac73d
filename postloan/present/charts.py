"""Charts legible in black and white: distinct markers and line styles, no colour coding."""
from __future__ import annotations

import matplotlib.pyplot as plt

from postloan.present.fonts import setup_fonts

STYLES = [dict(color="black", linestyle="-", marker="o"), dict(color="0.35", linestyle="--", marker="s"),
          dict(color="0.55", linestyle=":", marker="^"), dict(color="0.2", linestyle="-.", marker="D")]
HATCHES = ["", "///", "...", "xxx", "\\\\\\", "++"]


def line_chart(x, series: dict, title: str, ylabel: str, percent: bool = False,
               target: tuple[str, float] | None = None):
    """Lines over periods; a series with no value is not drawn and not in the legend; the last
    value of each line is written beside it; `target` (label, value) draws a dashed line."""
    import math
    setup_fonts()
    fig, ax = plt.subplots(figsize=(7.2, 2.8), dpi=110)
    k = 100 if percent else 1
    xs = list(x)
    drawn = 0
    for (name, y), style in zip(series.items(), STYLES):
        ys = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v * k for v in y]
        if all(v is None for v in ys):
            continue
        ys_plot = [float("nan") if v is None else v for v in ys]
        ax.plot(xs, ys_plot, label=name, linewidth=1.4, markersize=4, **style)
        last = max(i for i, v in enumerate(ys) if v is not None)
        ax.annotate(f"{ys[last]:,.2f}", (xs[last], ys[last]), textcoords="offset points", xytext=(4, 4), fontsize=8)
        drawn += 1
    if target is not None and target[1] is not None:
        ax.axhline(target[1] * k, color="black", linestyle=(0, (4, 3)), linewidth=1)
        ax.annotate(f"{target[0]} {target[1] * k:,.2f}", (0, target[1] * k), xycoords=("axes fraction", "data"),
                    textcoords="offset points", xytext=(2, 3), fontsize=8)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel + ("（%）" if percent else ""), fontsize=9)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(True, color="0.85", linewidth=0.6)
    if drawn > 1:
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def bar_chart(labels, values, title: str, ylabel: str):
    setup_fonts()
    fig, ax = plt.subplots(figsize=(7.2, 2.6), dpi=110)
    bars = ax.bar(list(labels), list(values), color="white", edgecolor="black", linewidth=1)
    for bar, h in zip(bars, HATCHES * 5):
        bar.set_hatch(h)
    for bar, v in zip(bars, values):
        ax.annotate(f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig
