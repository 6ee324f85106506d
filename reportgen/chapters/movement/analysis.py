"""What changed this month and why: the revenue bridge, the accounts that moved against their
own usual level, and what stands out (single orders and KPIs far from their history).

Revenue bridge, the month against another month (the one before, or the same month a year
earlier). Every identified customer who bought in either month is in exactly one part:
- new: their first purchase in the data falls in the month: their revenue in it;
- reactivated: bought in the month, not in the other month, first purchase before the month;
- retained: bought in both months: this month's revenue minus the other month's;
- lost: bought in the other month, not in this one: minus the other month's revenue;
and anonymous: this month's revenue without a customer id minus the other month's. The five
add up exactly to the revenue change (revenue as the summary counts it: the orders' value).

Account movers: a customer's usual monthly value is the mean of their revenue over the
USUAL_MONTHS months before the month (months before their first purchase left out; at least
MIN_USUAL_MONTHS, and bought in at least MIN_MONTHS_BOUGHT of them: a customer who bought once
is not an account that moved). Their recent value is the mean over the last g months, the month included,
where g is their own rhythm: USUAL_MONTHS / the months they bought in (rounded up), so an
account that orders every other month is judged on two months, not on the one it skipped. A
mover's recent value differs from the usual one by at least MIN_RELATIVE_MOVE of it, and the
month's own revenue lies on the same side of the usual month; the largest differences in money,
falling and rising, are listed.

Anomalies:
- a single order more than ORDER_SIGMAS robust standard deviations above the unit's usual
  order on a log scale (median and MAD of the order values of the 12 months before), or, for a
  customer with at least MIN_CUSTOMER_ORDERS earlier orders, more than CUSTOMER_MULTIPLE times
  their own median order and above the unit's 99th percentile;
- a KPI outside the range of its previous 12 months (at least MIN_KPI_MONTHS with orders);
- the share of revenue without a customer id ANONYMOUS_JUMP or more above its mean of the
  previous six months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

import numpy as np
import polars as pl

from reportgen.inputs.reduce import exact_sum
from reportgen.period import Period

USUAL_MONTHS = 6
MIN_USUAL_MONTHS = 3
MIN_MONTHS_BOUGHT = 2  # an account: bought in at least two of its usual months
MIN_RELATIVE_MOVE = 0.25
MOVERS_SHOWN = 5
ORDER_SIGMAS = 5.0
MIN_CUSTOMER_ORDERS = 5
CUSTOMER_MULTIPLE = 10.0
MIN_KPI_MONTHS = 6
ANONYMOUS_JUMP = 0.10
ANONYMOUS_MONTHS = 6
BRIDGE_PARTS = ("new", "reactivated", "retained", "lost", "anonymous")
PART_LABELS = {"new": "New customers", "reactivated": "Reactivated customers",
               "retained": "Retained customers", "lost": "Lost customers",
               "anonymous": "Orders without a customer id"}


@dataclass(frozen=True)
class RevenueBridge:
    """The revenue change from `previous_period` to `period`, in five parts that add up to it."""

    RECORD_PROPERTIES: ClassVar[tuple[str, ...]] = ("change",)

    period: Period
    previous_period: Period
    revenue: float
    previous_revenue: float
    new: float
    reactivated: float
    retained: float
    lost: float
    anonymous: float
    counts: dict[str, int]  # customers in each part (anonymous: orders this month)

    @property
    def change(self) -> float:
        """This month's revenue minus the other month's: the five parts' sum."""
        return self.revenue - self.previous_revenue

    def parts(self) -> tuple[tuple[str, float], ...]:
        """The five parts in BRIDGE_PARTS order."""
        return tuple((name, float(getattr(self, name))) for name in BRIDGE_PARTS)


@dataclass(frozen=True)
class AccountMover:
    """A customer whose recent revenue moved far from their usual monthly value."""

    customer_id: str
    direction: str  # "falling" or "rising"
    value: float  # revenue this month
    previous_value: float  # revenue the month before
    usual_value: float  # mean monthly revenue over the usual months
    recent_value: float  # mean monthly revenue over their own rhythm's last months
    rhythm_months: int  # g: the months the recent value is the mean of
    last_order: date

    @property
    def difference(self) -> float:
        """Recent minus usual monthly value."""
        return self.recent_value - self.usual_value


