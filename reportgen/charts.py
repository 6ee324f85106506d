"""Vega-Lite chart specifications built with Altair from small, pre-aggregated tables."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from reportgen.formatting import segment_label

ChartSpec = dict[str, Any]
FONT = "Lato"
INK = "#1d2733"
MUTED = "#5b6675"
PALETTE = {"customers": "#1f4e79", "revenue": "#2a9d8f"}
SEGMENT_COLOURS = {
    "champions": "#1f4e79",
    "loyal_customers": "#2f6f9f",
    "potential_loyalists": "#5fa2c9",
    "new_customers": "#2a9d8f",
    "promising": "#8cc5b6",
    "need_attention": "#e9c46a",
    "about_to_sleep": "#f1a35c",
    "at_risk": "#e76f51",
    "cant_lose": "#b5403a",
    "hibernating": "#9aa5b1",
}
MAX_POINTS = 5_000


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


def finish_spec(chart: alt.TopLevelMixin, width: int, height: int) -> ChartSpec:
    spec: ChartSpec = chart.to_dict()
    spec["config"] = chart_config(width, height)
    return spec


def inline_data(frame: pl.DataFrame) -> alt.Data:
    """The chart's rows inlined in the spec; charts take aggregates, never raw lines."""
    if frame.height > MAX_POINTS:
        raise ValueError(f"chart data has {frame.height} rows; aggregate it first")
    return alt.Data(values=frame.to_dicts())  # type: ignore[no-untyped-call]


def largest(values: pl.Series, default: float = 0.0) -> float:
    """The largest value of a numeric series, or `default` when it is empty."""
    value = values.max()
    return float(value) if isinstance(value, int | float) else default


def segment_share_chart(profiles: pl.DataFrame) -> ChartSpec:
    """Grouped horizontal bars: each segment's share of customers and of revenue."""
    order = profiles.sort("revenue_share", descending=True)["segment"].to_list()
    long = pl.concat([
        profiles.select(
            pl.col("segment"), pl.lit("Share of customers").alias("measure"),
            pl.col("share").alias("value"),
        ),
        profiles.select(
            pl.col("segment"), pl.lit("Share of revenue").alias("measure"),
            pl.col("revenue_share").fill_null(0.0).alias("value"),
        ),
    ]).with_columns(
        pl.col("segment").map_elements(segment_label, return_dtype=pl.String).alias("label")
    )
    labels = [segment_label(s) for s in order]
    base = alt.Chart(inline_data(long)).encode(
        y=alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelFontSize=12)),
        yOffset=alt.YOffset("measure:N"),
        x=alt.X("value:Q", axis=alt.Axis(format="%", tickCount=5), title=None,
                scale=alt.Scale(domain=[0, max(0.05, largest(long["value"]) * 1.15)])),
    )
    bars = base.mark_bar(height={"band": 1}).encode(
        color=alt.Color(
            "measure:N", title=None,
            scale=alt.Scale(range=[PALETTE["customers"], PALETTE["revenue"]]),
        )
    )
    text = base.mark_text(align="left", dx=3, fontSize=10, color=MUTED).encode(
        text=alt.Text("value:Q", format=".1%")
    )
    width, height = 560, 26 * len(labels)
    return finish_spec((bars + text).properties(width=width, height=height), width, height)


