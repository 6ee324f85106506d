"""Cohorts, monthly KPIs and seasonality on hand-built fixtures and the UCI data."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import PROJECT_DIR, purchases

from reportgen.chapters.summary.analysis import monthly_kpis
from reportgen.chapters.trends.cohorts import average_curve, cohort_analysis
from reportgen.chapters.trends.seasonality import seasonality
from reportgen.config import CohortConfig, load_unit_config
from reportgen.inputs.clean import clean_lines, clean_transactions
from reportgen.inputs.load import read_transactions
from reportgen.period import Period

NO_RETURNS = pl.DataFrame(schema={"invoice_date": pl.Datetime("us"), "value": pl.Float64,
                                  "kind": pl.String})
# Cohort Jan: A, B, C. Cohort Feb: D. Activity: Feb A; Mar A, B; Apr C (not complete yet
# when the analysis date is 1 Apr).
FIXTURE = purchases(
    ("1", "A", "2011-01-05 10:00:00", 10.0),
    ("2", "B", "2011-01-20 10:00:00", 20.0),
    ("3", "C", "2011-01-31 23:00:00", 30.0),
    ("4", "A", "2011-02-02 10:00:00", 5.0),
    ("5", "D", "2011-02-10 10:00:00", 40.0),
    ("6", "A", "2011-03-01 10:00:00", 7.0),
    ("7", "B", "2011-03-15 10:00:00", 8.0),
    ("8", "A", "2011-03-20 10:00:00", 1.0),
    ("9", None, "2011-03-21 10:00:00", 100.0),
    ("10", "C", "2011-04-01 00:00:00", 9.0),
)


def test_monthly_cohort_retention_by_hand() -> None:
    result = cohort_analysis(FIXTURE, datetime(2011, 4, 1), CohortConfig())
    # January is where the data start: its customers were buying already, not acquired then.
    assert result.sizes.rows() == [(datetime(2011, 1, 1), 3, True), (datetime(2011, 2, 1), 1, False)]
    rows = result.retention.select(
        pl.col("cohort").dt.strftime("%Y-%m"), "offset", "active", "retention", "revenue"
    ).rows()
    assert rows == [
        ("2011-01", 0, 3, 1.0, 60.0),
        ("2011-01", 1, 1, pytest.approx(1 / 3), 5.0),
        ("2011-01", 2, 2, pytest.approx(2 / 3), 16.0),
        ("2011-02", 0, 1, 1.0, 40.0),
    ]
    # The average leaves the data-start cohort out: only February's one customer is left, and
    # one cohort supports no point of an average (three are needed by default).
    assert result.average_curve.rows() == [(0, 1, 1, 1.0, False), (1, 1, 1, 0.0, False)]
    # Over both cohorts: +1 is 1 of 3 and 0 of 1 -> 1/4; +2 only January reached -> 2/3.
    both = average_curve(result.retention, result.sizes, datetime(2011, 3, 1), "month",
                         min_cohorts=2)
    assert both.rows() == [(0, 2, 4, 1.0, True), (1, 2, 4, pytest.approx(0.25), True),
                           (2, 1, 3, pytest.approx(2 / 3), False)]


def test_quarterly_cohorts() -> None:
    result = cohort_analysis(FIXTURE, datetime(2011, 7, 1), CohortConfig(grain="quarter"))
    assert result.sizes.rows() == [(datetime(2011, 1, 1), 4, True)]
    assert result.retention.select("offset", "active", "revenue").rows() == [
        (0, 4, 121.0), (1, 1, 9.0)]  # identified customers' purchases only
    unfinished = cohort_analysis(FIXTURE, datetime(2011, 6, 1), CohortConfig(grain="quarter"))
    assert unfinished.retention["offset"].to_list() == [0]  # Q2 is not over on 1 June


def test_monthly_trends_by_hand() -> None:
    trends = monthly_kpis(FIXTURE, NO_RETURNS, Period(2011, 3), months=4)
    assert trends.select(
        pl.col("month").dt.strftime("%Y-%m"), "revenue", "orders", "active_customers",
        "new_customers", "returning_customers", "average_order_value", "is_current",
    ).rows() == [
        ("2010-12", 0.0, 0, 0, 0, 0, None, False),
        # The data start in January: everyone there looks new, so new and returning are empty.
        ("2011-01", 60.0, 3, 3, None, None, 20.0, False),
        ("2011-02", 45.0, 2, 2, 1, 1, 22.5, False),
        ("2011-03", 116.0, 4, 2, 0, 2, 29.0, True),
    ]
    assert trends["before_data"].to_list() == [True, False, False, False]
    assert trends["data_starts"].to_list() == [False, True, False, False]


def test_seasonality_by_calendar_month() -> None:
    table = seasonality(FIXTURE, Period(2011, 3))
    assert table.rows() == [(2011, 1, 60.0, 3), (2011, 2, 45.0, 2), (2011, 3, 116.0, 4)]


def reference_retention(rows: list[dict], analysis_date: datetime) -> dict[tuple[str, int], int]:
    """Active customers per (cohort month, offset), counted in plain Python."""
    months: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for row in rows:
        if row["customer_id"] is None or row["invoice_date"] >= analysis_date:
            continue
        months[row["customer_id"]].add((row["invoice_date"].year, row["invoice_date"].month))
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for active in months.values():
        first = min(active)
        for year, month in active:
            counts[(f"{first[0]}-{first[1]:02d}", (year - first[0]) * 12 + month - first[1])] += 1
    return counts


@pytest.mark.slow  # the whole UCI file
def test_uci_retention_equals_an_independent_count(shared_data: Path) -> None:
    config = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
    analysis_date = datetime(2011, 12, 1)
    source = read_transactions(config)
    clean = clean_transactions(source, analysis_date, config.cleaning)
    ours = cohort_analysis(clean.orders, analysis_date, CohortConfig())
    table = {
        (cohort, offset): active for cohort, offset, active in ours.retention.select(
            pl.col("cohort").dt.strftime("%Y-%m"), "offset", "active").rows()
    }
    lines = clean_lines(source.transactions, analysis_date, config.cleaning)
    expected = reference_retention(lines.purchases.to_dicts(), analysis_date)
    assert table == dict(expected)
    assert len(table) == 12 * 13 // 2  # 12 cohorts, Dec 2010 .. Nov 2011
    # The average curve leaves out Dec 2010, where the data start, and draws no point fewer
    # than three cohorts reach (the +11 point used to be Dec 2010 alone, at 50 %).
    curve = ours.average_curve
    sizes = dict(ours.sizes.select(pl.col("cohort").dt.strftime("%Y-%m"), "customers").rows())
    assert curve.filter(pl.col("offset") == 0)["customers"].item() == sum(sizes.values()) - sizes[
        "2010-12"]
    assert curve["offset"].max() == 10  # Jan 2011 is the oldest cohort averaged
    assert (curve["supported"] == (curve["cohorts"] >= 3)).all()
    assert curve.filter(pl.col("supported"))["offset"].max() == 8


@pytest.mark.slow  # the whole UCI file
def test_uci_monthly_trends_equal_an_independent_computation(shared_data: Path) -> None:
    config = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
    period = Period(2011, 11)
    source = read_transactions(config)
    clean = clean_transactions(source, period.analysis_date, config.cleaning)
    trends = monthly_kpis(clean.orders, clean.return_orders, period, months=12)
    frame = clean_lines(source.transactions, period.analysis_date,
                        config.cleaning).purchases.to_pandas()
    frame["month"] = frame["invoice_date"].dt.to_period("M").astype(str)
    grouped = frame.groupby("month")
    revenue = grouped["revenue"].sum()
    orders = grouped["invoice"].nunique()
    active = grouped["customer_id"].nunique()
    first = frame.dropna(subset=["customer_id"]).groupby("customer_id")["month"].min()
    new = first.value_counts()
    for row in trends.iter_rows(named=True):
        month = row["month"].strftime("%Y-%m")
        assert row["revenue"] == pytest.approx(revenue[month], rel=1e-12)
        assert row["orders"] == orders[month]
        assert row["active_customers"] == active[month]
        if row["data_starts"]:  # Dec 2010: where the data begin, not a month of acquisitions
            assert month == "2010-12" and row["new_customers"] is None
            continue
        assert row["new_customers"] == new.get(month, 0)