@dataclass(frozen=True)
class Anomaly:
    """Something in the month far from its own history."""

    kind: str  # "order", "kpi" or "anonymous_share"
    value: float
    note: str  # why it stands out, in words
    invoice: str | None = None
    customer_id: str | None = None  # None for an order without a customer id
    usual: float | None = None  # what it is compared with
    subject: str = ""  # the KPI's key, for a KPI
    figure_kind: str = "money"  # how value and usual are written: money, count or share


@dataclass(frozen=True)
class MovementResult:
    """The month explained: the bridge against the month before (and a year before, where the
    data have that month), the accounts that moved, and what stands out."""

    bridge: RevenueBridge
    bridge_year: RevenueBridge | None
    movers: tuple[AccountMover, ...]  # falling first, largest first
    anomalies: tuple[Anomaly, ...]

    def largest(self, direction: str) -> AccountMover | None:
        """The largest falling or rising account, if any moved that way."""
        return next((m for m in self.movers if m.direction == direction), None)


def month_of(column: str = "invoice_date") -> pl.Expr:
    """The calendar month a purchase falls in."""
    return pl.col(column).dt.truncate("1mo")


def revenue_bridge(orders: pl.DataFrame, period: Period, other: Period) -> RevenueBridge:
    """The revenue change from `other` to `period` in its five parts (module text).
    `orders`: one row per order (`CleanTransactions.orders`)."""
    first_month = (orders.filter(pl.col("customer_id").is_not_null())
                   .group_by("customer_id").agg(month_of().min().alias("first_month")))
    months = (orders.filter(month_of().is_in([period.start, other.start]))
              .group_by("customer_id", month_of().alias("month"))
              .agg(exact_sum("revenue"), pl.len().alias("orders")))
    anonymous = months.filter(pl.col("customer_id").is_null())

    def anonymous_in(month: datetime) -> tuple[float, int]:
        row = anonymous.filter(pl.col("month") == month)
        return (float(row["revenue"].sum()), int(row["orders"].sum()))

    now_anonymous, anonymous_orders = anonymous_in(period.start)
    then_anonymous, _ = anonymous_in(other.start)
    now, then = pl.col("month") == period.start, pl.col("month") == other.start
    parts = (
        months.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id").agg(
            now.any().alias("bought_now"), then.any().alias("bought_then"),
            (pl.col("revenue").filter(now).sum() - pl.col("revenue").filter(then).sum())
            .alias("change"))
        .join(first_month, on="customer_id", how="left")
        .with_columns(
            pl.when(pl.col("bought_now") & pl.col("bought_then")).then(pl.lit("retained"))
            .when(~pl.col("bought_now")).then(pl.lit("lost"))
            .when(pl.col("first_month") == period.start).then(pl.lit("new"))
            .otherwise(pl.lit("reactivated")).alias("part"))
        .group_by("part").agg(exact_sum("change"), pl.len().alias("customers"))
    )
    sums = dict(parts.select("part", "change").iter_rows())
    counts = {part: 0 for part in BRIDGE_PARTS[:-1]} | dict(
        parts.select("part", "customers").iter_rows())
    revenue_now = float(orders.filter(month_of() == period.start)
                        .select(exact_sum("revenue")).item() or 0.0)
    revenue_then = float(orders.filter(month_of() == other.start)
                         .select(exact_sum("revenue")).item() or 0.0)
    return RevenueBridge(
        period=period, previous_period=other, revenue=revenue_now, previous_revenue=revenue_then,
        new=float(sums.get("new", 0.0)), reactivated=float(sums.get("reactivated", 0.0)),
        retained=float(sums.get("retained", 0.0)), lost=float(sums.get("lost", 0.0)),
        anonymous=now_anonymous - then_anonymous,
        counts={**counts, "anonymous": anonymous_orders},
    )


