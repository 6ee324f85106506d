"""The synthetic demo data: deterministic, BG/NBD-true, and carrying every kind of dirt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from scipy.special import hyp2f1

from reportgen.demo_data import DemoSpec, generate_transactions, purchase_times, write_demo_csv

SMALL = DemoSpec(customers=400, seed=11)


def test_same_spec_gives_identical_rows() -> None:
    first = generate_transactions(SMALL).transactions
    assert first.equals(generate_transactions(SMALL).transactions)
    other = generate_transactions(DemoSpec(customers=400, seed=12)).transactions
    assert not first.equals(other)


def test_repeat_purchases_follow_the_bgnbd_expectation() -> None:
    # Everyone born at 0 and watched for t weeks: E[X(t)] and P(X(t)=0) are closed-form.
    r, alpha, a, b, t, n = 0.75, 6.0, 0.6, 3.5, 52.0, 200_000
    rng = np.random.default_rng(5)
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    owners, times = purchase_times(rng, lam, p, np.zeros(n), t)
    repeats = np.bincount(owners, minlength=n) - 1
    expected = (a + b - 1) / (a - 1) * (
        1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))
    )
    standard_error = repeats.std() / np.sqrt(n)
    assert abs(repeats.mean() - expected) < 4 * standard_error
    assert abs((repeats == 0).mean() - (alpha / (alpha + t)) ** r) < 0.004
    assert times.min() >= 0 and times.max() <= t


def test_data_has_every_kind_of_dirt() -> None:
    frame = generate_transactions(SMALL).transactions
    cancellations = frame.filter(pl.col("InvoiceNo").str.starts_with("C"))
    assert cancellations.height > 50
    assert (cancellations["Quantity"] < 0).all()
    assert cancellations.filter(pl.col("Quantity") == -80_995).height == 1
    assert frame["CustomerID"].null_count() > 0
    assert frame.height - frame.unique().height > 0
    assert frame.filter(pl.col("StockCode") == "POST").height > 0
    assert frame.filter(pl.col("UnitPrice") == 0).height > 0
    assert frame["Description"].null_count() > 0
    assert frame["Country"].n_unique() >= 5
    assert frame["InvoiceDate"].min() >= SMALL.start
    assert frame["InvoiceDate"].max() < SMALL.end


def test_csv_has_a_few_unreadable_rows_and_a_truth_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.csv"
    write_demo_csv(generate_transactions(SMALL), path)
    text = pl.read_csv(path, infer_schema=False)
    assert text.filter(pl.any_horizontal(pl.all() == "#VALUE!")).height == SMALL.unreadable_rows
    truth = json.loads((tmp_path / "demo.truth.json").read_text())
    assert truth["spec"]["r"] == SMALL.r and truth["spec"]["customers"] == 400
    assert truth["lines"] == text.height


def test_cli_defaults_match_the_demo_spec() -> None:
    from reportgen.cli import DEMO_CUSTOMERS, DEMO_SEED

    assert (DemoSpec.customers, DemoSpec.seed) == (DEMO_CUSTOMERS, DEMO_SEED)
