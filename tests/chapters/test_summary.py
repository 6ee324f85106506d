"""Monthly KPIs on hand-built months."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import polars as pl
import pytest

from reportgen.chapters.summary.analysis import (
    PeriodKpis,
    SummaryResult,
    month_kpis,
    monthly_kpis,
)
from reportgen.chapters.summary.section import first_action as first_action_line
from reportgen.chapters.summary.section import revenue_line
from reportgen.period import Period
from reportgen.playbook.evaluate import Recommendation

PURCHASES = pl.DataFrame({
    "invoice": ["1", "1", "2", "3", "4", "5"],
    "customer_id": ["A", "A", "A", "B", None, "C"],
    "invoice_date": [datetime(2011, 10, 3), datetime(2011, 10, 3), datetime(2011, 11, 2),
                     datetime(2011, 11, 20), datetime(2011, 11, 21), datetime(2011, 12, 1)],
    "revenue": [10.0, 5.0, 30.0, 50.0, 20.0, 99.0],
})
RETURNS = pl.DataFrame({
    "invoice_date": [datetime(2011, 11, 25), datetime(2011, 10, 1), datetime(2011, 11, 26)],
    "value": [7.5, 100.0, 500.0],
    # The 500 cancelled an order in full: that order is not in revenue, so it is no return.
    "kind": ["return", "return", "cancellation"],
})


def period_kpis(purchases: pl.DataFrame, returns: pl.DataFrame, period: Period) -> PeriodKpis:
    return month_kpis(monthly_kpis(purchases, returns, period), period)


def test_november_kpis() -> None:
    kpis = period_kpis(PURCHASES, RETURNS, Period(2011, 11))
    assert kpis.revenue == 100.0           # 30 + 50 + 20 (anonymous counts for sales)
    assert kpis.orders == 3
    assert kpis.active_customers == 2      # A and B; the anonymous order has no customer
    assert kpis.new_customers == 1         # B's first purchase; A first bought in October
    assert kpis.returning_customers == 1
    assert kpis.average_order_value == pytest.approx(100 / 3)
    assert kpis.returns_value == 7.5
    assert kpis.net_revenue == 92.5
    assert kpis.anonymous_revenue_share == pytest.approx(0.2)


def test_a_month_without_orders_has_no_average() -> None:
    kpis = period_kpis(PURCHASES, RETURNS, Period(2011, 8))
    assert not kpis.has_orders
    assert kpis.average_order_value is None and kpis.anonymous_revenue_share is None


def test_monthly_revenue_lists_every_month_including_empty_ones() -> None:
    trend = monthly_kpis(PURCHASES, RETURNS, Period(2011, 11), months=4)
    assert trend["month"].dt.strftime("%Y-%m").to_list() == [
        "2011-08", "2011-09", "2011-10", "2011-11"]
    assert trend["revenue"].to_list() == [0.0, 0.0, 15.0, 100.0]
    assert trend["orders"].to_list() == [0, 0, 1, 3]
    assert trend["is_current"].to_list() == [False, False, False, True]
    # October's return of 100 is counted in October, whatever it returned.
    assert trend["returns_value"].to_list() == [0.0, 0.0, 100.0, 7.5]
    assert trend["net_revenue"].to_list() == [0.0, 0.0, -85.0, 92.5]


def summary_of(purchases: pl.DataFrame, period: Period) -> SummaryResult:
    from datetime import date

    months = monthly_kpis(purchases, RETURNS, period)
    return SummaryResult(months, month_kpis(months, period), month_kpis(months, period.shift(-1)),
                         month_kpis(months, period.shift(-12)), (), date(2011, 10, 3),
                         date(2011, 12, 1), has_returns=True)


def first_action(incremental: float | None) -> Recommendation:
    return Recommendation(
        priority=1, id="winback_high_value", title="Win back high-value customers",
        evidence="", action="", audience_size=117, eligible=117, audience_value=289_302.0,
        expected_response=0.15, expected_incremental_value=incremental, effect="retain",
        urgent=True, value_basis="forecast CLV over the next 12 months, grade C",
        incremental_note="")


def test_the_revenue_line_compares_both_months_and_the_first_action_is_named() -> None:
    result = summary_of(PURCHASES, Period(2011, 11))
    # November 100 against October 15: up 566.7 %; November 2010 is before the data.
    assert revenue_line(result, "GBP") == (
        "Revenue of £100 in November 2011: up 566.7% on October 2011; no November 2010 to "
        "compare with (the data start on 3 Oct 2011).")
    assert first_action_line([first_action(13_206.4)], "GBP") == (
        "Win back high-value customers (117 customers, expected to add £13,206: forecast CLV "
        "over the next 12 months, grade C).")
    assert first_action_line([first_action(None)], "GBP") == (
        "Win back high-value customers (117 customers).")
    from dataclasses import replace

    from reportgen.config import EconomicsConfig, PlaybookEntry
    from reportgen.playbook.economics import play_economics
    contact = pl.DataFrame({"clv": [1_000.0], "monetary": [500.0], "frequency": [2],
                            "p_buy_90d": [0.2]})
    entry = PlaybookEntry(id="w", title="W", trigger="kpi.orders > 0", evidence="e",
                          action="a", effect="retain", channel="call")
    costed = replace(first_action(120.0), economics=play_economics(
        entry, contact, 0.15, "assumed", "p_buy_90d", EconomicsConfig()))
    # 0.15 x 1,000 x 0.8 = 120 added; profit 0.3 x 120 - 8 - 250 = -222
    assert first_action_line([costed], "GBP") == (
        "Win back high-value customers (117 customers, expected to add £120: forecast CLV "
        "over the next 12 months, grade C; −£222 of profit after £258 of costs).")
    assert first_action_line([], "GBP") == "No action of the playbook was triggered this month."
    assert first_action_line([], "GBP", not_worth_it=3) == (
        "No action this month: the 3 plays that fired do not pay at this unit's margin and "
        "costs (see Recommendations, Not worth it at these costs).")
    # A year of data: the same month a year earlier is compared too.
    year_earlier = pl.concat([PURCHASES, PURCHASES.head(1).with_columns(
        pl.lit(datetime(2010, 11, 5)).alias("invoice_date"), pl.lit(200.0).alias("revenue"))])
    assert "down 50.0% on November 2010" in revenue_line(
        summary_of(year_earlier, Period(2011, 11)), "GBP")


def test_without_returns_in_the_data_the_kpis_leave_returns_out() -> None:
    from reportgen.chapters.summary.section import kpi_rows

    months = monthly_kpis(PURCHASES, RETURNS.clear(), Period(2011, 11))
    result = SummaryResult(months, month_kpis(months, Period(2011, 11)),
                           month_kpis(months, Period(2011, 10)),
                           month_kpis(months, Period(2010, 11)), (), datetime(2011, 10, 3).date(),
                           datetime(2011, 12, 1).date(), has_returns=False)
    labels = [row.label for row in kpi_rows(result)]
    assert "Returns" not in labels and "Net revenue" not in labels and "Revenue" in labels
    assert "Returns" in [row.label for row in kpi_rows(replace(result, has_returns=True))]