def customer_months(orders: pl.DataFrame, period: Period, months: int) -> pl.DataFrame:
    """customer_id, month and revenue of the `months` months up to and including `period`,
    every month listed (0 where the customer did not buy), from each customer's first month."""
    start = period.shift(-months).start
    identified = orders.filter(pl.col("customer_id").is_not_null())
    first = identified.group_by("customer_id").agg(month_of().min().alias("first_month"))
    window = (identified.filter(pl.col("invoice_date").is_between(start, period.analysis_date,
                                                                 closed="left"))
              .group_by("customer_id", month_of().alias("month")).agg(exact_sum("revenue")))
    calendar = pl.DataFrame({"month": [period.shift(-i).start for i in range(months + 1)]})
    return (first.join(calendar.with_columns(pl.col("month").cast(pl.Datetime("us"))),
                       how="cross")
            .filter(pl.col("month") >= pl.col("first_month"))
            .join(window, on=["customer_id", "month"], how="left")
            .with_columns(pl.col("revenue").fill_null(0.0))
            .join(window.select("customer_id").unique(), on="customer_id", how="semi")
            .sort("customer_id", "month"))


def account_movers(orders: pl.DataFrame, period: Period,
                   shown: int = MOVERS_SHOWN) -> tuple[AccountMover, ...]:
    """The customers whose recent revenue moved most against their usual level (module text):
    the `shown` largest falls in money, then the `shown` largest rises."""
    table = customer_months(orders, period, USUAL_MONTHS)
    current = pl.col("month") == period.start
    before = pl.col("month") < period.start
    per_customer = table.group_by("customer_id").agg(
        pl.col("revenue").filter(current).sum().alias("value"),
        pl.col("revenue").filter(pl.col("month") == period.shift(-1).start).sum()
        .alias("previous_value"),
        pl.col("revenue").filter(before).mean().alias("usual_value"),
        before.sum().alias("usual_months"),
        (before & (pl.col("revenue") != 0)).sum().alias("months_bought"),
        pl.col("revenue").sort_by("month", descending=True).alias("latest_first"),
    ).filter((pl.col("usual_months") >= MIN_USUAL_MONTHS)
             & (pl.col("months_bought") >= MIN_MONTHS_BOUGHT))
    if per_customer.is_empty():
        return ()
    rhythm = (pl.lit(USUAL_MONTHS) / pl.col("months_bought").clip(1, None)).ceil().cast(pl.Int64)
    recent = per_customer.with_columns(rhythm.clip(1, USUAL_MONTHS).alias("rhythm_months"))
    recent = recent.with_columns(
        pl.col("latest_first").list.head(pl.col("rhythm_months")).list.mean()
        .alias("recent_value"))
    moved = recent.with_columns((pl.col("recent_value") - pl.col("usual_value"))
                                .alias("difference")).filter(
        pl.col("difference").abs() >= MIN_RELATIVE_MOVE * pl.col("usual_value"))
    last_orders = (orders.filter(pl.col("customer_id").is_not_null()
                                 & (pl.col("invoice_date") < period.analysis_date))
                   .group_by("customer_id").agg(pl.col("invoice_date").max().dt.date()
                                                .alias("last_order")))
    moved = moved.join(last_orders, on="customer_id", how="left")
    # The month itself moves the same way as the recent months: an account back to its usual
    # level this month is not falling because it skipped the month before.
    falling = moved.filter((pl.col("difference") < 0) & (pl.col("value") < pl.col("usual_value"))
                           ).sort(["difference", "customer_id"]).head(shown)
    rising = moved.filter((pl.col("difference") > 0) & (pl.col("value") > pl.col("usual_value"))
                          ).sort(["difference", "customer_id"], descending=[True, False]).head(shown)
    return tuple(
        AccountMover(row["customer_id"], direction, row["value"], row["previous_value"],
                     row["usual_value"], row["recent_value"], row["rhythm_months"],
                     row["last_order"])
        for direction, frame in (("falling", falling), ("rising", rising))
        for row in frame.iter_rows(named=True))


