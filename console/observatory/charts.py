"""The statistics page's charts, drawn on the server as inline SVG: no script and nothing loaded from elsewhere, so
the console's content policy stays as strict as on every page. Only presentation attributes (fill, stroke) are used:
the policy forbids style attributes.

Each chart is a picture of a table the page prints next to it (screen readers, copying, printing read the table),
hence `role="img"` with the title as its name. Every label is escaped: platforms and payment means come from what
victims wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

from markupsafe import Markup, escape

# Okabe–Ito: told apart by colour-blind readers and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OTHERS_COLOUR = "#8a8f98"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]


def _nice_max(value: float) -> int:
    """The top of the axis: 1, 2 or 5 times a power of ten, at least `value` (and 1 for an empty chart)."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    return f"{int(value):,}".replace(",", "\u202f")  # French thousands separator (narrow no-break space)


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], width: int = 760) -> Markup:
    """One line per series over `x_labels` (days or weeks), with a legend under the plot."""
    height, left, right, top, bottom = 240, 56, 16, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    count = max(len(x_labels), 1)

    def x(index: int) -> float:
        return left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts: List[str] = []
    intervals = next(n for n in (4, 2, 1) if top_value % n == 0)  # whole numbers on the axis: 0, 5, 10 for 10
    for tick in range(intervals + 1):  # horizontal grid and the value axis
        value = top_value * tick / intervals
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#e3e5e8"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" {FONT}>{_number(value)}</text>'
        )
    every = max(1, len(x_labels) // 8)  # at most about eight dates under the axis
    for index, label in enumerate(x_labels):
        if index % every == 0:
            parts.append(
                f'<text x="{x(index):.1f}" y="{height - 8}" text-anchor="middle" {FONT}>{escape(label)}</text>'
            )
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.values))
        if len(line.values) == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(line.values[0]):.1f}" r="3" fill="{colour}"/>')
        elif line.values:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    legend_rows = (len(series) + 2) // 3
    legend = []
    for number, line in enumerate(series):
        lx, ly = left + (number % 3) * (plot_w / 3), height + 14 + (number // 3) * 18
        colour = PALETTE[number % len(PALETTE)]
        legend.append(
            f'<rect x="{lx:.1f}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 18:.1f}" y="{ly + 1}" {FONT}>{escape(line.label)}</text>'
        )
    total_height = height + 8 + legend_rows * 18
    return _svg(title, width, total_height, "".join(parts + legend))


def bar_chart(title: str, items: Sequence[Tuple[str, int]], width: int = 760) -> Markup:
    """Horizontal bars, largest first as given, each with its label and count."""
    row, label_w, right = 26, 230, 70
    bar_space = width - label_w - right
    top_value = max((count for _, count in items), default=0) or 1
    parts = []
    for index, (label, count) in enumerate(items):
        y = 6 + index * row
        length = bar_space * count / top_value
        colour = OTHERS_COLOUR if label == "Autres" else PALETTE[0]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" {FONT}>{escape(_short(label))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{max(length, 1):.1f}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 14}" {FONT}>{_number(count)}</text>'
        )
    return _svg(title, width, 12 + max(len(items), 1) * row, "".join(parts))


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(title: str, width: int, height: int, body: str) -> Markup:
    name = escape(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{name}"><title>{name}</title>{body}</svg>'
    )
