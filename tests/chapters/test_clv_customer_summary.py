"""The CLV customer summary equals lifetimes' summary_data_from_transaction_data."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from conftest import PROJECT_DIR, cdnow_purchases
from lifetimes.utils import summary_data_from_transaction_data

from reportgen.config import load_unit_config
from reportgen.inputs.clean import clean_lines, clean_transactions
from reportgen.inputs.load import read_transactions
from reportgen.models.clv.summary import (
    compressed_summary,
    customer_summary,
    repeat_purchases_between,
)


def lifetimes_summary(purchases: pl.DataFrame, end: date, unit_days: int) -> pd.DataFrame:
    frame = purchases.filter(pl.col("customer_id").is_not_null()).select(
        "customer_id", "invoice_date", "revenue").to_pandas()
    summary = summary_data_from_transaction_data(
        frame, "customer_id", "invoice_date", "revenue", observation_period_end=str(end),
        freq="D", freq_multiplier=unit_days,
    )
    return summary.sort_index()


def assert_same_summary(ours: pl.DataFrame, theirs: pd.DataFrame) -> None:
    ours = ours.sort("customer_id")
    assert ours["customer_id"].to_list() == theirs.index.astype(str).tolist()
    for column in ("frequency", "recency", "T", "monetary_value"):
        assert ours[column].to_numpy() == pytest.approx(theirs[column].to_numpy(), rel=1e-12,
                                                        abs=1e-9), column


def test_hand_worked_customer() -> None:
    purchases = pl.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B"],
        "invoice_date": [datetime(2011, 1, 1, 9), datetime(2011, 1, 1, 15),
                         datetime(2011, 1, 15, 10), datetime(2011, 1, 29, 10),
                         datetime(2011, 1, 29, 11)],
        "revenue": [10.0, 5.0, 20.0, 40.0, 7.0],
    })
    summary = customer_summary(purchases, date(2011, 2, 12), unit_days=7).sort("customer_id")
    # A: days 1 Jan (15.00), 15 Jan (20), 29 Jan (40): 2 repeats, recency 4 weeks, T 6 weeks;
    # 3 purchase days of mean 25 (the first included, for the expected value of a purchase).
    assert summary.rows() == [("A", 2, 4.0, 6.0, 30.0, 3, 25.0), ("B", 0, 0.0, 2.0, 0.0, 1, 7.0)]


def test_equals_lifetimes_on_cdnow() -> None:
    purchases = cdnow_purchases()
    ours = customer_summary(purchases, date(1997, 9, 30), unit_days=7)
    theirs = lifetimes_summary(purchases, date(1997, 9, 30), 7)
    assert len(theirs) == 2_357
    assert_same_summary(ours, theirs)


@pytest.mark.slow  # the whole UCI file, and lifetimes' own summary of it
def test_equals_lifetimes_on_the_uci_data(shared_data: Path) -> None:
    config = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
    source = read_transactions(config)
    clean = clean_transactions(source, datetime(2011, 12, 1), config.cleaning)
    lines = clean_lines(source.transactions, datetime(2011, 12, 1), config.cleaning)
    for unit_days in (7, 1):  # ours from the orders the chapter reads, lifetimes' from lines
        ours = customer_summary(clean.orders, date(2011, 11, 30), unit_days)
        theirs = lifetimes_summary(lines.purchases, date(2011, 11, 30), unit_days)
        assert len(theirs) > 3_800
        assert_same_summary(ours, theirs)


def test_cdnow_holdout_counts_1882_repeat_purchases() -> None:
    holdout = repeat_purchases_between(cdnow_purchases(), date(1997, 9, 30), date(1998, 6, 30))
    assert holdout["actual"].sum() == 1_882


def test_compression_keeps_every_customer_once() -> None:
    summary = customer_summary(cdnow_purchases(), date(1997, 9, 30), unit_days=7)
    compressed = compressed_summary(summary)
    assert compressed["weight"].sum() == summary.height
    assert compressed.height < summary.height / 2
