"""Server-side SVG charts for the dashboard, drawn from the same tables the page and the exports show.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``, and its numbers
are printed on it (in the same words as its table, through ``cell_text``), so the picture
never holds a figure the table does not. Colours pass 3:1 against white (WCAG 1.4.11) and
each series also has its own pattern, so colour never carries meaning alone. A suppressed
count ("<5") is drawn as no bar at all: its length would give it away.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)

# NHS.UK colours, each at least 3:1 against white; a pattern on top tells them apart without colour.
SERIES_STYLES = (
    ("#005eb8", "solid"),  # NHS blue
    ("#330072", "stripes"),  # purple
    ("#007f3b", "dots"),  # green
    ("#425563", "cross"),  # dark grey
)
GAP_COLOUR = "#d5281b"  # NHS red, 4.5:1 on white
TEXT_COLOUR = "#212b32"
FONT = 'font-family="Frutiger W01, Arial, sans-serif"'


def cell_text(value) -> str:
    """How a figure reads, in a table cell and on a chart alike."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _number(value) -> float:
    """The length a cell draws as: suppressed or missing figures draw as nothing."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


@dataclass(frozen=True)
class _Frame:
    uid: str
    width: int
    height: int
    title: str
    desc: str


def _open(frame: _Frame, defs: str = "") -> list[str]:
    title_id, desc_id = f"{frame.uid}-title", f"{frame.uid}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="signpost-chart" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" {FONT} font-size="14" fill="{TEXT_COLOUR}">',
        f'<title id="{title_id}">{escape(frame.title)}</title>',
        f'<desc id="{desc_id}">{escape(frame.desc)}</desc>',
        f"<defs>{_patterns(frame.uid)}{defs}</defs>",
    ]


def _patterns(uid: str) -> str:
    parts = []
    for index, (colour, kind) in enumerate(SERIES_STYLES):
        marks = {
            "solid": "",
            "stripes": '<path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="#fff" stroke-width="1.5"/>',
            "dots": '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
            "cross": '<path d="M0,4 h8 M4,0 v8" stroke="#fff" stroke-width="1.2"/>',
        }[kind]
        parts.append(
            f'<pattern id="{uid}-s{index}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>'
        )
    parts.append(
        f'<pattern id="{uid}-gap" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{GAP_COLOUR}"/><path d="M0,0 l6,6 M6,0 l-6,6" stroke="#fff" stroke-width="1"/>'
        f"</pattern>"
    )
    return "".join(parts)


def _fill(uid: str, index: int) -> str:
    return f"url(#{uid}-s{index % len(SERIES_STYLES)})"


def _legend(uid: str, names: Sequence[str], *, x: int, y: int) -> list[str]:
    parts, cursor = [], x
    for index, name in enumerate(names):
        parts.append(f'<rect x="{cursor}" y="{y}" width="16" height="16" fill="{_fill(uid, index)}" stroke="{TEXT_COLOUR}" stroke-width="0.5"/>')
        parts.append(f'<text x="{cursor + 22}" y="{y + 13}">{escape(name)}</text>')
        cursor += 30 + 8 * len(name)
    return parts


def _svg(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text went through escape()


def horizontal_bars(
    *, title: str, desc: str, rows: Sequence[tuple[str, object, str]], width: int = 640,
    longest: float | None = None, guide: tuple[float, float, str] | None = None,
) -> SafeString:
    """One bar per row of (label, figure, label printed at the end of the bar).

    ``longest`` is the figure a full-length bar stands for (the largest figure, by default);
    ``guide`` (low, high, words) marks a target (low == high: a dashed line) or a band (shaded,
    outlined and named, so it never rests on colour alone) on the same scale."""
    uid = f"chart{next(_ids)}"
    label_width, bar_height, gap, top = 220, 26, 10, 10 + (22 if guide else 0)
    height = top + len(rows) * (bar_height + gap) + 10
    biggest = max([_number(value) for _, value, _ in rows] + [guide[1] * 1.1 if guide else 0, 1])
    longest = max(longest or 0, biggest)
    scale = (width - label_width - 130) / longest
    parts = _open(_Frame(uid, width, height, title, desc))
    if guide:
        low, high, words = guide
        x_low, x_high = label_width + low * scale, label_width + high * scale
        if high > low:
            parts.append(f'<rect x="{x_low:.1f}" y="{top - 6}" width="{x_high - x_low:.1f}" height="{height - top}" '
                         f'fill="#e8edee" stroke="{TEXT_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>')
        else:
            parts.append(f'<line x1="{x_low:.1f}" y1="{top - 6}" x2="{x_low:.1f}" y2="{height - 6}" '
                         f'stroke="{GAP_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{(x_low + x_high) / 2:.1f}" y="{top - 10}" text-anchor="middle" font-size="12">'
                     f"{escape(words)}</text>")
    for index, (label, value, printed) in enumerate(rows):
        y = top + index * (bar_height + gap)
        length = _number(value) * scale
        parts.append(f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end">{escape(_clip(label, 28))}</text>')
        if length:
            parts.append(f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{_fill(uid, 0)}"/>')
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 18}" font-weight="bold">{escape(printed)}</text>')
    parts.append(f'<line x1="{label_width}" y1="{top - 4}" x2="{label_width}" y2="{height - 6}" stroke="{TEXT_COLOUR}"/>')
    return _svg(parts)


def stacked_columns(
    *, title: str, desc: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence]], totals: Sequence,
    width: int = 720,
) -> SafeString:
    """Columns (one per category, such as a month) stacked by series, the total printed on top."""
    uid = f"chart{next(_ids)}"
    left, top, plot_height, bottom = 10, 40, 220, 70
    height = top + plot_height + bottom
    column_space = (width - left * 2) / max(len(categories), 1)
    column_width = min(44.0, column_space * 0.7)
    stacks = [sum(_number(values[i]) for _, values in series) for i in range(len(categories))]
    scale = plot_height / max(stacks + [_number(t) for t in totals] + [1])
    parts = _open(_Frame(uid, width, height, title, desc))
    parts += _legend(uid, [name for name, _ in series], x=left, y=4)
    baseline = top + plot_height
    for i, category in enumerate(categories):
        x = left + i * column_space + (column_space - column_width) / 2
        y = baseline
        for index, (_, values) in enumerate(series):
            length = _number(values[i]) * scale
            if length:
                y -= length
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{column_width:.1f}" height="{length:.1f}" fill="{_fill(uid, index)}" stroke="#fff" stroke-width="1"/>')
        centre = x + column_width / 2
        parts.append(f'<text x="{centre:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-weight="bold" font-size="13">{escape(cell_text(totals[i]))}</text>')
        parts.append(f'<text x="{centre:.1f}" y="{baseline + 20}" text-anchor="middle" font-size="12">{escape(category)}</text>')
    parts.append(f'<line x1="{left}" y1="{baseline}" x2="{width - left}" y2="{baseline}" stroke="{TEXT_COLOUR}"/>')
    return _svg(parts)


def funnel(*, title: str, desc: str, steps: Sequence[tuple[str, object, object]], target: float | None = None,
           width: int = 640) -> SafeString:
    """The funnel: one bar per step (label, people, share in %), the share printed beside the count;
    a dashed line marks the attendance target (a share of those referred)."""
    uid = f"chart{next(_ids)}"
    label_width, bar_height, gap, top = 250, 30, 10, 28
    height = top + len(steps) * (bar_height + gap) + 12
    plot = width - label_width - 150
    referred = max(_number(steps[0][1]), 1) if steps else 1
    parts = _open(_Frame(uid, width, height, title, desc))
    for index, (label, people, share) in enumerate(steps):
        y = top + index * (bar_height + gap)
        length = _number(people) / referred * plot
        parts.append(f'<text x="{label_width - 8}" y="{y + 20}" text-anchor="end">{escape(label)}</text>')
        if length:
            parts.append(f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{_fill(uid, 0 if index < len(steps) - 1 else 2)}"/>')
        share_text = "" if share is None else f" ({cell_text(share)}%)" if isinstance(share, int | float) else f" ({share})"
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 20}" font-weight="bold">{escape(cell_text(people) + share_text)}</text>')
    if target is not None:
        x = label_width + target * plot
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 6}" stroke="{GAP_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" font-size="12">Target {target * 100:.0f}%</text>')
    return _svg(parts)


def diverging_bars(*, title: str, desc: str, rows: Sequence[tuple[str, object]], limit: float = 10.0,
                   width: int = 640) -> SafeString:
    """Changes either side of zero (label, change), for the ONS4 change between first conversation and review."""
    uid = f"chart{next(_ids)}"
    label_width, bar_height, gap, top = 260, 24, 10, 24
    height = top + len(rows) * (bar_height + gap) + 10
    half = (width - label_width - 60) / 2
    zero = label_width + 30 + half
    largest = max([abs(_number(v)) for _, v in rows] + [1.0])
    scale = half / min(max(largest, 1.0), limit)
    parts = _open(_Frame(uid, width, height, title, desc))
    parts.append(f'<text x="{zero - 6:.1f}" y="14" text-anchor="end" font-size="12">Lower</text>')
    parts.append(f'<text x="{zero + 6:.1f}" y="14" font-size="12">Higher</text>')
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_height + gap)
        number = _number(value)
        length = abs(number) * scale
        parts.append(f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{escape(_clip(label, 36))}</text>')
        x = zero if number >= 0 else zero - length
        if length:
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{_fill(uid, 0 if number >= 0 else 1)}"/>')
        text = cell_text(value) if not isinstance(value, float) else f"{value:+.1f}"
        anchor, text_x = ("start", zero + length + 6) if number >= 0 else ("end", zero - length - 6)
        parts.append(f'<text x="{text_x:.1f}" y="{y + 17}" text-anchor="{anchor}" font-weight="bold">{escape(text)}</text>')
    parts.append(f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{height - 4}" stroke="{TEXT_COLOUR}"/>')
    return _svg(parts)


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
