"""Charts as inline SVG, written by hand: no plotting library, no script, no external resource.

Text stays text (``<text>`` elements in the page's font stack), so Chinese labels render with
the reader's fonts, are searchable and copy as text; every chart carries a ``<title>`` and
``role="img"`` with an ``aria-label``. The numbers of every chart are also printed in a table
beside it by the document builders; a chart never holds a number the table does not.

Each function takes plain Python numbers and returns one ``<svg>`` string with a ``viewBox``
(it scales to its container).

Examples
--------
>>> svg = bars_vs_max(["A 科学算碳"], [12.0], [15.0], unit="分")
>>> svg.startswith("<svg") and "科学算碳" in svg and "http" not in svg
True
"""

from __future__ import annotations

import functools
import math
from html import escape
from typing import Sequence

import numpy as np

__all__ = ["PALETTE", "SVG_NAMESPACE", "standalone", "stacked_bars", "grouped_hbars", "waterfall", "heatmap", "bars_vs_max",
           "trend", "nice_max"]

#: Colour-blind-safe palette (Okabe & Ito 2008), then greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#999999", "#666666")
#: The SVG namespace. Inline SVG in HTML needs none (the HTML parser puts ``<svg>`` in it), so
#: charts are written without it and the page holds no URL at all; :func:`standalone` adds it.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def _e(s: object) -> str:
    t = s if type(s) is str else str(s)
    if "&" in t or "<" in t or ">" in t or '"' in t or "'" in t:
        return escape(t, quote=True)
    return t


def standalone(svg: str) -> str:
    """A chart as a standalone SVG file's text (with the namespace declaration).

    Parameters
    ----------
    svg : str
        A chart's inline SVG text.

    Examples
    --------
    >>> standalone("<svg viewBox='0 0 1 1'></svg>")[:40]
    '<svg xmlns="http://www.w3.org/2000/svg" '
    """
    return svg.replace("<svg ", f'<svg xmlns="{SVG_NAMESPACE}" ', 1)


def nice_max(v: float) -> float:
    """A round axis maximum >= ``v`` (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k).

    Parameters
    ----------
    v : float
        The largest value to show; not finite or <= 0 gives 1.0.

    Examples
    --------
    >>> nice_max(0.0), nice_max(7.3), nice_max(1234.0)
    (1.0, 8.0, 1500.0)
    """
    if not v or not math.isfinite(v) or v <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(v))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * k >= v * (1 - 1e-12):
            return float(m * k)
    return float(10 * k)


def _tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 10:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _ticks(top: float, bottom: float = 0.0) -> int:
    """How many intervals divide the axis into round steps (5, 4, 6 or 3)."""
    span = top - bottom
    for n in (5, 4, 6, 3, 2):
        step = span / n
        mant = step / 10 ** math.floor(math.log10(step)) if step > 0 else 1.0
        if any(math.isclose(mant, m, rel_tol=1e-9) for m in (1, 2, 2.5, 5, 10)):
            return n
    return 5


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-label="{_e(title)}" class="chart">', f"<title>{_e(title)}</title>"]


def _legend(out: list[str], items: Sequence[tuple[str, str]], x: float, y: float) -> None:
    cx = x
    for label, colour in items:
        out.append(f'<rect x="{cx:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{cx + 14:.1f}" y="{y:.1f}" class="legend">{_e(label)}</text>')
        cx += 24 + 7.5 * _width(label)


def _width(label: str) -> float:
    """Approximate text width in units of a Latin character (CJK counts double)."""
    if label.isascii():
        return float(len(label))
    return sum(2.0 if ord(c) > 0x2E80 else 1.0 for c in label)


