"""Charts of the clusters chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec

CLUSTER_COLOURS = ["#1f4e79", "#2a9d8f", "#e9c46a", "#e76f51", "#8cc5b6", "#5fa2c9",
                   "#b5403a", "#9aa5b1", "#f1a35c", "#2f6f9f"]


def cluster_selection_chart(selection: pl.DataFrame, chosen_k: int, elbow_k: int) -> ChartSpec:
    """Silhouette and inertia by k, the chosen k marked, and the elbow when it differs."""
    chosen = "chosen k, also the elbow" if chosen_k == elbow_k else "chosen k"
    rows = selection.with_columns(
        pl.when(pl.col("k") == chosen_k).then(pl.lit(chosen))
        .when(pl.col("k") == elbow_k).then(pl.lit("elbow")).otherwise(pl.lit("")).alias("mark"))
    domain = [chosen] if chosen_k == elbow_k else [chosen, "elbow"]
    x = alt.X("k:O", title="Number of clusters (k)", axis=alt.Axis(labelAngle=0))

    def panel(field: str, title: str) -> alt.LayerChart:
        base = alt.Chart(theme.inline_data(rows), title=alt.Title(title, anchor="start", fontSize=11,
                                                            color=theme.INK)).encode(x=x)
        line = base.mark_line(color=theme.PALETTE["customers"], point=True).encode(
            y=alt.Y(f"{field}:Q", title=None, scale=alt.Scale(zero=False)))
        marks = base.mark_point(size=140, shape="circle", filled=False, strokeWidth=2).encode(
            y=f"{field}:Q",
            color=alt.Color("mark:N", scale=alt.Scale(
                domain=domain, range=[theme.PALETTE["revenue"], "#e76f51"][:len(domain)]),
                            legend=alt.Legend(title=None, orient="bottom", direction="horizontal")),
        ).transform_filter("datum.mark != ''")
        layered: alt.LayerChart = (line + marks).properties(width=255, height=130)
        return layered

    chart = alt.hconcat(panel("silhouette", "Silhouette (higher is better)"),
                        panel("inertia", "Inertia (elbow)"))
    return theme.finish_spec(chart, 255, 130)


def cluster_map_chart(projection: pl.DataFrame, names: dict[int, str]) -> ChartSpec:
    """Customers (a sample) on the first two principal components, coloured by cluster."""
    numbered = {k: f"{k} {name}" for k, name in names.items()}
    rows = projection.with_columns(
        pl.col("cluster").replace_strict(numbered, return_dtype=pl.String).alias("name"))
    order = [numbered[k] for k in sorted(numbered)]
    chart = alt.Chart(theme.inline_data(rows)).mark_circle(size=14, opacity=0.6).encode(
        x=alt.X("x:Q", title="Component 1 of the scaled features",
                axis=alt.Axis(tickCount=5, format=".1f")),
        y=alt.Y("y:Q", title="Component 2 of the scaled features",
                axis=alt.Axis(tickCount=5, format=".1f")),
        color=alt.Color("name:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=CLUSTER_COLOURS[:len(order)]),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=300)),
    )
    width, height = 520, 240
    return theme.finish_spec(chart.properties(width=width, height=height), width, height)
