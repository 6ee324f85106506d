"""The report's chart theme: shared look, colours and the rules every chart follows.

Charts are Vega-Lite specifications built with Altair from small, pre-aggregated tables; each
chapter builds its own in its charts.py, and rendering turns them into SVG (report) and PNG
(email) offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl

ChartSpec = dict[str, Any]
FONT = "Lato"
INK = "#1d2733"
MUTED = "#5b6675"
PALETTE = {"customers": "#1f4e79", "revenue": "#2a9d8f"}
HIGHLIGHT = PALETTE["customers"]
EARLIER = "#9fb8cf"
MAX_POINTS = 5_000


@dataclass(frozen=True)
class Chart:
    """A chart for the report: the words around it and its Vega-Lite spec."""

    title: str
    caption: str
    spec: ChartSpec


def chart_config(width: int, height: int) -> dict[str, Any]:
    """Shared look: report font, quiet axes, no chart border."""
    return {
        "font": FONT,
        "view": {"stroke": None, "continuousWidth": width, "continuousHeight": height},
        "axis": {
            "labelColor": MUTED, "titleColor": MUTED, "labelFontSize": 11, "titleFontSize": 11,
            "titleFontWeight": "normal", "domainColor": "#c9d1d9", "tickColor": "#c9d1d9",
            "gridColor": "#e8ecf0",
        },
        "legend": {"labelColor": INK, "titleColor": MUTED, "labelFontSize": 11,
                   "titleFontSize": 11, "titleFontWeight": "normal", "orient": "bottom"},
        "text": {"color": INK, "fontSize": 11},
        "background": "white",
    }


@contextmanager
def unchecked_charts() -> Iterator[None]:
    """Build charts without Altair checking every part against the Vega-Lite schema as it is
    made (its debug mode: 0.38 s of the demo report's 1 s of sections). The tests validate
    every finished spec of a full report instead (`finish_spec` skips it too)."""
    from altair.utils.schemapi import debug_mode

    with debug_mode(False):
        yield


def finish_spec(chart: Any, width: int, height: int) -> ChartSpec:
    """The chart's Vega-Lite spec with the report's look."""
    spec: ChartSpec = chart.to_dict(validate=False)  # validated by tests, not every run
    spec["config"] = chart_config(width, height)
    return spec


def inline_data(frame: pl.DataFrame) -> Any:
    """The chart's rows inlined in the spec; charts take aggregates, never raw lines."""
    import altair as alt

    if frame.height > MAX_POINTS:
        raise ValueError(f"chart data has {frame.height} rows; aggregate it first")
    return alt.Data(values=frame.to_dicts())  # type: ignore[no-untyped-call]


def largest(values: pl.Series, default: float = 0.0) -> float:
    """The largest value of a numeric series, or `default` when it is empty."""
    value = values.max()
    return float(value) if isinstance(value, int | float) else default


def money_axis(symbol: str, ticks: int = 4) -> Any:
    """An axis labelled £1k, £20k..."""
    import altair as alt

    return alt.Axis(labelExpr=f"'{symbol}' + format(datum.value, '~s')", tickCount=ticks)


def month_labels(frame: pl.DataFrame, column: str = "month") -> pl.DataFrame:
    """Add label = 'Nov 11' for a month column."""
    return frame.with_columns(pl.col(column).dt.strftime("%b %y").alias("label"))
