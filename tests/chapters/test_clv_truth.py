"""CLV against simulated truth: dropout found only where it exists, its parameters recovered
within their intervals, P(alive) calibrated against who really is alive, the season measured
and applied only when it improves the backtests, and the grade, intervals and spend choice
following their rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from conftest import cdnow_purchases, write_demo_unit
from lifetimes import ParetoNBDFitter

from reportgen.chapters.clv.analysis import ClvResult, clv_analysis
from reportgen.config import ClvConfig, load_unit_config
from reportgen.demo_data import SimulatedCustomers, simulate_customers, simulated_purchases
from reportgen.inputs.clean import clean_transactions
from reportgen.inputs.load import read_transactions
from reportgen.models.clv.grade import forecast_grade
from reportgen.models.clv.holdout import Backtest, best_spend_model
from reportgen.models.clv.purchase import fit_purchase_model, model_log_likelihood
from reportgen.models.clv.season import Season, checked_against
from reportgen.models.clv.spend import fit_spend_model, shrunk_mean_model
from reportgen.models.clv.summary import (
    compressed_summary,
    customer_summary,
    summary_arrays,
)
from reportgen.models.clv.uncertainty import with_params

TRUTH = {"r": 0.8, "alpha": 12.0, "a": 0.7, "b": 3.0}  # weekly BG/NBD
CUSTOMERS = 4_000


def simulate(seed: int, weeks: float, seasonality: float, start: datetime,
             birth_weeks: float) -> tuple[pl.DataFrame, SimulatedCustomers]:
    """BG/NBD customers with the TRUTH parameters, first purchases spread over birth_weeks.

    alpha = 12 (a purchase every 15 weeks on average) keeps two purchases on one day rare:
    the summary merges those, which would bias the rate the fit recovers.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUTH["r"], 1 / TRUTH["alpha"], CUSTOMERS)
    p = rng.beta(TRUTH["a"], TRUTH["b"], CUSTOMERS)
    simulated = simulate_customers(rng, lam, p, rng.uniform(0, birth_weeks, CUSTOMERS), weeks,
                                   seasonality, start)
    return simulated_purchases(rng, simulated.owners, simulated.times, start), simulated


def rfm_of(purchases: pl.DataFrame) -> pl.DataFrame:
    return purchases.group_by("customer_id").agg(
        pl.lit("at_risk").alias("segment"), pl.lit(30).alias("recency_days"),
        pl.len().alias("frequency"), pl.col("revenue").sum().alias("monetary"))


@pytest.fixture(scope="module")
def two_years() -> tuple[pl.DataFrame, SimulatedCustomers, ClvResult]:
    """Two years of BG/NBD customers without a season, fitted with BG/NBD."""
    purchases, simulated = simulate(11, 104.0, 0.0, datetime(2023, 1, 2), 52.0)
    clv = clv_analysis(purchases, rfm_of(purchases), date(2024, 12, 29),
                       ClvConfig(models=["bgnbd"]))
    return purchases, simulated, clv


@pytest.fixture(scope="module")
def seasonal() -> ClvResult:
    """Two years of BG/NBD customers whose repeat purchases peak in November (+-60 %)."""
    purchases, _ = simulate(5, 104.0, 0.6, datetime(2023, 1, 2), 52.0)
    return clv_analysis(purchases, rfm_of(purchases), date(2024, 12, 29),
                        ClvConfig(models=["bgnbd"]))


@pytest.mark.slow  # simulates and fits thousands of customers
def test_dropout_is_found_and_its_parameters_recovered_within_their_intervals(
        two_years: tuple[pl.DataFrame, SimulatedCustomers, ClvResult]) -> None:
    _, _, clv = two_years
    assert clv.model is not None and clv.model.name == "bgnbd" and clv.p_alive_estimated
    accepted = clv.fit.attempts[-1]  # type: ignore[union-attr]
    assert accepted.outcome == "accepted" and "likelihood-ratio" in accepted.detail
    assert clv.forecast.param_intervals is not None
    for name, truth in TRUTH.items():
        low, high = clv.forecast.param_intervals[name]
        assert low < clv.model.params[name] < high
        assert low <= truth <= high, (name, truth, low, high)


