"""The model-free chance of buying again: cells counted by hand, calibration measured on a
held-out cut-off, and the 12-month chance only where the history allows it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import PROJECT_DIR, purchases

from reportgen.config import load_unit_config
from reportgen.demo_data import purchase_times, simulated_purchases
from reportgen.inputs.clean import clean_transactions
from reportgen.inputs.load import read_transactions
from reportgen.models.clv.repurchase import (
    PRIOR_WEIGHT,
    RepurchaseChance,
    calibration_error,
    calibration_table,
    repurchase_chance,
)

ANALYSIS = datetime(2011, 7, 1)


def test_chances_are_cell_shares_shrunk_to_their_band() -> None:
    # One cut-off: 1 Apr 2011 (90 days before 1 Jul), with January history before it.
    # A and B bought once, in March (recency <= 30 at the cut-off); A buys again in April.
    # C bought twice in January (recency 60-90, 2 purchase days) and never again.
    lines = purchases(
        ("1", "A", "2011-03-20 10:00:00", 10.0),
        ("2", "B", "2011-03-25 10:00:00", 10.0),
        ("3", "C", "2011-01-10 10:00:00", 10.0),
        ("4", "C", "2011-01-20 10:00:00", 10.0),
        ("5", "A", "2011-04-15 10:00:00", 10.0),
    )
    chance = repurchase_chance(lines, ANALYSIS, horizon_days=90, most_cutoffs=1)
    assert chance is not None and chance.cutoffs == (date(2011, 4, 2),)
    assert chance.calibration_error is None  # one cut-off: nothing to check it on
    overall = 1 / 3
    one_purchase_band = (1 + PRIOR_WEIGHT * overall) / (2 + PRIOR_WEIGHT)
    cells = {(r, f): (n, b, p) for r, f, n, b, p in chance.cells.rows()}
    assert cells[(0, 0)][:2] == (2, 1)
    assert cells[(0, 0)][2] == pytest.approx((1 + PRIOR_WEIGHT * one_purchase_band)
                                             / (2 + PRIOR_WEIGHT))
    # Today (1 Jul) A last bought 77 days ago, on 2 days: C's cell at the cut-off (72 days,
    # 2 days, 0 of 1 bought), shrunk to the two-purchase band (C alone), shrunk to 1/3.
    today = dict(chance.customers.rows())
    two_purchase_band = (0 + PRIOR_WEIGHT * overall) / (1 + PRIOR_WEIGHT)
    assert today["A"] == pytest.approx(PRIOR_WEIGHT * two_purchase_band / (1 + PRIOR_WEIGHT))
    # A cell never seen falls back to its band: B now (98 days ago, 1 purchase day).
    assert today["B"] == pytest.approx(one_purchase_band)
    assert set(today) == {"A", "B", "C"}


def test_the_chance_is_calibrated_on_simulated_customers() -> None:
    # 6,000 BG/NBD customers over two years, no seasonality: the chance measured at earlier
    # cut-offs must hold at the latest one.
    rng = np.random.default_rng(8)
    customers = 6_000
    owners, weeks = purchase_times(rng, rng.gamma(0.75, 1 / 6.0, customers),
                                   rng.beta(0.6, 3.5, customers),
                                   rng.uniform(0, 90, customers), 104.0)
    lines = simulated_purchases(rng, owners, weeks, datetime(2023, 1, 2))
    analysis = datetime(2024, 12, 30)
    chance = repurchase_chance(lines, analysis, 90)
    assert chance is not None and len(chance.cutoffs) == 6
    assert chance.calibration_error is not None and chance.calibration_error <= 0.03
    predicted = chance.calibration["predicted"].to_list()
    assert predicted == sorted(predicted)
    # Two years of history: the 12-month chance exists too, in [0, 1].
    year = repurchase_chance(lines, analysis, 365)
    assert year is not None
    assert 0 <= year.customers["p_buy"].min() <= year.customers["p_buy"].max() <= 1  # type: ignore[operator]


@pytest.mark.real_data
@pytest.mark.slow  # reads and cleans the UK unit
def test_the_uk_chance_of_buying_within_90_days_is_calibrated(shared_data: Path) -> None:
    config = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
    analysis = datetime(2011, 12, 1)
    clean = clean_transactions(read_transactions(config), analysis, config.cleaning)
    chance = repurchase_chance(clean.orders, analysis, 90)
    assert chance is not None and chance.calibration_error is not None
    assert chance.calibration_error <= 0.05
    assert chance.customers.height == clean.orders["customer_id"].drop_nulls().n_unique()
    # One year of data: no earlier date has a year of history and a year after it.
    assert repurchase_chance(clean.orders, analysis, 365) is None


def test_no_cut_off_no_chance() -> None:
    lines = purchases(("1", "A", "2011-06-20 10:00:00", 10.0))
    assert repurchase_chance(lines, ANALYSIS, 90) is None
    assert pl.DataFrame().is_empty()


def real_error(bought: pl.DataFrame, analysis: datetime, until: datetime,
               chance: RepurchaseChance) -> float:
    """The chances' calibration error on who bought in [analysis, until)."""
    buyers = bought.filter(pl.col("invoice_date").is_between(analysis, until, closed="left"))[
        "customer_id"].unique()
    return calibration_error(calibration_table(chance.customers.with_columns(
        pl.col("customer_id").is_in(buyers.implode()).alias("bought"))))


@pytest.mark.slow  # simulates 4,000 customers over two years
def test_last_years_season_scales_the_chances_only_where_it_helped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Two years of customers whose purchases peak in November (+-60 %). A report at the end of
    # September: last year's October-December is checked, and its season factor, which
    # improved the latest check, brings the chances closer to who bought (8.2 % -> 4.7 %
    # calibration error when written).
    from chapters.test_clv_truth import simulate

    import reportgen.models.clv.repurchase as repurchase

    bought, _ = simulate(5, 104.0, 0.6, datetime(2023, 1, 2), 52.0)
    analysis, until = datetime(2024, 10, 1), datetime(2024, 12, 30)
    seasonal = repurchase_chance(bought, analysis, 90)
    assert seasonal is not None and seasonal.season_factor is not None
    assert seasonal.season_factor > 1.1 and seasonal.season_cutoff == date(2023, 10, 3)  # 364 d
    assert seasonal.season_note.startswith("scaled by last year's season factor")
    monkeypatch.setattr(repurchase, "_season_factor", lambda *args: (None, "off"))
    blind = repurchase_chance(bought, analysis, 90)
    assert blind is not None
    assert real_error(bought, analysis, until, seasonal) < real_error(bought, analysis, until,
                                                                       blind) - 0.02
    # With one year of data the season cannot be checked, and nothing is scaled.
    monkeypatch.undo()
    young = repurchase_chance(bought.filter(pl.col("invoice_date") >= datetime(2023, 10, 1)),
                              analysis, 90)
    assert young is not None and young.season_factor is None
