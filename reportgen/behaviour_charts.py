"""Charts of the trends, cohorts, behaviour, products, returns and countries chapters."""

from __future__ import annotations

import altair as alt
import polars as pl

from reportgen.analyses.behaviour import WEEKDAYS
from reportgen.charts import INK, MUTED, PALETTE, ChartSpec, finish_spec, inline_data, largest

HIGHLIGHT = PALETTE["customers"]
EARLIER = "#9fb8cf"


def _month_labels(frame: pl.DataFrame, column: str = "month") -> pl.DataFrame:
    return frame.with_columns(pl.col(column).dt.strftime("%b %y").alias("label"))


def trends_chart(trends: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Four small panels over the months: revenue, orders, new and returning customers, AOV."""
    rows = _month_labels(trends).with_columns(
        pl.when(pl.col("is_current")).then(pl.lit("Reported month"))
        .otherwise(pl.lit("Earlier months")).alias("kind"),
        pl.col("average_order_value").fill_null(0.0),
    )
    labels = rows["label"].to_list()
    x = alt.X("label:N", sort=labels, title=None, axis=alt.Axis(labelAngle=-45, labelFontSize=9))
    colour = alt.Color("kind:N", legend=None, scale=alt.Scale(
        domain=["Earlier months", "Reported month"], range=[EARLIER, HIGHLIGHT]))
    money_axis = alt.Axis(labelExpr=f"'{currency_symbol}' + format(datum.value, '~s')",
                          tickCount=3)

    def panel(field: str, title: str, axis: alt.Axis | None = None) -> alt.Chart:
        chart: alt.Chart = alt.Chart(
            inline_data(rows), title=alt.Title(title, anchor="start", fontSize=11, color=INK)
        ).mark_bar().encode(
            x=x, y=alt.Y(f"{field}:Q", title=None, axis=axis or alt.Axis(tickCount=3)),
            color=colour,
        ).properties(width=265, height=105)
        return chart

    customers = rows.select("label", "new_customers", "returning_customers").unpivot(
        index=["label"], on=["new_customers", "returning_customers"],
        variable_name="kind", value_name="customers").with_columns(
        pl.col("kind").replace_strict({"new_customers": "New", "returning_customers": "Returning"}))
    stacked = alt.Chart(inline_data(customers), title=alt.Title(
        "Active customers: new and returning", anchor="start", fontSize=11, color=INK),
    ).mark_bar().encode(
        x=x, y=alt.Y("customers:Q", title=None, axis=alt.Axis(tickCount=3)),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(
            domain=["Returning", "New"], range=[HIGHLIGHT, PALETTE["revenue"]]),
            legend=alt.Legend(orient="top-right", direction="horizontal")),
        order=alt.Order("kind:N", sort="descending"),
    ).properties(width=265, height=105)
    chart = alt.vconcat(
        alt.hconcat(panel("revenue", "Revenue", money_axis), panel("orders", "Orders")),
        alt.hconcat(stacked, panel("average_order_value", "Average order value", money_axis)),
    )
    return finish_spec(chart, 265, 105)


def cohort_heatmap(retention: pl.DataFrame, sizes: pl.DataFrame, grain: str) -> ChartSpec:
    """Share of each cohort active k periods after its first; +0 is always 100 %."""
    name = (pl.col("cohort").dt.strftime("%b %Y") if grain == "month" else
            pl.format("Q{} {}", pl.col("cohort").dt.quarter(), pl.col("cohort").dt.year()))
    labelled = retention.join(sizes.select("cohort"), on="cohort").with_columns(
        (name + " (" + pl.col("customers").cast(pl.String) + ")").alias("label"),
        ("+" + pl.col("offset").cast(pl.String)).alias("offset_label"),
        (pl.col("retention") * 100).round(0).cast(pl.Int64).cast(pl.String).alias("text"),
    )
    order = labelled.sort("cohort")["label"].unique(maintain_order=True).to_list()
    offsets = [f"+{o}" for o in sorted(labelled["offset"].unique().to_list())]
    top = largest(labelled.filter(pl.col("offset") > 0)["retention"], 0.5) or 0.5
    base = alt.Chart(inline_data(labelled)).encode(
        x=alt.X("offset_label:N", sort=offsets, title="Periods after the first purchase",
                axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("label:N", sort=order, title=None),
    )
    # Cells carry their percentage, so no colour legend (WeasyPrint cannot paint gradients).
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("retention:Q", legend=None,
                        scale=alt.Scale(scheme="blues", domain=[0, top], clamp=True)),
    )
    text = base.mark_text(fontSize=9).encode(
        text=alt.Text("text:N"),
        color=alt.condition(f"datum.retention > {top * 0.6}", alt.value("white"),
                            alt.value(INK)),
    )
    width, height = 560, 20 * len(order)
    return finish_spec((cells + text).properties(width=width, height=height), width, height)


def retention_curve_chart(curve: pl.DataFrame, period_name: str) -> ChartSpec:
    """Average share of a cohort still buying k periods after its first purchase."""
    rows = curve.filter(pl.col("offset") > 0)
    chart = alt.Chart(inline_data(rows)).mark_line(
        point=alt.OverlayMarkDef(size=30), color=HIGHLIGHT).encode(
        x=alt.X("offset:Q", title=f"{period_name.capitalize()}s after the first purchase",
                axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("retention:Q", title="Share still buying", axis=alt.Axis(format="%")),
    )
    # Label the first periods and every third after, so long curves stay readable.
    labelled = rows.filter((pl.col("offset") <= 3) | (pl.col("offset") % 3 == 0))
    labels = alt.Chart(inline_data(labelled)).mark_text(dy=-9, fontSize=9, color=MUTED).encode(
        x="offset:Q", y="retention:Q", text=alt.Text("retention:Q", format=".0%"))
    width, height = 560, 150
    return finish_spec((chart + labels).properties(width=width, height=height), width, height)


def seasonality_chart(table: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Revenue per calendar month, one bar per year."""
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    rows = table.with_columns(
        pl.col("month").replace_strict(dict(enumerate(names, start=1)),
                                       return_dtype=pl.String).alias("label"),
        pl.col("year").cast(pl.String),
    )
    years = sorted(rows["year"].unique().to_list())
    greys = ["#c9d6e3", "#9fb8cf", "#5f8fb8", HIGHLIGHT]
    chart = alt.Chart(inline_data(rows)).mark_bar().encode(
        x=alt.X("label:N", sort=names, title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("year:N", sort=years),
        y=alt.Y("revenue:Q", title=None, axis=alt.Axis(
            labelExpr=f"'{currency_symbol}' + format(datum.value, '~s')", tickCount=4)),
        color=alt.Color("year:N", title=None, sort=years,
                        scale=alt.Scale(domain=years, range=greys[-len(years):]),
                        legend=alt.Legend(orient="top-left", direction="horizontal")),
    )
    width, height = 600, 150
    return finish_spec(chart.properties(width=width, height=height), width, height)


def weekday_hour_chart(weekday_hour: pl.DataFrame) -> ChartSpec:
    """Orders by weekday and hour of the day."""
    rows = weekday_hour.with_columns(
        pl.col("weekday").replace_strict(dict(enumerate(WEEKDAYS, start=1)),
                                         return_dtype=pl.String).alias("day"),
        pl.col("hour").cast(pl.String).str.zfill(2).alias("hour_label"),
    )
    hours = [f"{h:02d}" for h in range(int(-largest(-rows["hour"], 0)),
                                       int(largest(rows["hour"], 23)) + 1)]
    top = largest(rows["orders"], 1.0)
    base = alt.Chart(inline_data(rows)).encode(
        x=alt.X("hour_label:N", sort=hours, scale=alt.Scale(domain=hours),
                title="Hour of the day", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("day:N", sort=list(WEEKDAYS), scale=alt.Scale(domain=list(WEEKDAYS)), title=None),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("orders:Q", legend=None, scale=alt.Scale(scheme="blues")))
    text = base.mark_text(fontSize=8).encode(
        text=alt.Text("orders:Q", format=","),
        color=alt.condition(f"datum.orders > {top * 0.6}", alt.value("white"), alt.value(INK)))
    width, height = 560, 7 * 22
    return finish_spec((cells + text).properties(width=width, height=height), width, height)


def price_quantity_chart(bands: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Share of purchase lines by unit-price band and quantity band."""
    total = max(int(bands["lines"].sum()), 1)
    rows = bands.with_columns(
        pl.col("price_band").map_elements(lambda band: _price_label(band, currency_symbol),
                                          return_dtype=pl.String).alias("price"),
        (pl.col("lines") / total).alias("share"),
    ).with_columns(
        pl.when(pl.col("share") >= 0.0005)
        .then((pl.col("share") * 100).round(1).cast(pl.String) + "%")
        .otherwise(pl.lit("")).alias("text"))
    prices = rows.sort("price_order")["price"].unique(maintain_order=True).to_list()
    quantities = rows.sort("quantity_order")["quantity_band"].unique(maintain_order=True).to_list()
    top = largest(rows["share"], 1.0) or 1.0
    base = alt.Chart(inline_data(rows)).encode(
        x=alt.X("quantity_band:N", sort=quantities, title="Units on the line",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("price:N", sort=prices, title="Unit price"),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("share:Q", legend=None, scale=alt.Scale(scheme="blues", domain=[0, top])))
    text = base.mark_text(fontSize=10).encode(
        text="text:N",
        color=alt.condition(f"datum.share > {top * 0.6}", alt.value("white"), alt.value(INK)))
    width, height = 460, 6 * 28
    return finish_spec((cells + text).properties(width=width, height=height), width, height)


def returns_by_month_chart(by_month: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Value of returns and cancellations per month, labelled with its share of revenue."""
    rows = _month_labels(by_month).with_columns(
        pl.when(pl.col("value_share").is_not_null())
        .then((pl.col("value_share") * 100).round(1).cast(pl.String) + "%")
        .otherwise(pl.lit("")).alias("text"))
    labels = rows["label"].to_list()
    base = alt.Chart(inline_data(rows)).encode(
        x=alt.X("label:N", sort=labels, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=9)),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(
            labelExpr=f"'{currency_symbol}' + format(datum.value, '~s')", tickCount=4)),
    )
    bars = base.mark_bar(color=PALETTE["revenue"])
    text = base.mark_text(dy=-6, fontSize=9, color=MUTED).encode(text="text:N")
    width, height = 600, 150
    return finish_spec((bars + text).properties(width=width, height=height), width, height)


def countries_chart(countries: pl.DataFrame, currency_symbol: str) -> ChartSpec:
    """Revenue of the largest countries."""
    rows = countries.head(12)
    base = alt.Chart(inline_data(rows)).encode(
        y=alt.Y("country:N", sort=rows["country"].to_list(), title=None),
        x=alt.X("revenue:Q", title=None, axis=alt.Axis(
            labelExpr=f"'{currency_symbol}' + format(datum.value, '~s')", tickCount=4)),
    )
    bars = base.mark_bar(color=HIGHLIGHT, height={"band": 0.7})
    text = base.mark_text(align="left", dx=3, fontSize=9, color=MUTED).encode(
        text=alt.Text("revenue_share:Q", format=".1%"))
    width, height = 520, 20 * rows.height
    return finish_spec((bars + text).properties(width=width, height=height), width, height)


def _price_label(band: str, symbol: str) -> str:
    """'under 1' -> 'under £1', '20 and over' -> '£20 and over', '1–2' -> '£1–2'."""
    if band.startswith("under "):
        return f"under {symbol}{band.removeprefix('under ')}"
    return f"{symbol}{band}"