def _y_axis(out: list[str], x0: float, y0: float, h: float, w: float, top: float, unit: str,
            bottom: float = 0.0, ticks: int | None = None) -> None:
    ticks = ticks or _ticks(top, bottom)
    for i in range(ticks + 1):
        v = bottom + (top - bottom) * i / ticks
        y = y0 - h * i / ticks
        out.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x0 + w:.1f}" y2="{y:.1f}" '
                   f'class="grid"/>')
        out.append(f'<text x="{x0 - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                   f"{_tick(v)}</text>")
    if unit:
        out.append(f'<text x="{x0 - 6:.1f}" y="{y0 - h - 12:.1f}" text-anchor="end" '
                   f'class="unit">{_e(unit)}</text>')


def stacked_bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *,
                 unit: str, title: str) -> str:
    """Vertical bars, one per category, stacked by series (negative parts stack downwards).

    Parameters
    ----------
    categories : sequence of str
        Bar labels (months).
    series : sequence of (label, values)
        One value per category for each series.
    unit : str
        Axis unit, e.g. ``"tCO2e"``.
    title : str
        The chart's title (also its accessible name).
    """
    width, height, left, right, top_m, bottom_m = 680, 320, 64, 12, 44, 40
    w, h = width - left - right, height - top_m - bottom_m
    vals = np.array([list(v) for _, v in series], dtype=float).reshape(len(series),
                                                                       len(categories))
    vals = np.nan_to_num(vals)
    pos = np.where(vals > 0, vals, 0).sum(axis=0)
    neg = np.where(vals < 0, vals, 0).sum(axis=0)
    top = nice_max(float(pos.max(initial=0.0)))
    bottom = -nice_max(-float(neg.min(initial=0.0))) if neg.min(initial=0.0) < 0 else 0.0
    span = top - bottom
    y_of = (lambda v: top_m + h * (top - v) / span)
    out = _open(width, height, title)
    _y_axis(out, left, top_m + h, h, w, top, unit, bottom)
    n = max(len(categories), 1)
    step = w / n
    bw = step * 0.66
    for j, cat in enumerate(categories):
        x = left + j * step + (step - bw) / 2
        up, down = 0.0, 0.0
        for i, (label, _) in enumerate(series):
            v = vals[i, j]
            if v == 0:
                continue
            if v > 0:
                y1, y2 = y_of(up + v), y_of(up)
                up += v
            else:
                y1, y2 = y_of(down), y_of(down + v)
                down += v
            out.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bw:.1f}" '
                       f'height="{max(y2 - y1, 0.0):.1f}" fill="{PALETTE[i % len(PALETTE)]}">'
                       f"<title>{_e(cat)} {_e(label)}: {v:,.2f} {_e(unit)}</title></rect>")
        out.append(f'<text x="{x + bw / 2:.1f}" y="{top_m + h + 16:.1f}" text-anchor="middle" '
                   f'class="tick">{_e(cat)}</text>')
    out.append(f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{left + w}" y2="{y_of(0):.1f}" '
               'class="axis"/>')
    _legend(out, [(lab, PALETTE[i % len(PALETTE)]) for i, (lab, _) in enumerate(series)],
            left, 18)
    out.append("</svg>")
    return "".join(out)


def grouped_hbars(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *,
                  unit: str, title: str) -> str:
    """Horizontal bars, one group per label, one bar per series (energy structure).

    Parameters
    ----------
    labels : sequence of str
        One group per label (carriers).
    series : sequence of (label, values)
        One value per label for each series (当量值 and 等价值 ...).
    unit : str
        Axis unit, e.g. ``"tce"``.
    title : str
        The chart's title (also its accessible name).
    """
    ns = max(len(series), 1)
    bar, gap = 14, 12
    left, right, top_m = 190, 70, 36
    height = top_m + len(labels) * (ns * bar + gap) + 24
    width = 680
    w = width - left - right
    vals = np.nan_to_num(np.array([list(v) for _, v in series], dtype=float).reshape(
        len(series), len(labels)))
    top = nice_max(float(vals.max(initial=0.0)))
    out = _open(width, height, title)
    for i in range(5):
        x = left + w * i / 4
        out.append(f'<line x1="{x:.1f}" y1="{top_m - 6}" x2="{x:.1f}" y2="{height - 22}" '
                   'class="grid"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" class="tick">'
                   f"{_tick(top * i / 4)}</text>")
    out.append(f'<text x="{left + w:.1f}" y="{top_m - 14}" text-anchor="end" class="unit">'
               f"{_e(unit)}</text>")
    y = top_m
    for j, label in enumerate(labels):
        out.append(f'<text x="{left - 8}" y="{y + ns * bar / 2 + 4:.1f}" text-anchor="end" '
                   f'class="label">{_e(label)}</text>')
        for i, (slab, _) in enumerate(series):
            v = vals[i, j]
            bw = w * max(v, 0.0) / top
            out.append(f'<rect x="{left}" y="{y:.1f}" width="{bw:.1f}" height="{bar - 2}" '
                       f'fill="{PALETTE[i % len(PALETTE)]}"><title>{_e(label)} {_e(slab)}: '
                       f"{v:,.2f} {_e(unit)}</title></rect>")
            out.append(f'<text x="{left + bw + 4:.1f}" y="{y + bar - 4:.1f}" class="tick">'
                       f"{v:,.1f}</text>")
            y += bar
        y += gap
    _legend(out, [(lab, PALETTE[i % len(PALETTE)]) for i, (lab, _) in enumerate(series)],
            left, 16)
    out.append("</svg>")
    return "".join(out)


