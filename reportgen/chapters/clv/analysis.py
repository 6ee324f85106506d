"""Customer lifetime value: purchase model x spend model, discounted over the horizon.

CLV = sum over months m = 1..H of expected purchases in month m x expected value per purchase
x season factor of month m / (1 + monthly discount)^m: the calculation of lifetimes'
customer_lifetime_value, scaled by last year's same months where the history allows (see
season.py; factor 1 otherwise, "season-blind"). A month is 4.345 weeks, as lifetimes counts
it. CLV groups A-D are quartiles of CLV (A = top quarter). The CLV total and the 12-week
purchases total carry 90 % intervals (uncertainty.py); the grade comes from the latest
backtest (grade.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from reportgen.chapters.profiles import group_profiles, share_of, statistics
from reportgen.config import ClvConfig
from reportgen.models.clv.challenger import ExtraFeatures, challenger_predictions
from reportgen.models.clv.grade import ForecastGrade, forecast_grade
from reportgen.models.clv.holdout import (
    CLV_GROUPS,
    LEVEL,
    Backtest,
    CandidateScore,
    ChallengerAhead,
    FitCache,
    WindowError,
    fit_window,
    group_factors,
    held_out_coverage,
    rolling_errors,
    run_backtests,
)
from reportgen.models.clv.identification import p_alive_refused, unidentified_dropout
from reportgen.models.clv.purchase import (
    FitAttempt,
    ModelFit,
    PurchaseModel,
    SummaryArrays,
    fit_purchase_model,
)
from reportgen.models.clv.repurchase import RepurchaseChance
from reportgen.models.clv.season import (
    DAYS_PER_MONTH,
    Season,
    checked_against,
    history_months,
    month_bounds,
    monthly_purchases,
    season,
)
from reportgen.models.clv.spend import SpendModel, fit_spend_model, shrunk_mean_model
from reportgen.models.clv.states import (
    customer_states,
    factors_of,
    held_out_state_error,
    state_factors,
)
from reportgen.models.clv.summary import (
    compressed_summary,
    customer_summary,
    daily_purchases,
    purchase_days,
    summary_arrays,
)
from reportgen.models.clv.uncertainty import (
    parameter_covariance,
    parameter_intervals,
)
from reportgen.models.forecast import prediction_factors

MIN_CUSTOMERS = 20
MIN_REPEAT_PURCHASES = 10
CUSTOMER_COLUMNS = (
    "p_alive", "expected_purchases_1w", "expected_purchases_4w", "expected_purchases_12w",
    "expected_avg_value", "clv", "clv_group",
)
CENSORED_MONTHS = 2  # customers first seen this early may have bought before the data start


@dataclass(frozen=True)
class BuyingAgain:
    """What the chapter says of customers without any model: the model-free chance of buying
    within 90 days and within 12 months (`models.clv.repurchase`), and who may have bought
    before the data start (`history_censored`). None where it is not estimated."""

    chance_90d: RepurchaseChance | None = None
    chance_12m: RepurchaseChance | None = None  # the same within 12 months, with the history
    censored: pl.DataFrame | None = None  # customer_id, history_censored

    def chance_columns(self) -> pl.DataFrame | None:
        """customer_id, p_buy_90d and p_buy_12m (where estimated), or None without either."""
        chances = [(name, chance) for name, chance in (("p_buy_90d", self.chance_90d),
                                                       ("p_buy_12m", self.chance_12m))
                   if chance is not None]
        if not chances:
            return None
        table = chances[0][1].customers.rename({"p_buy": chances[0][0]})
        for name, chance in chances[1:]:
            table = table.join(chance.customers.rename({"p_buy": name}), on="customer_id",
                               how="left")
        return table


@dataclass(frozen=True)
class ClvForecast:
    """What the models forecast, when they could: every customer's CLV and expected purchases,
    the totals with their intervals, the coming months, the groups and who is at risk."""

    customers: pl.DataFrame  # the customer summary with CUSTOMER_COLUMNS
    spend: SpendModel
    group_profiles: pl.DataFrame
    high_value_at_risk: pl.DataFrame
    season: Season
    total_clv: float  # expected value of all customers over the horizon
    clv_interval: tuple[float, float] | None  # its 90 % interval
    purchases_12w: float  # expected repeat purchases of all customers, next 12 weeks
    purchases_12w_interval: tuple[float, float] | None
    monthly: pl.DataFrame  # month, first_day, purchases, value, factors
    grade: ForecastGrade | None  # None when the latest backtest could not run
    param_intervals: dict[str, tuple[float, float]] | None  # 95 % per model parameter
    spend_note: str  # why the spend model is what it is, when the backtest chose
    state_factors: dict[str, float]  # expected purchases' correction by state (models.clv.states)
    state_error: tuple[float, float] | None  # held-out state error without / with the factors
    group_intervals: dict[str, tuple[float, float]]  # 90 % range of each CLV group's total
    segment_intervals: dict[str, tuple[float, float]]  # and of each segment's (where measured)
    challenger_used: bool  # the 12-week purchases come from the challenger (it won)
    group_a_share: float  # share of the total held by CLV group A
    at_risk_clv: float  # expected value of the high-value customers at risk


@dataclass(frozen=True)
class ClvResult:
    """The CLV chapter's result: the forecast when the models could make one (`forecast`,
    None otherwise, `reason` saying why), the backtests, and, whatever the model gives, what
    is known of buying again (`buying_again`)."""

    params: ClvConfig
    observation_end: date
    reason: str  # why this model, or why no forecast
    fit: ModelFit | None
    backtests: tuple[Backtest, ...]  # the latest holdout window first
    buying_again: BuyingAgain
    history_months: float  # months of identified purchases up to observation_end
    rolling: tuple[WindowError, ...]  # the model's rolling-origin windows, latest first
    forecast: ClvForecast | None
    p_alive_refused: str  # why a dropout model's P(alive) is not printed ("" when it is)

    @property
    def available(self) -> bool:
        """Whether the models made a forecast."""
        return self.forecast is not None

    @property
    def backtest(self) -> Backtest:
        """The latest backtest: the one the grade and the chart come from."""
        return self.backtests[0]

    @property
    def coverage(self) -> tuple[int, int]:
        """(inside, judged) rolling windows whose purchases fell inside the interval made from
        the other windows' misses: how often a 90 % range of this model has held."""
        return held_out_coverage(self.rolling)

    @property
    def value_coverage(self) -> tuple[int, int]:
        """The same for the value of the purchases (the CLV range's evidence)."""
        return held_out_coverage(self.rolling, value=True)

    @property
    def enabled(self) -> bool:
        """Whether the unit computes CLV at all (clv.enabled)."""
        return self.params.enabled

    @property
    def model(self) -> PurchaseModel | None:
        """The purchase model used, if any."""
        return self.fit.model if self.fit else None

    @property
    def p_alive_estimated(self) -> bool:
        """Whether P(alive) is printed: the model has dropout and its P(alive) passed the
        backtest's check (`models.clv.identification`); else it is left empty."""
        return (self.model is not None and self.model.estimates_dropout
                and not self.p_alive_refused)


