"""Headline figures of the month and its comparisons: revenue, orders, customers, order value,
returns; caveats the reader must see first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from reportgen.chapters.returns.analysis import any_returns
from reportgen.display.formatting import day
from reportgen.errors import InputError, NoDataError
from reportgen.inputs.clean import CleanTransactions, nothing_left
from reportgen.inputs.reduce import exact_sum
from reportgen.period import Period


@dataclass(frozen=True)
class PeriodKpis:
    """Sales KPIs of one calendar month (None where the month has no orders)."""

    period: Period
    revenue: float
    orders: int
    active_customers: int
    new_customers: int | None  # None in the month the data start: everyone there looks new
    returning_customers: int | None
    average_order_value: float | None
    returns_value: float
    net_revenue: float
    anonymous_revenue_share: float | None
    before_data: bool = False  # the month ends before the data start
    data_starts: bool = False  # the data start in this month

    @property
    def has_orders(self) -> bool:
        """Whether the month has at least one purchase."""
        return self.orders > 0


MONTHS_SHOWN = 13  # the month, and the twelve before it: the same month a year ago included


def monthly_kpis(
    orders: pl.DataFrame, returns: pl.DataFrame, period: Period, months: int = MONTHS_SHOWN
) -> pl.DataFrame:
    """Sales KPIs of each of the `months` months ending with `period`, one row a month.

    Months without purchases are listed with zeros (order value and anonymous share empty).
    New customers made their first purchase ever in the month; returning = active - new. In
    the month the data start every customer looks new, so new and returning are left empty
    there (data_starts), and months before it are marked before_data.
    Anonymous orders count for revenue and orders; returns are the month's return lines but the
    cancellations that netted out an order (which is not in revenue either). `orders` has one
    row per order (`CleanTransactions.orders`; purchase lines give the same figures), `returns`
    one row per return invoice (`CleanTransactions.return_orders`; or return lines).
    """
    first = period.shift(-(months - 1))
    month = pl.col("invoice_date").dt.truncate("1mo")
    earliest = orders["invoice_date"].min()
    data_start = Period.of(earliest).start if isinstance(earliest, datetime) else period.start
    calendar = pl.DataFrame({"month": [first.shift(i).start for i in range(months)]}).with_columns(
        pl.col("month").cast(pl.Datetime("us")))
    in_window = pl.col("invoice_date").is_between(first.start, period.analysis_date, closed="left")
    totals = orders.filter(in_window).group_by(month.alias("month")).agg(
        exact_sum("revenue"),
        pl.col("invoice").n_unique().cast(pl.Int64).alias("orders"),
        pl.col("customer_id").drop_nulls().n_unique().cast(pl.Int64).alias("active_customers"),
        exact_sum(pl.col("revenue").filter(pl.col("customer_id").is_null())).alias("anonymous"),
    )
    newcomers = (
        orders.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id").agg(month.min().alias("month"))
        .group_by("month").agg(pl.len().cast(pl.Int64).alias("new_customers"))
    )
    # A cancellation that netted out its order (or corrected it) is in neither revenue nor
    # returns: subtracting it from revenue would count the cancelled order twice.
    returned = returns.filter(in_window & (pl.col("kind") == "return")) \
        .group_by(month.alias("month")).agg(exact_sum("value").alias("returns_value"))
    return (
        calendar.join(totals, on="month", how="left")
        .join(newcomers, on="month", how="left")
        .join(returned, on="month", how="left")
        .with_columns(
            pl.col("revenue", "anonymous", "returns_value").fill_null(0.0),
            pl.col("orders", "active_customers", "new_customers").fill_null(0),
        )
        .with_columns(
            (pl.col("active_customers") - pl.col("new_customers")).alias("returning_customers"),
            pl.when(pl.col("orders") > 0).then(pl.col("revenue") / pl.col("orders"))
            .alias("average_order_value"),
            (pl.col("revenue") - pl.col("returns_value")).alias("net_revenue"),
            pl.when(pl.col("revenue") > 0).then(pl.col("anonymous") / pl.col("revenue"))
            .alias("anonymous_revenue_share"),
            (pl.col("month") == period.start).alias("is_current"),
            (pl.col("month") < data_start).alias("before_data"),
            (pl.col("month") == data_start).alias("data_starts"),
        )
        .with_columns(
            pl.when(pl.col("data_starts")).then(None).otherwise(pl.col(name)).alias(name)
            for name in ("new_customers", "returning_customers")
        )
        .drop("anonymous")
        .sort("month")
    )


def month_kpis(months: pl.DataFrame, period: Period) -> PeriodKpis:
    """The KPIs of one month of a monthly_kpis table."""
    row = months.filter(pl.col("month") == period.start).row(0, named=True)
    return PeriodKpis(period=period, **{name: row[name] for name in KPI_COLUMNS})


KPI_COLUMNS = ("revenue", "orders", "active_customers", "new_customers", "returning_customers",
               "average_order_value", "returns_value", "net_revenue", "anonymous_revenue_share",
               "before_data", "data_starts")


@dataclass(frozen=True)
class SummaryResult:
    """The KPIs of the month and the twelve before it (the previous month and the same month a
    year ago among them), and caveats."""

    months: pl.DataFrame  # monthly_kpis: one row a month, oldest first
    kpis: PeriodKpis
    previous: PeriodKpis
    year_ago: PeriodKpis
    notices: tuple[str, ...]
    data_first_day: date
    data_last_day: date
    has_returns: bool  # the data hold returns or cancellations (else no returns figures)

    @property
    def revenue_change(self) -> float | None:
        """Revenue against the previous month, relative (None when it had no orders)."""
        return kpi_change(self.kpis, self.previous, "revenue")

    @property
    def revenue_change_year(self) -> float | None:
        """Revenue against the same month a year earlier, relative."""
        return kpi_change(self.kpis, self.year_ago, "revenue")


def summary_analysis(
    clean: CleanTransactions, period: Period, unit: str, path: Path | str
) -> SummaryResult:
    """KPIs of the period and its comparison months; NoDataError when the period has none."""
    months = monthly_kpis(clean.orders, clean.return_orders, period)
    kpis = month_kpis(months, period)
    if not kpis.has_orders:
        if clean.first_line is not None and clean.first_line >= period.analysis_date:
            raise NoDataError(
                f"no purchases in {period}: it ends before the data starts (the data runs "
                f"from {day(clean.first_line)} to {day(clean.last_line)})", unit=unit,
                file=path, hint="choose a period inside the data's date range")
        emptied = nothing_left(clean)
        if emptied:
            raise InputError(emptied, unit=unit, file=path,
                             hint="check the column mapping (source.columns) and the cleaning "
                             "rules; reportgen validate shows the same")
        in_period = clean.last_month_lines  # cleaning's analysis date is the period's
        if in_period:
            raise NoDataError(
                f"no purchases left in {period} after cleaning: its {in_period:,} lines are "
                "all returns, cancellations or removed by a cleaning rule", unit=unit, file=path,
                hint="the data-quality rules are listed by reportgen validate; choose another "
                "period")
        raise NoDataError(
            f"no purchases in {period} (the data runs from "
            f"{day(clean.first_line)} to {day(clean.last_line)})",
            unit=unit, file=path,
            hint="choose a period inside the data's date range",
        )
    first_day, last_day = clean.purchase_days
    return SummaryResult(
        months=months,
        kpis=kpis,
        previous=month_kpis(months, period.shift(-1)),
        year_ago=month_kpis(months, period.shift(-12)),
        notices=notices(period, clean),
        data_first_day=first_day,
        data_last_day=last_day,
        has_returns=any_returns(clean.return_orders, period.analysis_date),
    )


def kpi_value(kpis: PeriodKpis, attr: str) -> float | None:
    """A KPI of a month as a float; None when the month has no orders to measure."""
    measured = getattr(kpis, attr)
    return float(measured) if kpis.has_orders and measured is not None else None


def relative_change(value: float | None, base: float | None) -> float | None:
    """(value - base) / |base|; None without both or when base is 0."""
    if value is None or base is None or base == 0:
        return None
    return (value - base) / abs(base)


def kpi_change(kpis: PeriodKpis, other: PeriodKpis, attr: str) -> float | None:
    """A KPI's relative change against another month."""
    return relative_change(kpi_value(kpis, attr), kpi_value(other, attr))


def notices(period: Period, clean: CleanTransactions) -> tuple[str, ...]:
    """Caveats that change how the report must be read."""
    found = []
    last_line = clean.last_line
    if isinstance(last_line, datetime) and last_line.date() < period.last_day:
        found.append(
            f"The data ends on {day(last_line)}, before the end of {period.label}: "
            "the month's figures are partial."
        )
    if not any_returns(clean.return_orders, period.analysis_date):
        found.append("The data hold no returns or cancellations: the report has no returns "
                     "page, and return rates are not used.")
    if clean.orders["customer_id"].drop_nulls().is_empty():
        found.append(
            "No purchase line has a customer id, so there are no customer segments; "
            "check source.columns.customer_id."
        )
    return tuple(found)
