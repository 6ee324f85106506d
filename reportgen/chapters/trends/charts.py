"""Charts of the trends and cohorts chapter."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.display import charts as theme
from reportgen.display.charts import ChartSpec

RETURNING = "#7fa7c9"  # the two customer groups: colours no other panel uses
NEW = "#e9a23b"


def trends_chart(trends: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Four small panels over the months: revenue, orders, new and returning customers, AOV."""
    rows = theme.month_labels(trends).with_columns(
        pl.when(pl.col("is_current")).then(pl.lit("Reported month"))
        .otherwise(pl.lit("Earlier months")).alias("kind"),
        pl.col("average_order_value").fill_null(0.0),
    )
    labels = rows["label"].to_list()
    x = alt.X("label:N", sort=labels, title="Month",
              axis=alt.Axis(labelAngle=-45, labelFontSize=9))
    colour = alt.Color("kind:N", legend=None, scale=alt.Scale(
        domain=["Earlier months", "Reported month"], range=[theme.EARLIER, theme.HIGHLIGHT]))
    money = theme.money_axis(currency_symbol, ticks=3)

    def panel(field: str, title: str, axis: alt.Axis | None = None) -> alt.Chart:
        chart: alt.Chart = alt.Chart(
            theme.inline_data(rows), title=alt.Title(title, anchor="start", fontSize=11, color=theme.INK)
        ).mark_bar().encode(
            x=x, y=alt.Y(f"{field}:Q", title=title, axis=axis or alt.Axis(tickCount=3)),
            color=colour,
        ).properties(width=265, height=105)
        return chart

    # The month the data start has no new / returning split (everyone looks new): no bar, a
    # "data start" mark instead.
    customers = rows.select("label", "new_customers", "returning_customers").unpivot(
        index=["label"], on=["new_customers", "returning_customers"],
        variable_name="customer_type", value_name="customers").drop_nulls("customers").with_columns(
        pl.col("customer_type").replace_strict({"new_customers": "New",
                                                "returning_customers": "Returning"}))
    bars = alt.Chart(theme.inline_data(customers)).mark_bar().encode(
        x=x, y=alt.Y("customers:Q", title="Customers", axis=alt.Axis(tickCount=3)),
        color=alt.Color("customer_type:N", title=None, scale=alt.Scale(
            domain=["Returning", "New"], range=[RETURNING, NEW]),
            legend=alt.Legend(orient="bottom", direction="horizontal", offset=4)),
        order=alt.Order("customer_type:N", sort="descending"),
    )
    starts = rows.filter(pl.col("data_starts")).select("label")
    layers: list[alt.Chart] = [bars]
    if starts.height:
        layers.append(alt.Chart(theme.inline_data(starts)).mark_text(
            angle=270, align="left", dy=3, fontSize=8, color=theme.MUTED, text="data start"
        ).encode(x=x, y=alt.datum(0)))
    stacked = alt.layer(*layers, title=alt.Title(
        "Active customers: new and returning", anchor="start", fontSize=11, color=theme.INK),
    ).properties(width=265, height=105)
    # Each panel keeps its own colours, so the new / returning legend is not merged with the
    # highlight of the reported month.
    chart = alt.vconcat(
        alt.hconcat(panel("revenue", "Revenue", money), panel("orders", "Orders"))
        .resolve_scale(color="independent"),
        alt.hconcat(stacked, panel("average_order_value", "Average order value", money))
        .resolve_scale(color="independent"),
    ).resolve_scale(color="independent")
    return theme.finish_spec(chart, 265, 105)


