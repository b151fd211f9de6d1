"""Charts as inline SVG, drawn on the server: no script, no colour needed to read them. Every
bar carries its label and its number as text; the parts of a share are told apart by pattern
(solid, hatched, dotted) and named in the legend with their numbers; a tooltip (<title>)
repeats them for screen readers. Sizes are in the viewBox's units, so the chart scales with
the page (a phone's screen too)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

# Fills told apart without colour, defined once per chart (ids are prefixed per chart).
PATTERNS = ("solid", "hatch", "dots", "cross")
WIDTH = 640


def _defs(prefix: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="fill-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="stroke-fg" stroke-width="2.5"/></pattern>'
        f'<pattern id="{prefix}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" class="fill-bg"/>'
        '<circle cx="3" cy="3" r="1.5" class="fill-fg"/></pattern>'
        f'<pattern id="{prefix}-cross" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" class="fill-bg"/>'
        '<path d="M0 0L8 8M8 0L0 8" class="stroke-fg" stroke-width="1.2"/></pattern>'
        "</defs>"
    )


def _fill(prefix: str, pattern: str) -> str:
    return 'class="fill-fg"' if pattern == "solid" else f'fill="url(#{prefix}-{pattern})"'


def bars(
    prefix: str, title: str, items: Sequence[tuple[str, int]], number: Callable[[int], str]
) -> Markup:
    """Horizontal bars, one per item, each with its label and its number."""
    row, label_w, number_w = 26, 210, 90
    height = max(1, len(items)) * row + 4
    top = max((value for _, value in items), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    span = WIDTH - label_w - number_w
    for n, (label, value) in enumerate(items):
        y = n * row + 4
        width = round(span * value / top, 1)
        parts.append(
            f"<g><title>{escape(label)}: {escape(number(value))}</title>"
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="label">'
            f"{escape(_clip(label))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row - 8}" '
            f'class="fill-fg"/>'
            f'<text x="{label_w + width + 6}" y="{y + 16}" class="value">'
            f"{escape(number(value))}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it went through escape()


def columns(
    prefix: str,
    title: str,
    days: Sequence[tuple[dt.date, int]],
    number: Callable[[int], str],
    day_label: Callable[[dt.date], str],
) -> Markup:
    """A bar per day, the highest value marked on the axis, the first and last day named."""
    height, left, bottom, top_pad = 180, 56, 24, 10
    top = max((value for _, value in days), default=0) or 1
    span = WIDTH - left - 8
    step = span / max(1, len(days))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        _defs(prefix),
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{height - bottom}" class="axis"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - 8}" y2="{height - bottom}" '
        'class="axis"/>',
        f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end" class="value">'
        f"{escape(number(top))}</text>",
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" class="value">0</text>',
    ]
    usable = height - bottom - top_pad
    for n, (day, value) in enumerate(days):
        bar = round(usable * value / top, 1)
        x = round(left + n * step + step * 0.15, 1)
        parts.append(
            f'<rect x="{x}" y="{round(height - bottom - bar, 1)}" '
            f'width="{round(max(1.0, step * 0.7), 1)}" height="{bar}" {_fill(prefix, "hatch")}>'
            f"<title>{escape(day_label(day))}: {escape(number(value))}</title></rect>"
        )
    if days:
        parts.append(
            f'<text x="{left}" y="{height - 6}" class="label">{escape(day_label(days[0][0]))}'
            f'</text><text x="{WIDTH - 8}" y="{height - 6}" text-anchor="end" class="label">'
            f"{escape(day_label(days[-1][0]))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it went through escape()


def share(
    prefix: str, title: str, parts_: Sequence[tuple[str, int]], number: Callable[[int], str]
) -> Markup:
    """One bar split into its parts (each its own pattern), with a legend: label, number, %."""
    total = sum(value for _, value in parts_)
    legend_row = 22
    height = 40 + legend_row * len(parts_)
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        _defs(prefix),
    ]
    x = 0.0
    for n, (label, value) in enumerate(parts_):
        pattern = PATTERNS[n % len(PATTERNS)]
        width = (WIDTH - 2) * value / total if total else 0
        percent = f"{100 * value / total:.0f}%" if total else "–"
        out.append(
            f'<rect x="{round(1 + x, 1)}" y="2" width="{round(width, 1)}" height="26" '
            f'{_fill(prefix, pattern)} class="part"><title>{escape(label)}: '
            f"{escape(number(value))} ({percent})</title></rect>"
        )
        x += width
        y = 40 + n * legend_row
        out.append(
            f'<rect x="1" y="{y - 12}" width="16" height="16" {_fill(prefix, pattern)} '
            'class="part"/>'
            f'<text x="24" y="{y + 1}" class="label">{escape(label)}: '
            f"{escape(number(value))} ({percent})</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 -- every text in it went through escape()


def _clip(label: str, at: int = 28) -> str:
    return label if len(label) <= at else label[: at - 1] + "…"