def waterfall(steps: Sequence[tuple[str, float, str]], *, unit: str, title: str) -> str:
    """A waterfall from gross to net.

    Parameters
    ----------
    steps : sequence of (label, value, kind)
        ``kind`` is ``"total"`` (a bar from 0 to ``value``) or ``"delta"`` (a floating bar from
        the running total by ``value``, negative = a reduction).
    unit : str
        Axis unit, e.g. ``"tCO2e"``.
    title : str
        The chart's title (also its accessible name).
    """
    width, height, left, right, top_m, bottom_m = 680, 320, 64, 12, 24, 56
    w, h = width - left - right, height - top_m - bottom_m
    running, tops = 0.0, [0.0]
    for _, v, kind in steps:
        running = v if kind == "total" else running + v
        tops.append(running)
    top = nice_max(max(max(tops), max((v for _, v, k in steps if k == "total"), default=0.0)))
    bottom = -nice_max(-min(tops)) if min(tops) < 0 else 0.0
    span = top - bottom
    y_of = (lambda v: top_m + h * (top - v) / span)
    out = _open(width, height, title)
    _y_axis(out, left, top_m + h, h, w, top, unit, bottom)
    n = max(len(steps), 1)
    step = w / n
    bw = step * 0.6
    running = 0.0
    prev_end = None
    for j, (label, v, kind) in enumerate(steps):
        x = left + j * step + (step - bw) / 2
        if kind == "total":
            a, b, colour = 0.0, v, "#0072B2" if j == 0 else "#333333"
            running = v
        else:
            a, b = running, running + v
            colour = "#009E73" if v < 0 else "#D55E00"
            running = b
        y1, y2 = y_of(max(a, b)), y_of(min(a, b))
        out.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bw:.1f}" '
                   f'height="{max(y2 - y1, 0.5):.1f}" fill="{colour}"><title>{_e(label)}: '
                   f"{v:,.2f} {_e(unit)}</title></rect>")
        if prev_end is not None:
            out.append(f'<line x1="{prev_end[0]:.1f}" y1="{prev_end[1]:.1f}" x2="{x:.1f}" '
                       f'y2="{prev_end[1]:.1f}" class="connector"/>')
        prev_end = (x + bw, y_of(running))
        out.append(f'<text x="{x + bw / 2:.1f}" y="{y1 - 4:.1f}" text-anchor="middle" '
                   f'class="tick">{v:,.0f}</text>')
        words = str(label).split(" ", 1)
        out.append(f'<text x="{x + bw / 2:.1f}" y="{top_m + h + 16:.1f}" text-anchor="middle" '
                   f'class="label">{_e(words[0])}</text>')
        if len(words) > 1:
            out.append(f'<text x="{x + bw / 2:.1f}" y="{top_m + h + 30:.1f}" '
                       f'text-anchor="middle" class="tick">{_e(words[1])}</text>')
    out.append(f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{left + w}" y2="{y_of(0):.1f}" '
               'class="axis"/>')
    out.append("</svg>")
    return "".join(out)


#: Sequential colours for shares 0 .. 1 in ten classes (light to dark green), and no data.
_HEAT = ("#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45",
         "#006d2c", "#00571f", "#00441b")
_NODATA = "#dddddd"