def clv_analysis(
    purchases: pl.DataFrame, rfm_customers: pl.DataFrame, observation_end: date, params: ClvConfig,
    buying_again: BuyingAgain | None = None,
    segments_at: Callable[[date], pl.DataFrame] | None = None,
    habits_at: ExtraFeatures | None = None,
) -> ClvResult:
    """Fit, backtest and apply the CLV models to every customer who bought by observation_end.
    `purchases`: orders (`CleanTransactions.orders`) or purchase lines, the same to this
    chapter, which counts purchase days (`daily_purchases`). `buying_again` goes into the
    result as it is (none estimated when not given)."""
    buying_again = buying_again or BuyingAgain()
    purchases = daily_purchases(purchases)
    history = history_months(purchases, observation_end)
    summary = customer_summary(purchases, observation_end, params.time_unit_days)
    # One model end to end: the model fitted for the report is the one every backtest refits
    # (chosen first by the latest backtest's candidates when selecting by holdout).
    chosen = (fit_window(purchases, observation_end - timedelta(weeks=params.backtest_weeks),
                         observation_end, params) if params.select_by == "holdout" else None)
    winner = None if chosen is None or isinstance(chosen, str) else chosen
    enough = (summary.height >= MIN_CUSTOMERS
              and summary["frequency"].sum() >= MIN_REPEAT_PURCHASES)
    fit = _identified_fit(summary, params, winner) if enough else None
    family = fit.model.name if fit is not None and fit.model is not None else None
    fits: FitCache = {}  # the windows' fits, shared by the rolling and the backtest windows
    challenger = ChallengerAhead(purchases, observation_end, params, habits_at)
    errors = (rolling_errors(purchases, observation_end, params, family, fits, segments_at)
              if family else ())
    backtests = run_backtests(purchases, observation_end, params, family, errors,
                              winner[3] if winner else (), fits, challenger)

    def unavailable(reason: str, fit: ModelFit | None = None) -> ClvResult:
        return ClvResult(params, observation_end, reason, fit, backtests, buying_again, history,
                         errors, forecast=None, p_alive_refused="")

    if fit is None:
        return unavailable(
            f"{summary.height:,} identified customers with {summary['frequency'].sum():,} "
            f"repeat purchases between them; the models need at least {MIN_CUSTOMERS} "
            f"customers and {MIN_REPEAT_PURCHASES} repeat purchases")
    if fit.model is None:
        return unavailable(fit.reason, fit)
    model = fit.model
    data = summary_arrays(summary)
    monetary = summary["monetary_value"].to_numpy()
    spend, spend_note = _spend_for_report(purchases, observation_end, data, monetary,
                                          backtests[0], params)
    expected_value = spend.expected_values(summary)
    seasons = checked_against(
        season(purchases, observation_end, params.time_unit_days, spend.population_mean, model),
        [(b.aggregate_error, b.seasonal_error) for b in backtests
         if b.aggregate_error is not None and b.seasonal_error is not None])
    weeks = 7 / params.time_unit_days
    # The challenger makes the next 12 weeks' purchases where it beat the model in every
    # backtest window it ran in (models.clv.challenger); the CLV's months stay the model's.
    challenger_12w = (_challenger_purchases(purchases, observation_end, summary, habits_at)
                      if challenger_won(backtests) else None)
    # Expected purchases corrected by how customers in the same state bought in the backtest
    # windows (models.clv.states): every horizon alike.
    # Applied only where, judged on windows they were not learnt from, they cut the error.
    state_check = held_out_state_error([window.by_state for window in errors])
    factors = (state_factors([window.by_state for window in errors])
               if state_check is not None and state_check[1] < state_check[0] else {})
    states = customer_states(summary, params.time_unit_days)
    state_factor = factors_of(states, factors)
    cumulative = [state_factor * purchases_by for purchases_by in cumulative_purchases(
        model, data, params.horizon_months, DAYS_PER_MONTH / params.time_unit_days)]
    purchase_factor = _purchase_factor(seasons, model, data, params.time_unit_days)
    values = {
        "expected_purchases_1w": seasons.purchase_factor(1) * state_factor
        * model.expected_purchases(weeks, data.frequency, data.recency, data.T),
        "expected_purchases_4w": seasons.purchase_factor(1) * state_factor
        * model.expected_purchases(4 * weeks, data.frequency, data.recency, data.T),
        "expected_purchases_12w": challenger_12w if challenger_12w is not None
        else purchase_factor * state_factor
        * model.expected_purchases(12 * weeks, data.frequency, data.recency, data.T),
        "expected_avg_value": expected_value,
        "clv": lifetime_value(model, data.frequency, data.recency, data.T, expected_value,
                              params.horizon_months, params.monthly_discount_rate,
                              DAYS_PER_MONTH / params.time_unit_days, seasons.value_factor,
                              cumulative),
    }
    broken = [name for name, v in values.items() if not np.all(np.isfinite(v))]
    if broken:
        return unavailable(f"{model.label} gave non-finite values for {', '.join(broken)}",
                           fit)
    latest = backtests[0]
    refused = "" if not model.estimates_dropout else (
        p_alive_refused(latest.alive_check) if latest.model == model.name
        else "the latest backtest window could not fit the same model to check it") or ""
    p_alive = model.p_alive(data.frequency, data.recency, data.T)
    if model.estimates_dropout and not np.all(np.isfinite(p_alive)):
        return unavailable(f"{model.label} gave non-finite values for p_alive", fit)
    last_year = (purchase_days(purchases, observation_end - timedelta(days=364), observation_end)
                 .group_by("customer_id").agg(pl.col("value").sort().sum().round(6)
                                              .alias("spend_12m")))
    customers = summary.with_columns(
        pl.Series("state", states),
        # Empty where the model estimates no dropout: never a P(alive) that was not estimated.
        pl.Series("p_alive", p_alive).fill_nan(None).clip(0.0, 1.0) if not refused
        else pl.lit(None, pl.Float64).alias("p_alive"),
        # Tiny negatives are floating-point noise of differences of cumulative expectations.
        *[pl.Series(name, np.clip(v, 0.0, None)) for name, v in values.items()],
    ).with_columns(clv_group_expr()).join(last_year, on="customer_id", how="left",
                                          maintain_order="left").with_columns(
        pl.col("spend_12m").fill_null(0.0))
    profiles = clv_group_profiles(customers, rfm_customers)
    at_risk = high_value_at_risk(customers, rfm_customers, params.at_risk_segments)
    group_a = profiles.filter(pl.col("clv_group") == "A")["clv_share"]
    total_clv = float(customers["clv"].sum())
    purchases_12w = float(customers["expected_purchases_12w"].sum())
    covariance = parameter_covariance(model, summary_arrays(compressed_summary(summary)))
    purchase_factors = prediction_factors([e.log_error for e in errors
                                           if e.log_error is not None], LEVEL)
    value_factors = prediction_factors([e.log_value_error for e in errors
                                        if e.log_value_error is not None], LEVEL)
    return ClvResult(params, observation_end, fit.reason, fit, backtests, buying_again, history,
                     errors, p_alive_refused=refused, forecast=ClvForecast(
        customers=customers,
        spend=spend,
        group_profiles=profiles,
        high_value_at_risk=at_risk,
        season=seasons,
        total_clv=total_clv,
        clv_interval=(total_clv * value_factors[0], total_clv * value_factors[1])
        if value_factors else None,
        purchases_12w=purchases_12w,
        purchases_12w_interval=(purchases_12w * purchase_factors[0],
                                purchases_12w * purchase_factors[1]) if purchase_factors else None,
        monthly=monthly_forecast(model, summary, expected_value, seasons, observation_end,
                                 params, cumulative),
        # Graded only on the report's own model: a window that fell back to another is no
        # evidence for this one.
        grade=(forecast_grade(backtests[0], seasons.available)
               if backtests[0].model == model.name else None),
        param_intervals=parameter_intervals(model, covariance),
        spend_note=spend_note,
        state_factors=factors,
        challenger_used=challenger_12w is not None,
        state_error=state_check,
        segment_intervals=segment_intervals(customers, rfm_customers, errors),
        group_intervals={row["clv_group"]: (row["clv_total"] * low, row["clv_total"] * high)
                         for row in profiles.iter_rows(named=True)
                         for group, (low, high) in group_factors(errors).items()
                         if group == row["clv_group"]},
        group_a_share=float(group_a[0]) if group_a.len() else 0.0,
        at_risk_clv=float(at_risk["clv"].sum()) if at_risk.height else 0.0,
    ))


