"""Monthly KPIs on hand-built months."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from reportgen.chapters.summary.analysis import PeriodKpis, month_kpis, monthly_kpis
from reportgen.period import Period

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
    "matched": [False, False, True],
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
