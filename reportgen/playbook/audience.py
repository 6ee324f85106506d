"""The table audiences are chosen from (the customer table plus what audiences filter on), and
the conditions of an audience filter, each with the reason a customer fails it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.config import AudienceFilter

AUDIENCE_COLUMNS = ("customer_id", "segment", "recency_days", "frequency", "monetary",
                    "return_rate", "revenue_12m", "tenure_days", "first_purchase_in_period",
                    "usual_gap_days")
CLV_COLUMNS = ("clv", "clv_group", "p_alive", "p_buy_90d")
OFFER_COLUMNS = ("suggested_products", "reorder_products")
PLACE_COLUMNS = ("country",)


def audience_table(
    customers: pl.DataFrame, orders: pl.DataFrame, window_start: datetime,
    period_start: datetime, analysis_date: datetime, reorder_first: bool = False,
) -> pl.DataFrame:
    """One row per customer: segment, R, F, M, return rate, last 12 months' revenue, tenure
    in days, whether the first purchase is in the report's month, their usual gap, and CLV,
    group, P(alive), the chance of buying within 90 days and the products to offer
    (suggested_products, reorder_products: their own usual products first when
    `reorder_first`, as a wholesale unit's accounts reorder) when the customer table has them.
    `orders`: one row per order (`CleanTransactions.orders`)."""
    window = orders.filter(
        pl.col("customer_id").is_not_null()
        & pl.col("invoice_date").is_between(window_start, analysis_date, closed="left")
    ).group_by("customer_id").agg(pl.col("revenue").sum().alias("revenue_12m"))
    offers = tuple(reversed(OFFER_COLUMNS)) if reorder_first else OFFER_COLUMNS
    optional = [name for name in (*PLACE_COLUMNS, *CLV_COLUMNS, *offers)
                if name in customers.columns]
    # Without returns in the data there are no return rates (`select_audience` then finds no
    # one for an audience on them).
    columns = [name for name in AUDIENCE_COLUMNS
               if name not in ("return_rate", "usual_gap_days") or name in customers.columns]
    rates = [pl.col("return_rate").fill_null(0.0)] if "return_rate" in customers.columns else []
    return (
        customers.join(window, on="customer_id", how="left")
        .with_columns(
            *rates,
            pl.col("revenue_12m").fill_null(0.0),
            (pl.lit(analysis_date) - pl.col("first_purchase")).dt.total_days().alias("tenure_days"),
            (pl.col("first_purchase") >= period_start).alias("first_purchase_in_period"),
        )
        .select(*columns, *optional)
        .sort("customer_id")
    )


@dataclass(frozen=True)
class Condition:
    """One condition of an audience, and why a customer who fails it is not in the audience."""

    holds: pl.Expr
    fails_because: str


@dataclass(frozen=True)
class AudienceConditions:
    """An audience filter as conditions: `who` names the customers a play is for (segments,
    lapsing, new or not), `which` those of them it takes (CLV group, rhythm, chance of buying,
    value, recency, orders, returns, tenure)."""

    who: tuple[Condition, ...]
    which: tuple[Condition, ...]

    @property
    def holds(self) -> pl.Expr:
        """Every condition."""
        return _every(self.who + self.which)

    @property
    def is_for(self) -> pl.Expr:
        """The `who` conditions only."""
        return _every(self.who)


def _every(conditions: tuple[Condition, ...]) -> pl.Expr:
    """True where every condition holds (everywhere for none)."""
    return pl.all_horizontal([c.holds for c in conditions]) if conditions else pl.lit(True)


def value_column(customers: pl.DataFrame) -> str:
    """What a customer is worth for audiences and control groups: forecast CLV where the
    table has it, else the last 12 months' revenue."""
    if "clv" in customers.columns and customers["clv"].null_count() < customers.height:
        return "clv"
    return "revenue_12m"


def audience_conditions(customers: pl.DataFrame, audience: AudienceFilter,
                        lapsing_segments: list[str], overdue_factor: float
                        ) -> AudienceConditions:
    """The filter's conditions over `customers` (the audience table). A condition on a measure
    the table does not have (no returns, no CLV) holds for no one."""
    columns = set(customers.columns)

    def on(column: str, holds: pl.Expr, because: str) -> Condition:
        if column not in columns:
            return Condition(pl.lit(False), f"no {column.replace('_', ' ')} in this data")
        return Condition(holds, because)

    who: list[Condition] = []
    which: list[Condition] = []
    if audience.segments is not None:
        who.append(Condition(pl.col("segment").is_in(audience.segments),
                             "not in the play's segments"))
    if audience.lapsing is not None:
        lapsing = pl.col("segment").is_in(lapsing_segments)
        who.append(Condition(lapsing if audience.lapsing else ~lapsing,
                             "not lapsing" if audience.lapsing else "lapsing"))
    if audience.clv_groups is not None:
        which.append(on("clv_group", pl.col("clv_group").is_in(audience.clv_groups),
                      f"outside the CLV groups the play takes ({', '.join(audience.clv_groups)}; A is "
                      "the top quarter by forecast value)"))
    if audience.first_purchase_in_period is not None:
        new = pl.col("first_purchase_in_period")
        who.append(Condition(new if audience.first_purchase_in_period else ~new,
                             "not new this month" if audience.first_purchase_in_period
                             else "new this month"))
    if audience.overdue is not None:
        overdue = pl.col("recency_days") > overdue_factor * pl.col("usual_gap_days")
        which.append(on("usual_gap_days", overdue if audience.overdue else ~overdue,
                        f"not overdue: last order within {overdue_factor:g} times their usual "
                        "gap between orders" if audience.overdue else "overdue"))
    if audience.max_p_buy_90d is not None and "p_buy_90d" in columns:
        which.append(Condition(
            pl.col("p_buy_90d") <= audience.max_p_buy_90d,
            f"likely to buy without contact (chance of buying within 90 days above "
            f"{audience.max_p_buy_90d:.0%})"))
    if audience.min_value_quantile is not None:
        value = value_column(customers)
        threshold = customers[value].quantile(audience.min_value_quantile)
        which.append(on(value, pl.col(value) >= (threshold if threshold is not None else 0.0),
                        f"below the value threshold (the {audience.min_value_quantile:.0%} "
                        "point of customers' value)"))
    bounds = (
        ("recency_days", audience.min_recency_days, "bought within the last {} days",
         audience.max_recency_days, "last order more than {} days ago"),
        ("frequency", audience.min_orders, "fewer than {} orders",
         audience.max_orders, "more than {} orders"),
        ("return_rate", audience.min_return_rate, "return rate below {:.0%}",
         audience.max_return_rate, "return rate above {:.0%}"),
        ("tenure_days", None, "", audience.max_tenure_days, "first order more than {} days ago"),
    )
    for column, low, below, high, above in bounds:
        if low is not None:
            which.append(on(column, pl.col(column) >= low, below.format(low)))
        if high is not None:
            which.append(on(column, pl.col(column) <= high, above.format(high)))
    return AudienceConditions(tuple(who), tuple(which))


def select_audience(customers: pl.DataFrame, audience: AudienceFilter,
                    lapsing_segments: list[str], overdue_factor: float = 1.5) -> pl.DataFrame:
    """Customers matching every condition of the filter."""
    conditions = audience_conditions(customers, audience, lapsing_segments, overdue_factor)
    return customers.filter(conditions.holds)