def switched_off(observation_end: date, params: ClvConfig, buying_again: BuyingAgain
                 ) -> ClvResult:
    """The result of a unit that does not compute CLV (clv.enabled: false): what is known of
    buying again without a model, and no forecast."""
    backtest = Backtest(False, "CLV is switched off", observation_end, observation_end,
                        params.backtest_weeks)
    return ClvResult(params, observation_end,
                     "CLV is switched off for this unit (clv.enabled: false).", None,
                     (backtest,), buying_again, 0.0, (), forecast=None, p_alive_refused="")


def history_censored(purchases: pl.DataFrame) -> pl.DataFrame:
    """customer_id and history_censored: first seen in the data's first CENSORED_MONTHS
    months, so they may well have bought before the data start and are not new."""
    identified = purchases.filter(pl.col("customer_id").is_not_null()).select(
        "customer_id", pl.col("invoice_date").dt.date().alias("day"))
    start = identified["day"].min()
    if not isinstance(start, date):
        return pl.DataFrame(schema={"customer_id": pl.String, "history_censored": pl.Boolean})
    cutoff = start + timedelta(days=round(CENSORED_MONTHS * DAYS_PER_MONTH))
    return (identified.group_by("customer_id")
            .agg((pl.col("day").min() < cutoff).alias("history_censored"))
            .sort("customer_id"))