@functools.lru_cache(maxsize=8)
def _heat_grid(days: int, hours: int, left: float, top: float, cw: float, ch: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The heatmap's coordinate strings (object arrays): run starts, row tops, run widths."""
    xs = np.array([f"M{left + a * cw:.1f} " for a in range(days)], dtype=object)
    ys = np.array([f"{top + y * ch:.0f}" for y in range(hours)], dtype=object)
    ws = np.array([""] + [f"h{n * cw:.1f}v{ch:.0f}h-{n * cw:.1f}z" for n in range(1, days + 1)],
                  dtype=object)
    for a in (xs, ys, ws):
        a.flags.writeable = False
    return xs, ys, ws


def heatmap(share: np.ndarray, *, day_labels: Sequence[tuple[int, str]], title: str,
            legend_zh: str = "匹配比例", legend_en: str = "matched share") -> str:
    """Hour of day (rows) by day of year (columns): the share of consumption matched.

    Parameters
    ----------
    share : numpy.ndarray
        ``(24, days)`` values in [0, 1]; NaN where nothing was consumed.
    day_labels : sequence of (column index, label)
        Where to write day-axis labels (month starts).
    title : str
        The chart's title (also its accessible name).
    legend_zh, legend_en : str
        The legend's caption.

    Notes
    -----
    Runs of cells of one colour class along an hour's row are one sub-path, and each class is one
    ``<path>``, so a year of hours stays small.
    """
    share = np.asarray(share, dtype=float)
    hours, days = share.shape
    cw, ch = 1.6, 9.0
    left, top_m = 44, 30
    width = int(left + days * cw + 20)
    height = int(top_m + hours * ch + 64)
    out = _open(width, height, title)
    cls = np.where(np.isnan(share), -1, np.clip((np.nan_to_num(share) * 10).astype(int), 0, 9))
    # runs of equal class along each hour's row: one sub-path per run, one path per class
    change = np.ones(cls.shape, dtype=bool)
    change[:, 1:] = cls[:, 1:] != cls[:, :-1]
    rows, starts = np.nonzero(change)
    ends = np.append(starts[1:], 0)
    ends[np.append(rows[1:] != rows[:-1], True)] = days
    # every coordinate is on the cell grid: the strings are formatted once per grid size, and
    # each run's sub-path is three of them concatenated (object arrays, no Python loop)
    xs, ys, ws = _heat_grid(days, hours, left, top_m, cw, ch)
    pieces = xs[starts] + ys[rows] + ws[ends - starts]
    klass = cls[rows, starts]
    order = np.argsort(klass, kind="stable")  # by class, each class in row-major order
    bounds = np.flatnonzero(np.diff(klass[order])) + 1
    for idx in np.split(order, bounds) if order.size else ():
        k = int(klass[idx[0]])
        colour = _NODATA if k < 0 else _HEAT[k]
        out.append(f'<path d="{"".join(pieces[idx].tolist())}" fill="{colour}"/>')
    for hr in range(0, hours, 3):
        out.append(f'<text x="{left - 4}" y="{top_m + hr * ch + ch - 1:.0f}" text-anchor="end" '
                   f'class="tick">{hr:02d}:00</text>')
    for col, label in day_labels:
        x = left + col * cw
        out.append(f'<line x1="{x:.1f}" y1="{top_m + hours * ch:.0f}" x2="{x:.1f}" '
                   f'y2="{top_m + hours * ch + 4:.0f}" class="axis"/>')
        out.append(f'<text x="{x + 2:.1f}" y="{top_m + hours * ch + 16:.0f}" class="tick">'
                   f"{_e(label)}</text>")
    y = top_m + hours * ch + 40
    out.append(f'<text x="{left}" y="{y + 9:.0f}" class="legend">{_e(legend_zh)} '
               f"{_e(legend_en)}</text>")
    x0 = left + 8.0 * _width(f"{legend_zh} {legend_en}") + 10
    for k, colour in enumerate(_HEAT):
        out.append(f'<rect x="{x0 + k * 26:.0f}" y="{y:.0f}" width="26" height="10" '
                   f'fill="{colour}" stroke="#999" stroke-width="0.3"/>')
    out.append(f'<text x="{x0:.0f}" y="{y + 22:.0f}" class="tick">0 %</text>')
    out.append(f'<text x="{x0 + 260:.0f}" y="{y + 22:.0f}" text-anchor="end" class="tick">'
               "100 %</text>")
    out.append(f'<rect x="{x0 + 280:.0f}" y="{y:.0f}" width="12" height="10" fill="{_NODATA}"/>'
               f'<text x="{x0 + 296:.0f}" y="{y + 9:.0f}" class="tick">无用电 no consumption'
               "</text>")
    out.append(f'<text x="{left}" y="{top_m - 10}" class="unit">时刻 hour of day × 日 day of '
               "year</text>")
    out.append("</svg>")
    return "".join(out)


def bars_vs_max(labels: Sequence[str], values: Sequence[float], maxima: Sequence[float], *,
                unit: str, title: str = "") -> str:
    """Horizontal bars of points earned against the maximum (the maximum as an outline).

    Parameters
    ----------
    labels : sequence of str
        One bar per label (first-level indicators).
    values : sequence of float
        Points earned.
    maxima : sequence of float
        The maximum points of each.
    unit : str
        Axis unit (``"分 points"``); the title when none is given.
    title : str
        The chart's title.
    """
    bar, gap, left, right, top_m = 16, 10, 200, 90, 30
    height = top_m + len(labels) * (bar + gap) + 24
    width = 680
    w = width - left - right
    top = nice_max(max(list(maxima) + list(values) + [0.0]))
    out = _open(width, height, title or unit)
    y = top_m
    for label, v, m in zip(labels, values, maxima):
        out.append(f'<text x="{left - 8}" y="{y + bar - 4}" text-anchor="end" class="label">'
                   f"{_e(label)}</text>")
        out.append(f'<rect x="{left}" y="{y}" width="{w * m / top:.1f}" height="{bar}" '
                   'fill="none" stroke="#666" stroke-dasharray="3 2"/>')
        out.append(f'<rect x="{left}" y="{y}" width="{w * max(v, 0) / top:.1f}" height="{bar}" '
                   f'fill="{PALETTE[0]}"><title>{_e(label)}: {v:.2f} / {m:.2f} {_e(unit)}'
                   "</title></rect>")
        out.append(f'<text x="{left + w * m / top + 6:.1f}" y="{y + bar - 4}" class="tick">'
                   f"{v:.2f} / {m:.2f}</text>")
        y += bar + gap
    _legend(out, [("得分 points", PALETTE[0]), ("满分 maximum (outline)", "#ffffff")], left, 16)
    out.append("</svg>")
    return "".join(out)


def trend(years: Sequence[int], series: Sequence[tuple[str, Sequence[float | None]]],
          targets: Sequence[tuple[str, Sequence[float | None]]] = (), *, unit: str,
          title: str) -> str:
    """Lines of actual values by year, with targets as hollow diamonds joined by a dashed line.

    Parameters
    ----------
    years : sequence of int
        The x axis.
    series : sequence of (label, values)
        Actual values by year (None where unknown).
    targets : sequence of (label, values)
        Target values by year (None where none is set).
    unit : str
        Axis unit.
    title : str
        The chart's title (also its accessible name).
    """
    width, height, left, right, top_m, bottom_m = 680, 300, 72, 24, 44, 36
    w, h = width - left - right, height - top_m - bottom_m
    every = [v for _, vs in list(series) + list(targets) for v in vs if v is not None]
    top = nice_max(max(every, default=1.0))
    y_of = (lambda v: top_m + h * (top - v) / top)
    n = len(years)
    x_of = (lambda i: left + (w * (i + 0.5) / n if n else 0))
    out = _open(width, height, title)
    _y_axis(out, left, top_m + h, h, w, top, unit)
    for i, yr in enumerate(years):
        out.append(f'<text x="{x_of(i):.1f}" y="{top_m + h + 18}" text-anchor="middle" '
                   f'class="tick">{yr}</text>')
    legend = []
    for k, (label, vs) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        pts = [(x_of(i), y_of(v)) for i, v in enumerate(vs) if v is not None]
        if len(pts) > 1:
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
                colour, " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)))
        for (x, y), v in zip(pts, [v for v in vs if v is not None]):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
                       f"<title>{_e(label)}: {v:.6g} {_e(unit)}</title></circle>")
        legend.append((label, colour))
    for k, (label, vs) in enumerate(targets):
        colour = PALETTE[k % len(PALETTE)]
        marks = [(x_of(i), y_of(v), v) for i, v in enumerate(vs) if v is not None]
        if len(marks) > 1:
            out.append('<polyline fill="none" stroke="%s" stroke-width="1.5" '
                       'stroke-dasharray="5 4" points="%s"/>' % (
                           colour, " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in marks)))
        for x, y, v in marks:
            out.append(f'<path d="M{x:.1f} {y - 6:.1f}l6 6l-6 6l-6 -6z" fill="#fff" '
                       f'stroke="{colour}" stroke-width="2"><title>{_e(label)}: {v:.6g} '
                       f"{_e(unit)}</title></path>")
        legend.append((label, colour))
    _legend(out, legend, left, 18)
    out.append("</svg>")
    return "".join(out)
