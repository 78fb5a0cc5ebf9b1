"""Jupyter ``_repr_html_`` helpers: a compact table and a small inline SVG line plot.

Plain strings, no matplotlib import (a notebook repr must be cheap). Every text is escaped.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

__all__ = ["line_plot", "table"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def table(rows: list[tuple[str, str]], title: str) -> str:
    """A two-column table (name, value) under a bold ``title``."""
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return f"<div><b>{html.escape(title)}</b><table>{body}</table></div>"


def _segments(px: np.ndarray, py: np.ndarray) -> list[str]:
    """Polyline point lists, broken where a value is not finite (a failed point leaves a gap)."""
    out, cur = [], []
    for a, b in zip(px, py):
        if math.isfinite(a) and math.isfinite(b):
            cur.append(f"{a:.1f},{b:.1f}")
        elif cur:
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


def line_plot(
    x: Any, series: dict[str, Any], *, xlabel: str = "t", logx: bool = False, width: int = 320, height: int = 140
) -> str:
    """A small SVG plot of each ``series[name]`` (real part) against ``x``; ``""`` when nothing is plottable.

    Non-finite values are left out (the line has a gap there); ``logx`` spaces ``x`` logarithmically.
    """
    x = np.asarray(x, dtype=float)
    ys = {str(n): np.real(np.asarray(v, dtype=complex)).astype(float) for n, v in series.items()}
    ys = {n: y for n, y in ys.items() if y.shape == x.shape and np.isfinite(y).any()}
    if not ys or x.ndim != 1 or x.size < 2 or not np.isfinite(x).all():
        return ""
    xs = np.log10(x) if logx and np.all(x > 0) else x
    lo = min(float(np.nanmin(np.where(np.isfinite(y), y, np.nan))) for y in ys.values())
    hi = max(float(np.nanmax(np.where(np.isfinite(y), y, np.nan))) for y in ys.values())
    hi = hi if hi > lo else lo + 1.0
    x0, x1 = float(xs.min()), float(xs.max())
    x1 = x1 if x1 > x0 else x0 + 1.0
    pad = 28
    px = pad + (xs - x0) / (x1 - x0) * (width - pad - 4)
    lines = []
    for i, y in enumerate(ys.values()):
        py = height - pad - (y - lo) / (hi - lo) * (height - pad - 6)
        lines += [
            f"<polyline fill='none' stroke='{_COLORS[i % 6]}' stroke-width='1.5' points='{pts}'/>"
            for pts in _segments(px, py)
        ]
    legend = "".join(
        f"<text x='{pad + 4 + 70 * i}' y='12' font-size='10' fill='{_COLORS[i % 6]}'>{html.escape(n[:12])}</text>"
        for i, n in enumerate(list(ys)[:4])
    )
    first, last = float(x.min()), float(x.max())
    axes = (
        f"<line x1='{pad}' y1='{height - pad}' x2='{width - 4}' y2='{height - pad}' stroke='#888'/>"
        f"<line x1='{pad}' y1='6' x2='{pad}' y2='{height - pad}' stroke='#888'/>"
        f"<text x='{pad}' y='{height - 12}' font-size='9'>{first:g}</text>"
        f"<text x='{width - 60}' y='{height - 12}' font-size='9'>{html.escape(xlabel)}={last:g}</text>"
        f"<text x='0' y='{height - pad}' font-size='9'>{lo:.3g}</text>"
        f"<text x='0' y='14' font-size='9'>{hi:.3g}</text>"
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>"
        f"{axes}{''.join(lines)}{legend}</svg>"
    )