def cohort_heatmap(retention: pl.DataFrame, sizes: pl.DataFrame, grain: str) -> ChartSpec:
    """Share of each cohort active k periods after its first; +0 is always 100 %."""
    name = (pl.col("cohort").dt.strftime("%b %Y") if grain == "month" else
            pl.format("Q{} {}", pl.col("cohort").dt.quarter(), pl.col("cohort").dt.year()))
    # The first cohort is where the data start: customers already buying then, not acquired.
    start = pl.when(pl.col("data_starts")).then(pl.lit(", data start")).otherwise(pl.lit(""))
    labelled = retention.join(sizes.select("cohort", "data_starts"), on="cohort").with_columns(
        (name + " (" + pl.col("customers").cast(pl.String) + start + ")").alias("label"),
        ("+" + pl.col("offset").cast(pl.String)).alias("offset_label"),
        (pl.col("retention") * 100).round(0).cast(pl.Int64).cast(pl.String).alias("text"),
    )
    order = labelled.sort("cohort")["label"].unique(maintain_order=True).to_list()
    offsets = [f"+{o}" for o in sorted(labelled["offset"].unique().to_list())]
    top = theme.largest(labelled.filter(pl.col("offset") > 0)["retention"], 0.5) or 0.5
    base = alt.Chart(theme.inline_data(labelled)).encode(
        x=alt.X("offset_label:N", sort=offsets, title="Periods after the first purchase",
                axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("label:N", sort=order, title="Cohort (first purchase)"),
    )
    # Cells carry their percentage, so no colour legend (WeasyPrint cannot paint gradients).
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("retention:Q", legend=None,
                        scale=alt.Scale(scheme="blues", domain=[0, top], clamp=True)),
    )
    text = base.mark_text(fontSize=9).encode(
        text=alt.Text("text:N"),
        color=alt.condition(f"datum.retention > {top * 0.6}", alt.value("white"),
                            alt.value(theme.INK)),
    )
    width, height = 560, 20 * len(order)
    return theme.finish_spec((cells + text).properties(width=width, height=height), width, height)


def retention_curve_chart(curve: pl.DataFrame, period_name: str) -> ChartSpec:
    """Average share of a cohort still buying k periods after its first purchase (the points
    given: those enough cohorts support); under each point, how many cohorts it averages."""
    rows = curve.with_columns(pl.col("cohorts").cast(pl.String).alias("support"))
    x = alt.X("offset:Q", title=f"{period_name.capitalize()}s after the first purchase",
              axis=alt.Axis(tickMinStep=1, format="d"),
              scale=alt.Scale(domain=[0.5, float(theme.largest(rows["offset"], 1.0)) + 0.5]))
    chart = alt.Chart(theme.inline_data(rows)).mark_line(
        point=alt.OverlayMarkDef(size=30), color=theme.HIGHLIGHT).encode(
        x=x, y=alt.Y("retention:Q", title="Share still buying", axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0, max(0.05, theme.largest(rows["retention"]) * 1.25)])),
    )
    labelled = rows  # every point labelled (a curve of at most a few dozen points)
    labels = alt.Chart(theme.inline_data(labelled)).mark_text(
        dy=-9, fontSize=9, color=theme.MUTED).encode(
        x="offset:Q", y="retention:Q", text=alt.Text("retention:Q", format=".0%"))
    support = alt.Chart(theme.inline_data(labelled)).mark_text(
        baseline="bottom", dy=-2, fontSize=8, color=theme.MUTED).encode(
        x="offset:Q", y=alt.datum(0), text="support:N")
    width, height = 560, 150
    return theme.finish_spec((chart + labels + support).properties(width=width, height=height),
                             width, height)


def seasonality_chart(table: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Revenue per calendar month, one bar per year."""
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    rows = table.with_columns(
        pl.col("month").replace_strict(dict(enumerate(names, start=1)),
                                       return_dtype=pl.String).alias("label"),
        pl.col("year").cast(pl.String),
    )
    years = sorted(rows["year"].unique().to_list())
    greys = ["#c9d6e3", "#9fb8cf", "#5f8fb8", theme.HIGHLIGHT]
    chart = alt.Chart(theme.inline_data(rows)).mark_bar().encode(
        x=alt.X("label:N", sort=names, title="Calendar month", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("year:N", sort=years),
        y=alt.Y("revenue:Q", title="Revenue", axis=theme.money_axis(currency_symbol)),
        color=alt.Color("year:N", title=None, sort=years,
                        scale=alt.Scale(domain=years, range=greys[-len(years):]),
                        legend=alt.Legend(orient="top-left", direction="horizontal")),
    )
    width, height = 600, 150
    return theme.finish_spec(chart.properties(width=width, height=height), width, height)