def order_anomalies(orders: pl.DataFrame, period: Period) -> tuple[Anomaly, ...]:
    """The month's single orders far above the unit's or their customer's usual order."""
    history = orders.filter(pl.col("invoice_date").is_between(
        period.shift(-12).start, period.start, closed="left") & (pl.col("revenue") > 0))
    month = orders.filter(pl.col("invoice_date").is_between(
        period.start, period.analysis_date, closed="left"))
    if history.height < 20 or month.is_empty():
        return ()
    logs = np.log(history["revenue"].to_numpy())
    centre = float(np.median(logs))
    spread = 1.4826 * float(np.median(np.abs(logs - centre)))
    if spread <= 0:
        return ()
    unit_limit = math.exp(centre + ORDER_SIGMAS * spread)
    p99 = float(np.quantile(history["revenue"].to_numpy(), 0.99))
    usual_of_customer = (orders.filter(pl.col("customer_id").is_not_null()
                                       & (pl.col("invoice_date") < period.start))
                         .group_by("customer_id")
                         .agg(pl.col("revenue").median().alias("customer_median"),
                              pl.len().alias("earlier_orders")))
    found = []
    for row in month.join(usual_of_customer, on="customer_id", how="left").sort(
            ["revenue", "invoice"], descending=[True, False]).iter_rows(named=True):
        value, customer = row["revenue"], row["customer_id"]
        who = f"customer {customer}" if customer is not None else "an order without a customer id"
        if value > unit_limit:
            found.append(Anomaly(
                "order", value, f"{who}: {value / math.exp(centre):,.0f} times the unit's "
                f"median order of the last 12 months, above any usual order", row["invoice"],
                customer, math.exp(centre)))
        elif (customer is not None and (row["earlier_orders"] or 0) >= MIN_CUSTOMER_ORDERS
              and value > CUSTOMER_MULTIPLE * row["customer_median"] and value > p99):
            found.append(Anomaly(
                "order", value, f"{who}: {value / row['customer_median']:,.0f} times their own "
                f"median order ({row['earlier_orders']} earlier orders)", row["invoice"],
                customer, row["customer_median"]))
    return tuple(found)


def kpi_anomalies(months: pl.DataFrame, period: Period,
                  kpis: tuple[tuple[str, str, str], ...]) -> tuple[Anomaly, ...]:
    """The KPIs (key, label, kind) outside the range of their previous 12 months, and the share of
    revenue without a customer id jumping above its recent mean. `months`: the summary's
    monthly KPI table (oldest first, the month last)."""
    earlier = months.filter((pl.col("month") < period.start) & ~pl.col("before_data")
                            & (pl.col("orders") > 0))
    now = months.filter(pl.col("month") == period.start).row(0, named=True)
    found = []
    if earlier.height >= MIN_KPI_MONTHS:
        for key, label, kind in kpis:
            values = earlier[key].drop_nulls()
            value = now[key]
            if value is None or values.len() < MIN_KPI_MONTHS:
                continue
            low, high = float(values.min()), float(values.max())  # type: ignore[arg-type]
            if value > high or value < low:
                word = "highest" if value > high else "lowest"
                found.append(Anomaly(
                    "kpi", float(value), f"{label}: the {word} of the last "
                    f"{values.len() + 1} months", usual=high if value > high else low,
                    subject=key, figure_kind=kind))
    shares = earlier.tail(ANONYMOUS_MONTHS)["anonymous_revenue_share"].drop_nulls()
    share = now["anonymous_revenue_share"]
    if share is not None and shares.len() >= 3:
        usual = float(shares.mean())  # type: ignore[arg-type]
        if share - usual >= ANONYMOUS_JUMP:
            found.append(Anomaly(
                "anonymous_share", float(share), f"orders without a customer id made "
                f"{share:.1%} of revenue against {usual:.1%} on average over the previous "
                f"{shares.len()} months", usual=usual, subject="anonymous_revenue_share",
                figure_kind="share"))
    return tuple(found)