def rfm_grid_chart(customers: pl.DataFrame) -> ChartSpec:
    """5x5 grid of recency score by frequency score: customers per cell, coloured by segment."""
    cells = (
        customers.group_by("r_score", "f_score", "segment")
        .agg(pl.len().alias("customers"))
        .sort("r_score", "f_score")
        .with_columns(
            pl.col("segment").map_elements(segment_label, return_dtype=pl.String).alias("label")
        )
    )
    present = [s for s in SEGMENT_COLOURS if s in set(cells["segment"].to_list())]
    extra = sorted(set(cells["segment"].to_list()) - set(present))
    names = present + extra
    colours = [SEGMENT_COLOURS.get(s, "#7f8c8d") for s in names]
    base = alt.Chart(inline_data(cells)).encode(
        x=alt.X("f_score:O", title="Frequency score (5 = most orders)",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("r_score:O", sort="descending", title="Recency score (5 = most recent)"),
    )
    rects = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "label:N", title=None,
            scale=alt.Scale(domain=[segment_label(s) for s in names], range=colours),
            legend=alt.Legend(columns=5, symbolType="square"),
        )
    )
    text = base.mark_text(fontSize=12, fontWeight="bold", color="white").encode(
        text=alt.Text("customers:Q", format=",")
    )
    width, height = 430, 300
    return finish_spec((rects + text).properties(width=width, height=height), width, height)


