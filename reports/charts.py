"""Chart geometry as pure functions: data in, shapes (numbers and label strings) out.

The SVG markup itself is written by the `charts.svg.j2` macro under jinja2's autoescape, so every
label (a group name, an attack name) is escaped by the same machinery as the rest of the report;
`render_svg` gives the markup of one chart on its own. Nothing here reads files or the clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# Palette (Okabe-Ito, readable by colour-blind readers and in grey print).
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
BAR = "#0072B2"
BAR_BAD = "#B42318"
BAR_WARN = "#B54708"
THRESHOLD = "#B42318"
AXIS = "#475467"
GRID = "#EAECF0"
MAX_LABEL = 28
MAX_POINTS = 400


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0
    dash: str = ""


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    stroke: str
    title: str = ""

    @property
    def path(self) -> str:
        return " ".join(f"{x:.2f},{y:.2f}" for x, y in self.points)


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # start | middle | end
    size: int = 11
    fill: str = AXIS
    title: str = ""
    rotate: int = 0  # degrees around (x, y), e.g. -90 for a y-axis label


@dataclass(frozen=True)
class Chart:
    """One SVG chart: a title and description (for screen readers) and its shapes in drawing order."""

    width: int
    height: int
    title: str
    description: str
    rects: tuple[Rect, ...] = ()
    lines: tuple[Line, ...] = ()
    polylines: tuple[Polyline, ...] = ()
    texts: tuple[Text, ...] = ()


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value (None draws no bar and says 'null'), an optional interval."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    bad: str = ""  # "" | "fail" | "warn": colours the bar


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    xs: Sequence[float]
    ys: Sequence[float]


@dataclass
class _Canvas:
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    polylines: list[Polyline] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)

    def chart(self, width: int, height: int, title: str, description: str) -> Chart:
        return Chart(width, height, title, description, tuple(self.rects), tuple(self.lines), tuple(self.polylines), tuple(self.texts))


def short(label: str, limit: int = MAX_LABEL) -> str:
    """A label cut to `limit` characters with an ellipsis (the full text goes in the tooltip)."""
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def fmt(x: float) -> str:
    return f"{x:.3g}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    return ticks


def _domain(values: Sequence[float], fixed: tuple[float, float] | None) -> tuple[float, float]:
    if fixed is not None:
        return fixed
    finite = [v for v in values if v is not None and math.isfinite(v)]
    lo, hi = min([0.0] + finite), max([0.0] + finite)
    if hi == lo:
        hi = lo + 1.0
    return lo, hi + (hi - lo) * 0.05


def bar_chart(bars: Sequence[Bar], *, title: str, thresholds: Sequence[Threshold] = (), domain: tuple[float, float] | None = None,
              description: str = "") -> Chart:
    """Horizontal bars with interval whiskers and dashed threshold lines (labels on the left)."""
    row, label_w, plot_w, top, bottom = 22, 180, 330, 30, 28
    width = label_w + plot_w + 70
    height = top + row * max(len(bars), 1) + bottom
    values = [v for b in bars for v in (b.value, b.low, b.high)] + [t.value for t in thresholds]
    lo, hi = _domain(values, domain)

    def sx(v: float) -> float:
        return label_w + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w

    c = _Canvas()
    plot_bottom = top + row * max(len(bars), 1)
    for t in nice_ticks(lo, hi):
        c.lines.append(Line(sx(t), top - 4, sx(t), plot_bottom, GRID))
        c.texts.append(Text(sx(t), plot_bottom + 14, fmt(t), anchor="middle", size=10))
    base = sx(0.0 if lo <= 0 <= hi else lo)
    c.lines.append(Line(base, top - 4, base, plot_bottom, AXIS))
    for i, b in enumerate(bars):
        y = top + i * row
        tip = b.label + ("" if b.value is None else f": {fmt(b.value)}") + (f" [{fmt(b.low)}, {fmt(b.high)}]" if b.low is not None and b.high is not None else "")
        c.texts.append(Text(label_w - 8, y + row / 2 + 4, short(b.label), anchor="end", title=tip))
        if b.value is None:
            c.texts.append(Text(sx(lo) + 4, y + row / 2 + 4, "null (undefined)", fill=BAR_BAD))
            continue
        x0, x1 = sorted((base, sx(b.value)))
        colour = {"fail": BAR_BAD, "warn": BAR_WARN}.get(b.bad, BAR)
        c.rects.append(Rect(x0, y + 5, max(x1 - x0, 1.0), row - 10, colour, title=tip))
        if b.low is not None and b.high is not None:
            ym = y + row / 2
            c.lines.append(Line(sx(b.low), ym, sx(b.high), ym, AXIS, 1.5))
            c.lines.append(Line(sx(b.low), ym - 5, sx(b.low), ym + 5, AXIS, 1.5))
            c.lines.append(Line(sx(b.high), ym - 5, sx(b.high), ym + 5, AXIS, 1.5))
        c.texts.append(Text(sx(max(b.value, b.high or b.value)) + 6, y + row / 2 + 4, fmt(b.value), size=10))
    for k, t in enumerate(thresholds):
        c.lines.append(Line(sx(t.value), top - 10, sx(t.value), plot_bottom, THRESHOLD, 1.5, "5,3"))
        c.texts.append(Text(sx(t.value), top - 14 - 11 * k, short(t.label, 40), anchor="middle", size=10, fill=THRESHOLD))
    return c.chart(width, height, title, description or f"{title}: {len(bars)} bars")


def _thin(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[float, float]]:
    pts = [(float(x), float(y)) for x, y in zip(xs, ys) if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)]
    if len(pts) <= MAX_POINTS:
        return pts
    keep = np.unique(np.linspace(0, len(pts) - 1, MAX_POINTS).round().astype(int))
    return [pts[i] for i in keep]


def line_chart(series: Sequence[Series], *, title: str, x_label: str, y_label: str, domain: tuple[float, float] = (0.0, 1.0),
               log: bool = False, diagonal: bool = False, description: str = "") -> Chart:
    """Lines on square axes (ROC curves); `log` draws both axes from 1e-4 (or the data's floor) to 1."""
    size, left, top, legend_w = 250, 54, 18, 190
    width, height = left + size + 20 + legend_w, top + size + 46
    lo, hi = domain
    if log:
        positive = [v for s in series for v in list(s.xs) + list(s.ys) if v is not None and v > 0]
        lo = max(min(positive, default=1e-4), 1e-5)
        lo = 10 ** math.floor(math.log10(lo))

    def t(v: float) -> float:
        if log:
            return (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return (v - lo) / (hi - lo)

    def sx(v: float) -> float:
        return left + t(v) * size

    def sy(v: float) -> float:
        return top + size - t(v) * size

    c = _Canvas()
    ticks = [10.0 ** e for e in range(int(round(math.log10(lo))), 1)] if log else nice_ticks(lo, hi)
    for v in ticks:
        c.lines.append(Line(sx(v), top, sx(v), top + size, GRID))
        c.lines.append(Line(left, sy(v), left + size, sy(v), GRID))
        c.texts.append(Text(sx(v), top + size + 14, fmt(v), anchor="middle", size=10))
        c.texts.append(Text(left - 6, sy(v) + 4, fmt(v), anchor="end", size=10))
    c.lines += [Line(left, top + size, left + size, top + size, AXIS), Line(left, top, left, top + size, AXIS)]
    c.texts.append(Text(left + size / 2, top + size + 32, x_label, anchor="middle"))
    c.texts.append(Text(14, top + size / 2, y_label, anchor="middle", rotate=-90))
    if diagonal:
        c.lines.append(Line(sx(lo), sy(lo), sx(hi), sy(hi), AXIS, 1.0, "4,4"))
        c.texts.append(Text(left + size + 24, top + 12 + 16 * len(series), "chance", size=10))
    for i, s in enumerate(series):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        pts = tuple((sx(x), sy(y)) for x, y in _thin(s.xs, s.ys))
        if pts:
            c.polylines.append(Polyline(pts, colour, title=s.name))
        c.lines.append(Line(left + size + 8, top + 8 + 16 * i, left + size + 20, top + 8 + 16 * i, colour, 2.5))
        c.texts.append(Text(left + size + 24, top + 12 + 16 * i, short(s.name), size=10, title=s.name))
    return c.chart(width, height, title, description or f"{title}: {len(series)} series")


def histogram(*, counts: Sequence[float], edges: Sequence[float], title: str, x_label: str, threshold: Threshold | None = None,
              description: str = "") -> Chart:
    """Vertical bars of counts between bin edges, with an optional dashed threshold line."""
    if len(edges) != len(counts) + 1:
        raise ValueError(f"histogram needs len(edges) == len(counts) + 1, got {len(edges)} and {len(counts)}")
    left, top, plot_w, plot_h = 54, 26, 420, 140
    width, height = left + plot_w + 30, top + plot_h + 46
    lo, hi = float(edges[0]), float(edges[-1])
    if hi <= lo:
        hi = lo + 1.0
    ymax = max(max((float(n) for n in counts), default=0.0), 1.0)

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    def sy(v: float) -> float:
        return top + plot_h - v / ymax * plot_h

    c = _Canvas()
    for v in nice_ticks(0.0, ymax):
        c.lines.append(Line(left, sy(v), left + plot_w, sy(v), GRID))
        c.texts.append(Text(left - 6, sy(v) + 4, fmt(v), anchor="end", size=10))
    for v in nice_ticks(lo, hi):
        c.texts.append(Text(sx(v), top + plot_h + 14, fmt(v), anchor="middle", size=10))
    for n, a, b in zip(counts, edges[:-1], edges[1:]):
        colour = BAR_WARN if threshold is not None and a >= threshold.value else BAR
        c.rects.append(Rect(sx(a) + 0.5, sy(float(n)), max(sx(b) - sx(a) - 1.0, 0.5), plot_h - (sy(float(n)) - top), colour,
                            title=f"[{fmt(a)}, {fmt(b)}): {fmt(float(n))}"))
    c.lines += [Line(left, top + plot_h, left + plot_w, top + plot_h, AXIS), Line(left, top, left, top + plot_h, AXIS)]
    c.texts.append(Text(left + plot_w / 2, top + plot_h + 32, x_label, anchor="middle"))
    if threshold is not None:
        c.lines.append(Line(sx(threshold.value), top - 6, sx(threshold.value), top + plot_h, THRESHOLD, 1.5, "5,3"))
        c.texts.append(Text(sx(threshold.value), top - 10, short(threshold.label, 40), anchor="middle", size=10, fill=THRESHOLD))
    return c.chart(width, height, title, description or f"{title}: {len(counts)} bins")


def histogram_of(values: Sequence[float], *, bins: int = 20, domain: tuple[float, float] = (0.0, 1.0), **kwargs) -> Chart:
    """`histogram` of raw values (e.g. toxicity scores) over `bins` equal bins of `domain`."""
    finite = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    counts, edges = np.histogram(finite, bins=bins, range=domain)
    return histogram(counts=counts.tolist(), edges=edges.tolist(), **kwargs)


def render_svg(chart: Chart) -> str:
    """The SVG markup of one chart, through the report's autoescaping template macro."""
    from rai.reports.html import environment

    return str(environment().get_template("charts.svg.j2").module.svg_chart(chart))
