"""Server-side SVG charts for the report pages: no script, no CDN, no chart library.

Each function returns an inline `<svg>` (a `Markup`) with a `viewBox` and `width="100%"`
so it scales to the column it sits in (readable at 390 px: the drawing is 400 units wide
and its text 12-13 units). Every label and title goes through `markupsafe.escape`; a
chart has `role="img"`, an `aria-label` and a `<title>`, and every bar or point its own
`<title>` with the figure, so a screen reader and a mouse-over both read the numbers.
A bar or point with an `href` is a link to the complaints behind it.

- `bars`: horizontal bars, one per item (by department, hot causes; an optional
  previous value is drawn as a thin grey bar under the current one);
- `trend`: lines over time (received and closed per day, week or month);
- `compliance`: one 100 % bar per row, timely against missed, with the rate.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 400
LABEL_W = 118          # the label column of the horizontal charts
VALUE_W = 52           # the value column right of the bars
ROW_H = 26
BAR_H = 16
COLOURS = ("#0b6e4f", "#2563eb", "#b45309", "#7c3aed")
TIMELY, MISSED = "#0b6e4f", "#b91c1c"


@dataclass(frozen=True)
class Item:
    """One bar: its label, value, optional previous value and the link behind it."""

    label: str
    value: int
    href: str | None = None
    previous: int | None = None


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(height: float, title: str, css: str) -> list[str]:
    t = escape(title)
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
            f'aria-label="{t}" viewBox="0 0 {WIDTH} {_num(height)}" width="100%" '
            f'preserveAspectRatio="xMinYMin meet" style="max-width:720px">',
            f"<title>{t}</title>"]


def _link(inner: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _clip(label: str, chars: int = 8) -> str:
    """A label short enough for the label column (full text stays in the bar's title)."""
    return label if len(label) <= chars else label[:chars - 1] + "…"


def bars(items: list[Item], *, title: str, unit: str = "件", empty: str = "无数据",
         previous_name: str = "上期") -> Markup:
    """Horizontal bars scaled to the largest value (current or previous)."""
    height = max(len(items), 1) * ROW_H + 8
    out = _open(height, title, "bars")
    top = max([1, *(i.value for i in items), *(i.previous or 0 for i in items)])
    span = WIDTH - LABEL_W - VALUE_W
    if not items:
        out.append(f'<text x="{WIDTH // 2}" y="20" text-anchor="middle" font-size="13" '
                   f'fill="#64748b">{escape(empty)}</text>')
    for n, item in enumerate(items):
        y = 4 + n * ROW_H
        w = span * item.value / top
        tip = f"{item.label}：{item.value}{unit}"
        if item.previous is not None:
            tip += f"（{previous_name}{item.previous}{unit}）"
        parts = [f'<text x="{LABEL_W - 6}" y="{_num(y + BAR_H - 3)}" text-anchor="end" '
                 f'font-size="12" fill="#1e293b">{escape(_clip(item.label))}</text>',
                 f'<rect class="bar" x="{LABEL_W}" y="{y}" width="{_num(w)}" height="{BAR_H}" '
                 f'fill="{COLOURS[0]}" data-value="{item.value}"><title>{escape(tip)}</title></rect>']
        if item.previous is not None:
            pw = span * item.previous / top
            parts.append(f'<rect class="previous" x="{LABEL_W}" y="{y + BAR_H + 1}" '
                         f'width="{_num(pw)}" height="4" fill="#94a3b8" '
                         f'data-value="{item.previous}"/>')
        parts.append(f'<text x="{_num(LABEL_W + w + 4)}" y="{_num(y + BAR_H - 3)}" '
                     f'font-size="12" fill="#1e293b">{item.value}</text>')
        out.append(f'<g class="row"><title>{escape(tip)}</title>'
                   + _link("".join(parts), item.href) + "</g>")
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: its name and one value per period (with links)."""

    name: str
    values: list[int]
    hrefs: list[str | None] | None = None


def trend(periods: list[str], series: list[Series], *, title: str, unit: str = "件",
          empty: str = "无数据") -> Markup:
    """Lines over `periods` (labels such as 12-01 or 2026-11), one per series, with a legend."""
    left, right, top_pad, plot_h = 34, 10, 24, 150
    height = top_pad + plot_h + 30
    out = _open(height, title, "trend")
    top = max([1, *(v for s in series for v in s.values)])
    span = WIDTH - left - right
    n = len(periods)
    if not n:
        out.append(f'<text x="{WIDTH // 2}" y="90" text-anchor="middle" font-size="13" '
                   f'fill="#64748b">{escape(empty)}</text></svg>')
        return Markup("".join(out))

    def x(i: int) -> float:
        return left + (span / 2 if n == 1 else span * i / (n - 1))

    def y(v: int) -> float:
        return top_pad + plot_h - plot_h * v / top

    for k, s in enumerate(series):       # legend
        lx = left + k * 110
        out.append(f'<rect x="{lx}" y="4" width="12" height="12" fill="{COLOURS[k % 4]}"/>'
                   f'<text x="{lx + 16}" y="14" font-size="12" fill="#1e293b">'
                   f'{escape(s.name)}</text>')
    for v in (0, top):                     # the axis' two ticks
        out.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{_num(y(v))}" y2="{_num(y(v))}" '
                   f'stroke="#e2e8f0"/><text x="{left - 4}" y="{_num(y(v) + 4)}" '
                   f'text-anchor="end" font-size="11" fill="#64748b">{v}</text>')
    step = max(1, -(-n // 6))              # at most about six labels along the bottom
    for i, label in enumerate(periods):
        if i % step == 0 or i == n - 1:
            out.append(f'<text x="{_num(x(i))}" y="{top_pad + plot_h + 16}" text-anchor="middle" '
                       f'font-size="11" fill="#64748b">{escape(label)}</text>')
    for k, s in enumerate(series):
        colour = COLOURS[k % 4]
        points = " ".join(f"{_num(x(i))},{_num(y(v))}" for i, v in enumerate(s.values))
        out.append(f'<polyline class="line" data-series="{escape(s.name)}" points="{points}" '
                   f'fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(s.values):
            dot = (f'<circle class="point" cx="{_num(x(i))}" cy="{_num(y(v))}" r="3.5" '
                   f'fill="{colour}" data-value="{v}"><title>'
                   f'{escape(f"{periods[i]} {s.name}：{v}{unit}")}</title></circle>')
            out.append(_link(dot, s.hrefs[i] if s.hrefs else None))
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class Compliance:
    """One row of the compliance chart: deadlines met and missed (with links)."""

    label: str
    timely: int
    missed: int
    timely_href: str | None = None
    missed_href: str | None = None

    @property
    def rate(self) -> float | None:
        """The timely share, or None when nothing was due."""
        total = self.timely + self.missed
        return self.timely / total if total else None


def compliance(rows: list[Compliance], *, title: str, timely_name: str = "按时",
               missed_name: str = "超时", empty: str = "无数据") -> Markup:
    """A 100 % bar per row: the timely part green, the missed part red, the rate right."""
    height = 22 + max(len(rows), 1) * ROW_H + 4
    out = _open(height, title, "compliance")
    span = WIDTH - LABEL_W - VALUE_W
    out.append(f'<rect x="{LABEL_W}" y="4" width="12" height="12" fill="{TIMELY}"/>'
               f'<text x="{LABEL_W + 16}" y="14" font-size="12">{escape(timely_name)}</text>'
               f'<rect x="{LABEL_W + 70}" y="4" width="12" height="12" fill="{MISSED}"/>'
               f'<text x="{LABEL_W + 86}" y="14" font-size="12">{escape(missed_name)}</text>')
    if not rows:
        out.append(f'<text x="{WIDTH // 2}" y="40" text-anchor="middle" font-size="13" '
                   f'fill="#64748b">{escape(empty)}</text>')
    for n, row in enumerate(rows):
        y = 22 + n * ROW_H
        total = row.timely + row.missed
        tw = span * row.timely / total if total else 0
        mw = span * row.missed / total if total else 0
        rate = "—" if row.rate is None else f"{row.rate * 100:.1f}%"
        tip = f"{row.label}：{timely_name}{row.timely}，{missed_name}{row.missed}"
        out.append(
            f'<g class="row"><title>{escape(tip)}</title>'
            f'<text x="{LABEL_W - 6}" y="{y + BAR_H - 3}" text-anchor="end" font-size="12">'
            f'{escape(_clip(row.label))}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{span}" height="{BAR_H}" fill="#f1f5f9"/>'
            + _link(f'<rect class="timely" x="{LABEL_W}" y="{y}" width="{_num(tw)}" '
                    f'height="{BAR_H}" fill="{TIMELY}" data-value="{row.timely}"/>', row.timely_href)
            + _link(f'<rect class="missed" x="{_num(LABEL_W + tw)}" y="{y}" width="{_num(mw)}" '
                    f'height="{BAR_H}" fill="{MISSED}" data-value="{row.missed}"/>', row.missed_href)
            + f'<text x="{WIDTH - VALUE_W + 4}" y="{y + BAR_H - 3}" font-size="12">{rate}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))