@pytest.mark.slow  # a full CLV chapter on 4,000 simulated customers (shared)
def test_p_alive_is_calibrated_against_who_is_really_alive(
        two_years: tuple[pl.DataFrame, SimulatedCustomers, ClvResult]) -> None:
    _, simulated, clv = two_years
    truth = pl.DataFrame({"customer_id": pl.Series(np.arange(CUSTOMERS)).cast(pl.String),
                          "alive": simulated.alive})
    deciles = (
        clv.forecast.customers.join(truth, on="customer_id")
        .with_columns((pl.col("p_alive").rank("ordinal") * 10 // (pl.len() + 1)).alias("decile"))
        .group_by("decile").agg(pl.col("p_alive").mean(), pl.col("alive").mean())
    )
    gaps = (deciles["p_alive"] - deciles["alive"]).abs()
    assert deciles.height == 10 and gaps.max() <= 0.05 and gaps.mean() <= 0.03  # type: ignore[operator]
    # Some really have left: the lowest decile is mostly gone, the highest all there.
    assert deciles.sort("decile")["alive"][0] < 0.2 < 0.95 < deciles.sort("decile")["alive"][-1]


@pytest.mark.slow  # a full CLV chapter on 4,000 simulated customers (shared)
def test_a_stationary_forecast_holds_within_its_intervals(
        two_years: tuple[pl.DataFrame, SimulatedCustomers, ClvResult]) -> None:
    _, _, clv = two_years
    assert [b.window for b in clv.backtests] == ["latest", "previous", "last_year"]
    for backtest in clv.backtests:
        assert backtest.interval is not None and not backtest.outside_interval
        assert abs(backtest.aggregate_error or 1.0) <= 0.06
        assert backtest.rmse < backtest.baseline_rmse
    assert clv.forecast.clv_interval is not None
    low, high = clv.forecast.clv_interval
    assert low < clv.forecast.total_clv < high and (high - low) / clv.forecast.total_clv < 0.2
    low, high = clv.forecast.purchases_12w_interval or (0.0, 0.0)
    assert low < clv.forecast.purchases_12w < high
    assert clv.forecast.grade is not None and clv.forecast.grade.letter == "A"


@pytest.mark.slow  # a full CLV chapter on 4,000 simulated customers (shared)
def test_no_season_is_applied_where_it_does_not_improve_the_backtests(
        two_years: tuple[pl.DataFrame, SimulatedCustomers, ClvResult]) -> None:
    _, _, clv = two_years
    assert not clv.forecast.season.available and "made the backtests worse" in clv.forecast.season.reason
    assert clv.forecast.monthly is not None and clv.forecast.monthly["value_factor"].null_count() == 12
    assert clv.forecast.grade is not None and not clv.forecast.grade.season_scaled


@pytest.mark.slow  # a full CLV chapter on 4,000 simulated customers (shared)
def test_the_season_factor_reduces_the_backtest_error(seasonal: ClvResult) -> None:
    latest, previous = seasonal.backtests[:2]
    for backtest in (latest, previous):
        assert backtest.seasonal_error is not None and backtest.aggregate_error is not None
        assert abs(backtest.seasonal_error) < abs(backtest.aggregate_error) / 2
        # The range is made of the other windows' misses, the season's among them.
        assert not backtest.outside_interval
    assert latest.aggregate_error < -0.3  # type: ignore[operator]  # autumn under-predicted
    assert seasonal.forecast.season.available and seasonal.forecast.grade is not None
    assert seasonal.forecast.grade.season_scaled
    # The coming months follow the season: November's factor tops June's.
    assert seasonal.forecast.monthly is not None
    factors = dict(zip(seasonal.forecast.monthly["first_day"].dt.month(),
                       seasonal.forecast.monthly["value_factor"], strict=True))
    assert factors[11] > 1.2 and factors[5] < 0.6  # months starting 30 Oct and 1 May


def test_season_factors_are_applied_unless_the_backtests_measure_them_worse() -> None:
    measured = Season(True, "", date(2023, 12, 30), (1.2,) * 12, (1.3,) * 12)
    assert checked_against(measured, []) is measured
    assert checked_against(measured, [(-0.30, -0.05), (0.02, 0.04)]) is measured
    worse = checked_against(measured, [(0.02, 0.10), (-0.03, -0.01)])
    assert not worse.available and worse.purchase_factor(1) == 1.0
    assert worse.reason.startswith("last year's season factors made the backtests worse "
                                   "(total error 11% scaled against 5% unscaled)")


@pytest.mark.slow  # the full ladder, Pareto/NBD first, on 4,000 customers
def test_the_default_ladder_finds_the_dropout(
        two_years: tuple[pl.DataFrame, SimulatedCustomers, ClvResult]) -> None:
    purchases, _, _ = two_years
    config = ClvConfig()
    summary = customer_summary(purchases, date(2024, 12, 29), config.time_unit_days)
    fit = fit_purchase_model(summary_arrays(compressed_summary(summary)), config.models,
                             config.penalizers, config.min_dropout_evidence,
                             config.allow_no_dropout_model)
    assert fit.model is not None and fit.model.name == "paretonbd"
    assert fit.model.estimates_dropout and fit.attempts[0].outcome == "accepted"


def test_pareto_nbd_reaches_the_published_cdnow_optimum() -> None:
    # Fader, Hardie & Lee's CDNOW estimates, r 0.55, alpha 10.58, s 0.61, beta 11.67, which
    # lifetimes' own Nelder-Mead fit also reaches: ours must match it and its likelihood.
    data = summary_arrays(compressed_summary(customer_summary(cdnow_purchases(),
                                                              date(1997, 9, 30), 7)))
    fit = fit_purchase_model(data, ["paretonbd"], [0.0], 3.84, False)
    assert fit.model is not None
    reference = ParetoNBDFitter().fit(data.frequency, data.recency, data.T, weights=data.weight,
                                      initial_params=np.ones(4), tol=1e-4)
    for name, value in reference.params_.items():
        assert fit.model.params[name] == pytest.approx(value, rel=1e-3)
    assert fit.model.log_likelihood >= model_log_likelihood(
        "paretonbd", dict(reference.params_), data) - 1e-6
    assert fit.model.params["r"] == pytest.approx(0.553, abs=0.001)
    assert fit.model.params["beta"] == pytest.approx(11.67, abs=0.01)


def test_pareto_nbd_predictions_equal_lifetimes_and_stay_finite() -> None:
    summary = customer_summary(cdnow_purchases(), date(1997, 9, 30), 7)
    fit = fit_purchase_model(summary_arrays(compressed_summary(summary)), ["paretonbd"], [0.0],
                             3.84, False)
    assert fit.model is not None
    data = summary_arrays(summary)
    reference_model = ParetoNBDFitter()
    reference_model.params_ = pd.Series(fit.model.params)
    for t in (1.0, 39.0, 52.0):
        reference = reference_model.conditional_expected_number_of_purchases_up_to_time(
            t, data.frequency, data.recency, data.T)
        assert np.allclose(fit.model.expected_purchases(t, data.frequency, data.recency, data.T),
                           reference, rtol=1e-9, atol=1e-12)
    # Large s and beta: lifetimes' P(alive) is 0 / 0 for a customer who bought on the last
    # day observed (recency = T); that customer is alive, and the forecast stays finite.
    steep = with_params(fit.model, {"r": 1.36, "alpha": 11.5, "s": 88.5, "beta": 4894.0})
    frequency, recency, T = np.array([7, 1, 0]), np.array([51.4, 7.1, 0.0]), np.array(
        [51.4, 7.1, 20.0])
    assert steep.p_alive(frequency, recency, T)[:2].tolist() == [1.0, 1.0]
    assert np.all(np.isfinite(steep.expected_purchases(12.0, frequency, recency, T)))


@pytest.mark.slow  # a whole CLV chapter
def test_pareto_nbd_finds_the_optimum_where_quasi_newton_steps_stall(tmp_path: Path) -> None:
    # On the 300-customer demo, L-BFGS-B's first steps from the start reach parameters where
    # the likelihood is not finite and it stops where it began; the simplex must take over.
    config = load_unit_config(write_demo_unit(tmp_path))
    clean = clean_transactions(read_transactions(config), datetime(2025, 1, 1), config.cleaning)
    data = summary_arrays(compressed_summary(customer_summary(clean.orders,
                                                              date(2024, 12, 31), 7)))
    fit = fit_purchase_model(data, ["paretonbd"], [0.0], 3.84, False)
    assert fit.model is not None
    reference = ParetoNBDFitter().fit(data.frequency, data.recency, data.T, weights=data.weight,
                                      initial_params=np.ones(4), tol=1e-4)
    assert fit.model.log_likelihood >= model_log_likelihood(
        "paretonbd", dict(reference.params_), data) - 1e-6
    for name, value in reference.params_.items():
        assert fit.model.params[name] == pytest.approx(value, rel=1e-2)


def backtest(**figures: float) -> Backtest:
    return replace(Backtest(True, "", date(2024, 10, 6), date(2024, 12, 29), 12), **figures)


def test_the_grade_counts_four_checks() -> None:
    passing = backtest(actual=100, predicted=95.0, actual_value=1_000.0,
                       predicted_value=880.0, rmse=1.0, baseline_rmse=1.2, top_capture=0.6)
    grade = forecast_grade(passing, season_scaled=False)
    assert grade is not None and grade.letter == "A" and grade.passed == 4
    # Purchases 11 % short, spend 16 % short: two checks fail, C.
    short = replace(passing, predicted=89.0, predicted_value=840.0)
    assert forecast_grade(short, season_scaled=False).letter == "C"  # type: ignore[union-attr]
    # ... unless the forecast is season-scaled and last year's factor makes up the gap.
    grade = forecast_grade(replace(short, season_factor=1.12), season_scaled=True)
    assert grade is not None and grade.letter == "A" and grade.season_scaled
    # Worse than the naive rule per customer and a poor ranking on top: D.
    poor = replace(short, rmse=1.3, top_capture=0.4)
    assert forecast_grade(poor, season_scaled=False).letter == "D"  # type: ignore[union-attr]
    assert forecast_grade(Backtest(False, "too few", date(2024, 1, 1), date(2024, 3, 1), 8),
                          season_scaled=False) is None


def test_a_backtest_outside_its_interval_is_flagged() -> None:
    assert backtest(actual=120, interval=(90.0, 110.0)).outside_interval
    assert not backtest(actual=100, interval=(90.0, 110.0)).outside_interval
    assert not backtest(actual=120, interval=None).outside_interval


def test_gamma_gamma_is_used_only_when_it_beats_the_shrunk_mean() -> None:
    rng = np.random.default_rng(2)
    frequency = rng.integers(0, 8, 400)
    monetary = np.where(frequency > 0, rng.gamma(4.0, 10.0, 400), 0.0)
    first = rng.gamma(4.0, 10.0, 400)  # the first purchase counts in the expected value
    calibration = pl.DataFrame({
        "frequency": frequency, "monetary_value": monetary, "purchase_days": frequency + 1,
        "mean_value": (first + frequency * monetary) / (frequency + 1)})
    counts = np.full(400, 2)
    params = ClvConfig()
    gamma_gamma = fit_spend_model(frequency, monetary, 0.0, [0.0], 0.3)
    shrunk = shrunk_mean_model(frequency, monetary)
    assert gamma_gamma.method == "gamma-gamma"
    # What happened next equals each model's own prediction: that model must win.
    for model in (gamma_gamma, shrunk):
        values = counts * model.expected_values(calibration)
        chosen, errors = best_spend_model(calibration, counts, values, params)
        assert chosen.method == model.method
        assert errors is not None and errors[model.method] == pytest.approx(0.0, abs=1e-9)


def test_the_season_in_one_pass_equals_a_summary_per_month() -> None:
    """The season's twelve summaries from one pass over the days (`DayHistory`) are those
    `customer_summary` gives month by month: the same customers, frequency, recency and T,
    and the same purchases and pounds in each month, to the last bit."""
    from reportgen.models.clv.season import month_bounds
    from reportgen.models.clv.summary import DayHistory, daily_purchases, purchase_days

    purchases = daily_purchases(simulate(11, 104.0, 0.0, datetime(2023, 1, 2), 52.0)[0])
    end = date(2024, 12, 29)
    history = DayHistory(purchase_days(purchases, None, end))
    for month in range(1, 13):
        first, last = month_bounds(date(2023, 12, 30), month)
        known, arrays = history.summary_at(first - timedelta(days=1), 7)
        expected = customer_summary(purchases, first - timedelta(days=1), 7)
        assert int(known.sum()) == expected.height > 1_000
        for name in ("frequency", "recency", "T"):
            assert np.array_equal(getattr(arrays, name), expected[name].to_numpy()), name
        days = purchase_days(purchases, first, last).join(
            expected.select("customer_id"), on="customer_id", how="semi")
        assert history.bought_between(first, last, known) == (
            days.height, float(days["value"].sum()))
        assert days.height > 50