def cumulative_purchases(model: PurchaseModel, data: SummaryArrays, months: int,
                         units_per_month: float) -> list[np.ndarray]:
    """Each customer's expected repeat purchases by the end of forecast months 1..months: what
    the CLV and the monthly forecast are both made of, computed once."""
    return [model.expected_purchases(month * units_per_month, data.frequency, data.recency,
                                     data.T) for month in range(1, months + 1)]


def monthly_forecast(model: PurchaseModel, summary: pl.DataFrame, expected_value: np.ndarray,
                     seasons: Season, observation_end: date, params: ClvConfig,
                     cumulative: Sequence[np.ndarray]) -> pl.DataFrame:
    """Per forecast month: its first day, expected repeat purchases and discounted value of all
    customers (season-scaled where measured), and the factors applied; `cumulative` is
    cumulative_purchases' result."""
    previous = np.zeros(summary.height)
    rows = []
    for month in range(1, params.horizon_months + 1):
        increment = np.clip(cumulative[month - 1] - previous, 0.0, None)
        previous = cumulative[month - 1]
        discount = (1 + params.monthly_discount_rate) ** month
        rows.append({
            "month": month,
            "first_day": month_bounds(observation_end, month)[0],
            "purchases": float(increment.sum()) * seasons.purchase_factor(month),
            "value": float((increment * expected_value).sum()) * seasons.value_factor(month)
            / discount,
            "purchase_factor": seasons.purchase_factor(month) if seasons.available else None,
            "value_factor": seasons.value_factor(month) if seasons.available else None,
        })
    return pl.DataFrame(rows, schema={"month": pl.Int64, "first_day": pl.Date,
                                      "purchases": pl.Float64, "value": pl.Float64,
                                      "purchase_factor": pl.Float64, "value_factor": pl.Float64})


