"""When customers buy: weekday x hour, parts of the day, and each customer's habits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.chapters.behaviour.price_quantity import price_quantity_bands
from reportgen.config import BehaviourConfig

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAYPARTS = ("morning", "afternoon", "evening")


@dataclass(frozen=True)
class BehaviourResult:
    """Order timing in the window and every customer's habits over their whole history."""

    weekday_hour: pl.DataFrame  # weekday (1 = Monday), hour, orders
    dayparts: pl.DataFrame  # daypart, orders, share
    customer_habits: pl.DataFrame  # customer_id, avg_days_between_purchases, preferred_*
    params: BehaviourConfig
    window_start: datetime
    price_quantity: pl.DataFrame  # price_band, quantity_band (with orders), lines, revenue

    @property
    def peak(self) -> dict[str, int] | None:
        """The weekday and hour with the most orders (earliest on ties), if any."""
        top = self.weekday_hour.sort(["orders", "weekday", "hour"],
                                     descending=[True, False, False]).head(1)
        return top.row(0, named=True) if top.height else None

    @property
    def peak_weekday(self) -> str:
        """Weekday of the busiest slot ("" without orders)."""
        peak = self.peak
        return WEEKDAYS[peak["weekday"] - 1] if peak else ""

    @property
    def peak_hour(self) -> int | None:
        """Hour of the busiest slot."""
        peak = self.peak
        return peak["hour"] if peak else None

    @property
    def peak_hour_share(self) -> float:
        """Share of the window's orders placed in the busiest hour of the day (all weekdays)."""
        total = int(self.weekday_hour["orders"].sum())
        if not total:
            return 0.0
        by_hour = self.weekday_hour.group_by("hour").agg(pl.col("orders").sum())["orders"]
        return int(by_hour.max() or 0) / total  # type: ignore[arg-type]


def daypart(column: str, params: BehaviourConfig) -> pl.Expr:
    """morning before afternoon_starts_hour, evening from evening_starts_hour, else afternoon."""
    hour = pl.col(column).dt.hour()
    return (
        pl.when(hour < params.afternoon_starts_hour).then(pl.lit("morning"))
        .when(hour < params.evening_starts_hour).then(pl.lit("afternoon"))
        .otherwise(pl.lit("evening"))
    )


def behaviour_analysis(
    orders: pl.DataFrame, price_quantity: pl.DataFrame, window_start: datetime,
    analysis_date: datetime, params: BehaviourConfig,
) -> BehaviourResult:
    """Timing of the window's orders, and habits of every customer who bought before the date;
    from one row per order and the lines by price and quantity band
    (`CleanTransactions.orders`, `.price_quantity`). An order's time is its first line's."""
    history = orders.filter(pl.col("invoice_date") < analysis_date)
    window = history.filter(pl.col("invoice_date") >= window_start)
    weekday_hour = (
        window.group_by(
            pl.col("invoice_date").dt.weekday().cast(pl.Int64).alias("weekday"),
            pl.col("invoice_date").dt.hour().cast(pl.Int64).alias("hour"),
        )
        .agg(pl.len().cast(pl.Int64).alias("orders"))
        .sort("weekday", "hour")
    )
    parts = (
        pl.DataFrame({"daypart": DAYPARTS})
        .join(window.group_by(daypart("invoice_date", params).alias("daypart"))
              .agg(pl.len().cast(pl.Int64).alias("orders")), on="daypart", how="left")
        .with_columns(pl.col("orders").fill_null(0))
        .with_columns((pl.col("orders") / max(window.height, 1)).alias("share"))
    )
    return BehaviourResult(weekday_hour, parts, customer_habits(history, params), params,
                           window_start,
                           price_quantity_bands(price_quantity, window_start, analysis_date))


def customer_habits(history: pl.DataFrame, params: BehaviourConfig) -> pl.DataFrame:
    """Average days between purchase days, and the weekday and daypart each customer orders
    most (ties go to the earlier weekday and the earlier part of the day)."""
    known = history.filter(pl.col("customer_id").is_not_null()).with_columns(
        pl.col("invoice_date").dt.weekday().alias("weekday"),
        daypart("invoice_date", params).alias("daypart"),
    )
    gaps = known.group_by("customer_id").agg(
        pl.col("invoice_date").dt.date().n_unique().alias("days"),
        pl.col("invoice_date").dt.date().min().alias("first"),
        pl.col("invoice_date").dt.date().max().alias("last"),
    ).select(
        "customer_id",
        pl.when(pl.col("days") > 1)
        .then((pl.col("last") - pl.col("first")).dt.total_days() / (pl.col("days") - 1))
        .alias("avg_days_between_purchases"),
    )
    part_rank = {name: index for index, name in enumerate(DAYPARTS)}
    return (
        gaps.join(_most_frequent(known, "weekday", pl.col("weekday")), on="customer_id")
        .join(_most_frequent(known, "daypart",
                             pl.col("daypart").replace_strict(part_rank, return_dtype=pl.Int64)),
              on="customer_id")
        .select(
            "customer_id",
            "avg_days_between_purchases",
            pl.col("weekday").replace_strict(dict(enumerate(WEEKDAYS, start=1)),
                                             return_dtype=pl.String).alias("preferred_weekday"),
            pl.col("daypart").alias("preferred_daypart"),
        )
        .sort("customer_id")
    )


def _most_frequent(known: pl.DataFrame, column: str, order: pl.Expr) -> pl.DataFrame:
    """Per customer, the value of `column` seen most often; ties broken by `order`."""
    return (
        known.group_by("customer_id", column)
        .agg(pl.len().alias("count"), order.first().alias("order"))
        .sort(["customer_id", "count", "order"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .first()
        .select("customer_id", column)
    )