def revenue_trend_chart(trend: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Monthly revenue bars with the reported month highlighted."""
    rows = trend.select(
        pl.col("month").dt.strftime("%b %y").alias("label"),
        pl.col("revenue"),
        pl.when(pl.col("is_current")).then(pl.lit("Reported month"))
        .otherwise(pl.lit("Earlier months")).alias("kind"),
    )
    labels = rows["label"].to_list()
    base = alt.Chart(inline_data(rows)).encode(
        x=alt.X("label:N", sort=labels, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=10)),
        y=alt.Y("revenue:Q", title=None,
                axis=alt.Axis(labelExpr=f"'{currency_symbol}' + format(datum.value, '~s')",
                              tickCount=4)),
    )
    bars = base.mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        color=alt.Color(
            "kind:N", legend=None,
            scale=alt.Scale(domain=["Earlier months", "Reported month"],
                            range=["#9fb8cf", PALETTE["customers"]]),
        )
    )
    width, height = 620, 120
    return finish_spec(bars.properties(width=width, height=height), width, height)


GROUP_COLOURS = {"A": "#1f4e79", "B": "#3f7cac", "C": "#7fa7c9", "D": "#bcd0e2"}


def clv_distribution_chart(bins: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Customers per CLV band, stacked by CLV group; the last band collects the long tail."""
    labels = bins.select("band", "band_order").unique().sort("band_order")["band"].to_list()
    base = alt.Chart(inline_data(bins)).encode(
        x=alt.X("band:N", sort=labels, title=f"CLV over the horizon ({currency_symbol})",
                axis=alt.Axis(labelAngle=-40, labelFontSize=9)),
        y=alt.Y("customers:Q", title="Customers", stack="zero"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("clv_group:N", title="CLV group",
                        scale=alt.Scale(domain=list(GROUP_COLOURS),
                                        range=list(GROUP_COLOURS.values())),
                        legend=alt.Legend(orient="top-right", direction="horizontal")),
        order=alt.Order("clv_group:N", sort="ascending"),
    )
    width, height = 600, 200
    return finish_spec(bars.properties(width=width, height=height), width, height)


def backtest_chart(tracking: pl.DataFrame, model_label: str) -> ChartSpec:
    """Cumulative repeat purchases in the holdout: actual, the model, and the naive baseline."""
    series = {"actual": "Actual", "predicted": model_label, "baseline": "Naive: past rate"}
    legend = alt.Legend(orient="top-left", symbolType="stroke", symbolStrokeWidth=2)
    long = pl.concat([
        tracking.select(
            pl.col("week"), pl.col("date").dt.strftime("%d %b").alias("label"),
            pl.lit(name).alias("series"), pl.col(column).cast(pl.Float64).alias("purchases"),
        )
        for column, name in series.items()
    ])
    lines = alt.Chart(inline_data(long)).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("week:Q", title="Weeks into the holdout",
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("purchases:Q", title="Cumulative repeat purchases"),
        color=alt.Color("series:N", title=None, sort=list(series.values()),
                        scale=alt.Scale(domain=list(series.values()),
                                        range=[INK, PALETTE["revenue"], "#9aa5b1"]),
                        legend=legend),
        strokeDash=alt.StrokeDash("series:N", title=None, sort=list(series.values()),
                                  scale=alt.Scale(domain=list(series.values()),
                                                  range=[[1, 0], [1, 0], [5, 3]]),
                                  legend=legend),
    )
    width, height = 560, 210
    return finish_spec(lines.properties(width=width, height=height), width, height)


def p_alive_chart(by_segment: pl.DataFrame) -> ChartSpec:
    """Mean probability of being active, per RFM segment."""
    rows = by_segment.with_columns(
        pl.col("segment").map_elements(segment_label, return_dtype=pl.String).alias("label")
    ).sort("p_alive", descending=True)
    base = alt.Chart(inline_data(rows)).encode(
        y=alt.Y("label:N", sort=rows["label"].to_list(), title=None),
        x=alt.X("p_alive:Q", title="Mean P(alive)", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar(color=PALETTE["customers"], height={"band": 0.7})
    text = base.mark_text(align="left", dx=3, fontSize=10, color=MUTED).encode(
        text=alt.Text("p_alive:Q", format=".0%"))
    width, height = 520, 22 * rows.height
    return finish_spec((bars + text).properties(width=width, height=height), width, height)


CLUSTER_COLOURS = ["#1f4e79", "#2a9d8f", "#e9c46a", "#e76f51", "#8cc5b6", "#5fa2c9",
                   "#b5403a", "#9aa5b1", "#f1a35c", "#2f6f9f"]


def cluster_selection_chart(selection: pl.DataFrame, chosen_k: int, elbow_k: int) -> ChartSpec:
    """Silhouette and inertia by k, the chosen k marked."""
    rows = selection.with_columns(
        pl.when(pl.col("k") == chosen_k).then(pl.lit("chosen"))
        .when(pl.col("k") == elbow_k).then(pl.lit("elbow")).otherwise(pl.lit("")).alias("mark"))
    x = alt.X("k:O", title="Number of clusters (k)", axis=alt.Axis(labelAngle=0))

    def panel(field: str, title: str) -> alt.LayerChart:
        base = alt.Chart(inline_data(rows), title=alt.Title(title, anchor="start", fontSize=11,
                                                            color=INK)).encode(x=x)
        line = base.mark_line(color=PALETTE["customers"], point=True).encode(
            y=alt.Y(f"{field}:Q", title=None, scale=alt.Scale(zero=False)))
        marks = base.mark_point(size=140, shape="circle", filled=False, strokeWidth=2).encode(
            y=f"{field}:Q",
            color=alt.Color("mark:N", scale=alt.Scale(domain=["chosen", "elbow"],
                                                      range=[PALETTE["revenue"], "#e76f51"]),
                            legend=alt.Legend(title=None, orient="bottom", direction="horizontal")),
        ).transform_filter("datum.mark != ''")
        layered: alt.LayerChart = (line + marks).properties(width=255, height=130)
        return layered

    chart = alt.hconcat(panel("silhouette", "Silhouette (higher is better)"),
                        panel("inertia", "Inertia (elbow)"))
    return finish_spec(chart, 255, 130)


def cluster_map_chart(projection: pl.DataFrame, names: dict[int, str]) -> ChartSpec:
    """Customers (a sample) on the first two principal components, coloured by cluster."""
    rows = projection.with_columns(
        pl.col("cluster").replace_strict(names, return_dtype=pl.String).alias("name"))
    order = [names[k] for k in sorted(names)]
    chart = alt.Chart(inline_data(rows)).mark_circle(size=14, opacity=0.6).encode(
        x=alt.X("x:Q", title="Component 1", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", title="Component 2", axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("name:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=CLUSTER_COLOURS[:len(order)]),
                        legend=alt.Legend(orient="right")),
    )
    width, height = 430, 260
    return finish_spec(chart.properties(width=width, height=height), width, height)