def _purchase_factor(seasons: Season, model: PurchaseModel, data: SummaryArrays,
                     unit_days: int) -> float:
    """The season factor of the next 12 weeks: months 1-3's, weighted by their purchases."""
    if not seasons.available:
        return 1.0
    per_month = monthly_purchases(model, data, 3, unit_days)
    weights = per_month if per_month.sum() > 0 else np.ones(3)
    return float(np.average([seasons.purchase_factor(m) for m in (1, 2, 3)], weights=weights))


def _spend_for_report(purchases: pl.DataFrame, observation_end: date, data: SummaryArrays,
                      monetary: np.ndarray, backtest: Backtest,
                      params: ClvConfig) -> tuple[SpendModel, str]:
    """Gamma-Gamma, unless the backtest found each customer's shrunk mean predicted better."""
    day_values = purchase_days(purchases, None, observation_end)["value"]
    fallback = float(day_values.mean() or 0.0)  # type: ignore[arg-type]
    spend = fit_spend_model(data.frequency, monetary, fallback, list(params.spend_penalizers),
                            params.max_spend_frequency_correlation)
    errors = backtest.spend_errors
    if spend.method == "gamma-gamma" and backtest.spend_method == "shrunk mean" and errors:
        note = (f"Each customer's shrunk mean spend is used: on the backtest it predicted the "
                f"value of a purchase better than Gamma-Gamma (mean error "
                f"{errors['shrunk mean']:,.2f} against {errors['gamma-gamma']:,.2f} a purchase).")
        return shrunk_mean_model(data.frequency, monetary, fallback), note
    return spend, ""


