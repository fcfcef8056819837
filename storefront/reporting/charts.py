"""Charts drawn on the server as SVG: no script, readable by screen readers through a title and a
description, scaled by the page's CSS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..money import CURRENCY_SYMBOLS, MINOR_DIGITS

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 28  # room for the value axis on the left and months below
GRIDLINES = 4


@dataclass(frozen=True)
class Bar:
    """One bar: its label under the axis, its value, and the words a reader hears for it."""

    label: str
    value: int
    spoken: str


def nice_ceiling(value: int) -> int:
    """Return the smallest round number (1, 2, 2.5 or 5 times a power of ten) at least ``value``."""
    if value <= 0:
        return 1
    scale = 1
    while scale * 10 <= value:
        scale *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * scale >= value:
            return int(step * scale)
    return 10 * scale  # pragma: no cover - the loop always returns


def compact_money(amount_minor: int, currency: str) -> str:
    """Return an amount rounded for an axis, for example ``RM 1.5k`` or ``RM 250``."""
    whole = amount_minor / 10 ** MINOR_DIGITS.get(currency, 2)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if whole >= size:
            return f"{symbol} {whole / size:.3g}{suffix}"
    return f"{symbol} {whole:.3g}"


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    axis_label: Callable[[int], str] = str,
    highlight_last: bool = True,
) -> Markup:
    """Return an SVG bar chart of ``bars``; ``axis_label`` writes a value on the value axis."""
    top = nice_ceiling(max((bar.value for bar in bars), default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(bars), 1)
    name = escape(chart_id)
    parts = [
        f'<svg class="chart" id="{name}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{name}-title {name}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{name}-title">{escape(title)}</title>',
        f'<desc id="{name}-desc">{escape(description)}</desc>',
    ]
    for step in range(GRIDLINES + 1):
        value = top * step // GRIDLINES
        y = TOP + plot_height - plot_height * step / GRIDLINES
        parts.append(
            f'<line class="chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="chart__axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(axis_label(value))}</text>"
        )
    for index, bar in enumerate(bars):
        height = plot_height * bar.value / top
        x = LEFT + slot * index + slot * 0.18
        y = TOP + plot_height - height
        current = " chart__bar--current" if highlight_last and index == len(bars) - 1 else ""
        parts.append(
            f'<rect class="chart__bar{current}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.64:.1f}" '
            f'height="{height:.1f}" rx="2"><title>{escape(bar.spoken)}</title></rect>'
        )
        parts.append(
            f'<text class="chart__label" x="{LEFT + slot * index + slot / 2:.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