def lifetime_value(
    model: PurchaseModel,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    expected_value: np.ndarray,
    horizon_months: int,
    monthly_discount_rate: float,
    units_per_month: float,
    month_factor: Callable[[int], float] = lambda month: 1.0,
    cumulative: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Discounted expected value of each customer's purchases over the next months, each
    month's scaled by `month_factor` (the season); `cumulative` is cumulative_purchases'
    result when already computed."""
    if cumulative is None:
        histories = SummaryArrays(frequency, recency, T, np.ones_like(T))
        cumulative = cumulative_purchases(model, histories, horizon_months, units_per_month)
    total = np.zeros_like(np.asarray(T, dtype=float))
    previous = np.zeros_like(total)
    for month in range(1, horizon_months + 1):
        total += (month_factor(month) * expected_value * (cumulative[month - 1] - previous)
                  / (1 + monthly_discount_rate) ** month)
        previous = cumulative[month - 1]
    return total


def clv_group_expr() -> pl.Expr:
    """A for the top quarter of CLV, then B, C and D; ties are split by customer order."""
    rank = pl.col("clv").rank("ordinal", descending=True)
    quarter = ((rank - 1) * 4 // pl.len()).cast(pl.Int64)
    return quarter.replace_strict(dict(enumerate(CLV_GROUPS)), return_dtype=pl.String).alias(
        "clv_group"
    )


def clv_group_profiles(customers: pl.DataFrame, rfm_customers: pl.DataFrame) -> pl.DataFrame:
    """Per CLV group: size, CLV total, share and mean, P(alive), and RFM averages."""
    joined = customers.join(
        rfm_customers.select("customer_id", "recency_days", pl.col("frequency").alias("orders"),
                             "monetary"), on="customer_id", how="left")
    means = {"clv": "clv", "p_alive": "p_alive",
             "expected_purchases_12w": "expected_purchases_12w", "recency": "recency_days",
             "orders": "orders", "monetary": "monetary"}
    return (
        group_profiles(joined, "clv_group", pl.col("clv").sum().alias("clv_total"),
                       *statistics(means, "mean"))
        .with_columns(share_of("clv_total", customers["clv"], "clv_share"))
        .sort("clv_group")
    )


def high_value_at_risk(
    customers: pl.DataFrame, rfm_customers: pl.DataFrame, segments: list[str]
) -> pl.DataFrame:
    """CLV group A customers whose RFM segment says they are slipping, highest CLV first."""
    return (
        customers.filter(pl.col("clv_group") == "A")
        .join(rfm_customers.select("customer_id", "segment", "recency_days",
                                   pl.col("frequency").alias("orders"), "monetary"),
              on="customer_id")
        .filter(pl.col("segment").is_in(segments))
        .select("customer_id", "segment", "clv", "p_alive", "expected_purchases_12w",
                "recency_days", "orders", "monetary")
        .sort(["clv", "customer_id"], descending=[True, False])
    )


def segment_intervals(customers: pl.DataFrame, rfm_customers: pl.DataFrame,
                      errors: tuple[WindowError, ...]) -> dict[str, tuple[float, float]]:
    """Each segment's CLV total times the 90 % factors of that segment's misses in the rolling
    windows (segments as each cut-off's report named them)."""
    factors = group_factors(errors, "by_segment")
    totals = dict(customers.join(rfm_customers.select("customer_id", "segment"), on="customer_id")
                  .group_by("segment").agg(pl.col("clv").sum()).iter_rows())
    return {name: (totals[name] * low, totals[name] * high)
            for name, (low, high) in factors.items() if name in totals}


def challenger_won(backtests: tuple[Backtest, ...]) -> bool:
    """Whether the challenger beat the model in every backtest window it ran in (one at
    least)."""
    judged = [b.challenger_beats_model for b in backtests
              if b.available and b.challenger_beats_model is not None]
    return bool(judged) and all(judged)


def _challenger_purchases(purchases: pl.DataFrame, observation_end: date,
                          summary: pl.DataFrame, habits_at: ExtraFeatures | None
                          ) -> np.ndarray | None:
    """The challenger's next 12 weeks' purchases of the summary's customers (trained on
    everything known at observation_end)."""
    predicted = challenger_predictions(purchase_days(purchases, None, observation_end),
                                       observation_end, 84, habits_at)
    if predicted is None:
        return None
    rows, count, _, _ = predicted
    aligned = summary.select("customer_id").join(
        rows.select("customer_id").with_columns(pl.Series("count", count)), on="customer_id",
        how="left", maintain_order="left")["count"].fill_null(0.0)
    return np.asarray(aligned.to_numpy())


def _identified_fit(summary: pl.DataFrame, params: ClvConfig,
                    winner: tuple[PurchaseModel, str, pl.DataFrame, tuple[CandidateScore, ...]]
                    | None) -> ModelFit:
    """The report's fit with its dropout identified: a dropout model whose dropout parameters'
    ranges are unbounded (models.clv.identification) is refused and the ladder goes on without
    it, down to no dropout where allowed."""
    data = summary_arrays(compressed_summary(summary))
    refused: list[FitAttempt] = []
    models = list(params.models)
    while True:
        fit = _fit_for_report(summary, params.model_copy(update={"models": models}), winner)
        model = fit.model
        why = unidentified_dropout(model, data) if model is not None else None
        if model is None or why is None:
            if not refused:
                return fit
            return ModelFit(model, (*refused, *fit.attempts),
                            f"{'; '.join(a.detail for a in refused)}. {fit.reason}",
                            fit.nbd_log_likelihood)
        refused.append(FitAttempt(model.name, model.penalizer, 0.0, "report", "unidentified",
                                  f"{model.label} refused: {why}", model.params,
                                  model.log_likelihood))
        models = [name for name in models if name != model.name]
        winner = None  # a refused winner: the ladder decides among the rest


def _fit_for_report(summary: pl.DataFrame, params: ClvConfig,
                    winner: tuple[PurchaseModel, str, pl.DataFrame, tuple[CandidateScore, ...]]
                    | None) -> ModelFit:
    """Fit on the full history: the ladder, or the latest backtest's winner when selecting by
    holdout (`winner`: fit_window's result on that window)."""
    data = summary_arrays(compressed_summary(summary))
    models: list[str] = list(params.models)
    allow_no_dropout = params.allow_no_dropout_model
    if winner is not None:
        name = winner[0].name
        models = [name] if name != "nbd" else []
        allow_no_dropout = name == "nbd" or params.allow_no_dropout_model
    fit = fit_purchase_model(data, models, list(params.penalizers), params.min_dropout_evidence,
                             allow_no_dropout)
    if winner is not None and fit.model is not None:
        return ModelFit(fit.model, fit.attempts,
                        f"{fit.model.label} chosen by the backtest, with the "
                        f"{winner[1]}.", fit.nbd_log_likelihood)
    return fit
