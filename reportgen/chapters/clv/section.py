"""The CLV page: tables, charts, the headline, and the words on how far to trust the forecast."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.clv.analysis import ClvResult
from reportgen.chapters.clv.backtest import Backtest
from reportgen.chapters.clv.charts import (
    backtest_chart,
    clv_distribution_chart,
    monthly_value_chart,
    probability_chart,
)
from reportgen.chapters.clv.grade import (
    COUNT_TOLERANCE,
    MIN_TOP_CAPTURE,
    VALUE_TOLERANCE,
    ForecastGrade,
)
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.models.clv.purchase import MODEL_LABELS
from reportgen.report.charts import Chart
from reportgen.report.formatting import day, money, number, pct, segment_label

AT_RISK_ROWS = 15
DISTRIBUTION_BANDS = 12


@dataclass(frozen=True)
class ClvGroupRow:
    """One CLV group's profile."""

    group: str
    customers: int
    share: float
    clv_total: float
    clv_share: float
    clv_mean: float
    p_alive_mean: float | None
    expected_purchases_12w_mean: float
    recency_mean: float
    orders_mean: float
    monetary_mean: float


@dataclass(frozen=True)
class ClvCustomerRow:
    """A customer in the top-CLV or high-value-at-risk tables."""

    customer_id: str
    segment: str
    clv: float
    p_alive: float | None
    p_buy_90d: float | None
    expected_purchases_12w: float
    recency_days: int
    orders: int
    monetary: float


@dataclass(frozen=True)
class CalibrationRow:
    """One decile of the predicted chance of buying again, against what happened."""

    decile: int
    customers: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class ChanceView:
    """The chance of buying again within 90 days: how it is estimated and how well."""

    horizon_days: int
    cutoffs: int
    validated_on: date | None
    calibration_error: float | None
    calibration: tuple[CalibrationRow, ...]
    twelve_months: bool  # the 12-month chance is estimated too


@dataclass(frozen=True)
class FitRow:
    """One attempt of the model-fitting ladder, for the method table."""

    model: str
    penalizer: float
    outcome: str
    detail: str


@dataclass(frozen=True)
class BacktestView:
    """One backtest window's figures as the report shows them."""

    available: bool
    reason: str
    window: str
    calibration_end: date
    holdout_start: date
    holdout_end: date
    weeks: int
    customers: int
    model_label: str
    actual: int
    predicted: float
    interval: tuple[float, float] | None
    outside_interval: bool
    baseline: float
    error: float | None
    baseline_error: float | None
    actual_value: float
    predicted_value: float
    value_error: float | None
    rmse: float
    baseline_rmse: float
    mae: float
    baseline_mae: float
    top_capture: float | None
    season_factor: float | None
    seasonal_error: float | None
    spend_method: str


@dataclass(frozen=True)
class GradeRow:
    """One check of the forecast grade, in words."""

    check: str
    measured: str
    needed: str
    passed: bool


@dataclass(frozen=True)
class GradeView:
    """The forecast grade and its four checks."""

    letter: str
    passed: int
    rows: tuple[GradeRow, ...]
    season_scaled: bool


@dataclass(frozen=True)
class MonthRow:
    """One coming month of the forecast."""

    label: str
    purchases: float
    value: float
    value_factor: float | None


@dataclass(frozen=True)
class ClvView:
    """Everything the CLV chapter shows."""

    enabled: bool
    available: bool
    unavailable_reason: str
    horizon_months: int
    discount_rate: float
    model_label: str
    plain_method: str  # how the forecast works, in plain words, before any parameter
    model_reason: str
    model_params: tuple[tuple[str, float, tuple[float, float] | None], ...]  # with 95 % range
    attempts: tuple[FitRow, ...]
    p_alive_estimated: bool
    spend_method: str
    spend_params: tuple[tuple[str, float], ...]
    spend_correlation: float | None
    warnings: tuple[str, ...]
    customers: int
    total_clv: float
    group_a_share: float
    groups: tuple[ClvGroupRow, ...]
    top_customers: tuple[ClvCustomerRow, ...]
    at_risk: tuple[ClvCustomerRow, ...]
    at_risk_count: int
    at_risk_clv: float
    backtest: BacktestView  # the latest window: its chart and the grade
    backtests: tuple[BacktestView, ...]  # the windows that could run, side by side
    trust: str
    chance: ChanceView | None
    history_months: float = 0.0
    season_blind: bool = True
    season_reason: str = ""
    clv_interval: tuple[float, float] | None = None
    purchases_12w: float = 0.0
    purchases_12w_interval: tuple[float, float] | None = None
    grade: GradeView | None = None
    months: tuple[MonthRow, ...] = ()
    spend_note: str = ""
    untested: tuple[str, ...] = ()  # the windows that could not run, and why


def clv_section(clv: ClvResult, inputs: SectionInputs) -> Section[ClvView]:
    """The CLV chapter's content; a disabled or unavailable CLV still gets its explanation."""
    params = inputs.config.clv
    backtest = backtest_view(clv.backtest)
    backtests = tuple(backtest_view(b) for b in clv.backtests if b.available)
    untested = tuple(f"{b.window_label} backtest not run: {b.reason}." for b in clv.backtests
                     if not b.available)
    rfm_customers = inputs.results.of("segments", SegmentsResult).customers
    chances = clv.buying_again.chance_columns()
    charts: dict[str, Chart] = {}
    if chances is not None and "p_buy_90d" in chances.columns:
        by_segment = rfm_customers.select("customer_id", "segment").join(
            chances, on="customer_id").group_by("segment").agg(pl.col("p_buy_90d").mean())
        charts["p_buy"] = Chart("", "", probability_chart(
            by_segment, "p_buy_90d", "Mean chance of buying within 90 days"))
    if not clv.available:
        view = replace(_empty_view(params.horizon_months, params.monthly_discount_rate,
                                   enabled=clv.enabled, reason=clv.reason),
                       backtest=backtest, backtests=backtests, untested=untested,
                       attempts=fit_rows(clv),
                       chance=chance_view(clv), history_months=clv.history_months)
        headlines = (() if not clv.enabled else
                     (f"Customer lifetime value is not available this month: {clv.reason}.",))
        return Section(view, charts=charts, headlines=headlines)
    model = clv.model
    assert model is not None and clv.spend is not None and clv.fit is not None
    customers = clv.customers.join(
        rfm_customers.select("customer_id", "segment", "recency_days",
                             pl.col("frequency").alias("orders"), "monetary"),
        on="customer_id", how="left",
    )
    risky = clv.high_value_at_risk
    if chances is not None:
        customers = customers.join(chances, on="customer_id", how="left", maintain_order="left")
        risky = risky.join(chances, on="customer_id", how="left", maintain_order="left")
    groups = tuple(ClvGroupRow(**row) for row in clv.group_profiles.select(
        pl.col("clv_group").alias("group"), "customers", "share", "clv_total", "clv_share",
        "clv_mean", "p_alive_mean", "expected_purchases_12w_mean", "recency_mean", "orders_mean",
        "monetary_mean").to_dicts())
    charts["clv_distribution"] = Chart("", "", clv_distribution_chart(
        clv_bands(customers, inputs.symbol), inputs.symbol))
    p_alive_estimated = clv.p_alive_estimated
    if p_alive_estimated:
        charts["p_alive"] = Chart("", "", probability_chart(
            customers.group_by("segment").agg(pl.col("p_alive").mean()), "p_alive",
            "Mean P(alive)"))
    if clv.backtest.available and clv.backtest.tracking is not None:
        charts["backtest"] = Chart("", "", backtest_chart(clv.backtest.tracking,
                                                          clv.backtest.model_label))
    months = month_rows(clv)
    if months:
        charts["monthly_value"] = Chart("", "", monthly_value_chart(
            pl.DataFrame([{"label": m.label, "value": m.value} for m in months]),
            inputs.symbol))
    view = ClvView(
        enabled=True,
        available=True,
        unavailable_reason="",
        horizon_months=params.horizon_months,
        discount_rate=params.monthly_discount_rate,
        model_label=model.label,
        plain_method=plain_method(clv),
        model_reason=clv.reason,
        model_params=tuple((name, value, (clv.param_intervals or {}).get(name))
                           for name, value in model.params.items()),
        attempts=fit_rows(clv),
        p_alive_estimated=p_alive_estimated,
        spend_method=clv.spend.method,
        spend_params=tuple(clv.spend.params.items()),
        spend_correlation=clv.spend.frequency_spend_correlation,
        warnings=clv.warnings,
        customers=customers.height,
        total_clv=clv.total_clv,
        group_a_share=clv.group_a_share,
        groups=groups,
        top_customers=customer_rows(customers.sort(["clv", "customer_id"],
                                                   descending=[True, False]),
                                    params.top_customers),
        at_risk=customer_rows(risky, AT_RISK_ROWS),
        at_risk_count=risky.height,
        at_risk_clv=clv.at_risk_clv,
        backtest=backtest,
        backtests=backtests,
        untested=untested,
        trust=trust_paragraph(clv),
        chance=chance_view(clv),
        history_months=clv.history_months,
        season_blind=not clv.season.available,
        season_reason=clv.season.reason[:1].upper() + clv.season.reason[1:],
        clv_interval=clv.clv_interval,
        purchases_12w=clv.purchases_12w,
        purchases_12w_interval=clv.purchases_12w_interval,
        grade=grade_view(clv.grade),
        months=months,
        spend_note=clv.spend_note,
    )
    currency = inputs.config.currency
    interval = (f" (90 % range {money(clv.clv_interval[0], currency)} – "
                f"{money(clv.clv_interval[1], currency)})" if clv.clv_interval else "")
    grade = f", forecast grade {clv.grade.letter}" if clv.grade else ", not graded"
    headline = (
        f"Customers are expected to spend {money(clv.total_clv, currency)}{interval} over the "
        f"next {params.horizon_months} months{grade}"
        f"{' (season-blind)' if not clv.season.available else ''}; the top quarter (CLV "
        f"group A) holds {pct(clv.group_a_share)} of it, and {risky.height:,} of those "
        f"customers are slipping, with {money(clv.at_risk_clv, currency)} at stake."
    )
    return Section(view, charts=charts, headlines=(headline,))


def chance_view(clv: ClvResult) -> ChanceView | None:
    """How the 90-day chance of buying again was estimated and how well it is calibrated."""
    chance = clv.buying_again.chance_90d
    if chance is None:
        return None
    return ChanceView(
        horizon_days=chance.horizon_days,
        cutoffs=len(chance.cutoffs),
        validated_on=chance.validated_on,
        calibration_error=chance.calibration_error,
        calibration=tuple(CalibrationRow(**row) for row in chance.calibration.to_dicts()),
        twelve_months=clv.buying_again.chance_12m is not None,
    )


def plain_method(clv: ClvResult) -> str:
    """How the forecast works, in words a manager reads without the parameters."""
    assert clv.model is not None and clv.spend is not None
    params = clv.params
    dropout = (", which also estimates the chance that each customer has stopped buying"
               if clv.p_alive_estimated else
               ", which assumes customers keep buying at their own pace: the data show no "
               "measurable dropout")
    spend = ("from what the customer spent before, pulled towards the average customer when "
             "they have bought only a few times (the Gamma-Gamma model)"
             if clv.spend.method == "gamma-gamma" else
             "from the customer's own average spend, pulled towards the average customer's "
             "when they have bought only a few times (the shrunk mean)")
    return (
        f"Each customer's purchases over the next {params.horizon_months} months are predicted "
        f"from how often they have bought and how long ago they last bought, with the "
        f"{clv.model.label} model{dropout}. The value of each purchase comes {spend}. Months "
        f"further ahead count for less: {pct(params.monthly_discount_rate)} a month. "
        f"{season_sentence(clv)} The forecast was tested on earlier {params.backtest_weeks}-week "
        "windows (above); the details below are for the analyst."
    )


def fit_rows(clv: ClvResult) -> tuple[FitRow, ...]:
    """The fitting ladder's attempts with display names."""
    if clv.fit is None:
        return ()
    return tuple(FitRow(MODEL_LABELS[a.model], a.penalizer, a.outcome, a.detail)
                 for a in clv.fit.attempts)


def customer_rows(customers: pl.DataFrame, limit: int) -> tuple[ClvCustomerRow, ...]:
    """The first `limit` customers as table rows."""
    return tuple(
        ClvCustomerRow(
            customer_id=row["customer_id"], segment=segment_label(row["segment"] or ""),
            clv=row["clv"], p_alive=row["p_alive"], p_buy_90d=row.get("p_buy_90d"),
            expected_purchases_12w=row["expected_purchases_12w"],
            recency_days=row["recency_days"], orders=row["orders"], monetary=row["monetary"],
        )
        for row in customers.head(limit).iter_rows(named=True)
    )


def clv_bands(customers: pl.DataFrame, symbol: str) -> pl.DataFrame:
    """Customers per CLV band and group: equal bands up to the 95th percentile, then the rest."""
    top = float(customers.select(pl.col("clv").quantile(0.95).fill_null(0.0)).item())
    step = _nice_step(top / (DISTRIBUTION_BANDS - 1)) if top > 0 else 1.0
    last = DISTRIBUTION_BANDS - 1
    band = (pl.col("clv") / step).floor().cast(pl.Int64).clip(0, last)
    return (
        customers.group_by(band.alias("band_order"), "clv_group")
        .agg(pl.len().alias("customers"))
        .with_columns(
            pl.when(pl.col("band_order") == last)
            .then(pl.lit(f"{symbol}{_short(last * step)}+"))
            .otherwise(
                pl.format("{}{}–{}", pl.lit(symbol),
                          pl.col("band_order").map_elements(lambda b: _short(b * step),
                                                            return_dtype=pl.String),
                          pl.col("band_order").map_elements(lambda b: _short((b + 1) * step),
                                                            return_dtype=pl.String))
            )
            .alias("band")
        )
        .sort("band_order", "clv_group")
    )


def season_sentence(clv: ClvResult) -> str:
    """Whether the forecast knows the season, in one sentence."""
    if clv.season.available and clv.season.fitted_on is not None:
        return (f"Each month is scaled by how the same month ran in the year from "
                f"{day(clv.season.fitted_on)} against what the model predicted for it from the "
                "customers' history up to then.")
    return (f"The forecast is season-blind: {clv.season.reason}, so it predicts the same pace "
            "in every month of the year.")


def month_rows(clv: ClvResult) -> tuple[MonthRow, ...]:
    """The coming months, each labelled by the calendar month of its middle."""
    if clv.monthly is None:
        return ()
    return tuple(
        MonthRow(label=f"{row['first_day'] + timedelta(days=15):%b %Y}",
                 purchases=row["purchases"], value=row["value"],
                 value_factor=row["value_factor"])
        for row in clv.monthly.iter_rows(named=True))


def grade_view(grade: ForecastGrade | None) -> GradeView | None:
    """The grade's checks in words."""
    if grade is None:
        return None
    words: dict[str, tuple[str, Callable[[float], str], str]] = {
        "purchases": ("Total repeat purchases", _signed, f"within ±{pct(COUNT_TOLERANCE, 0)}"),
        "pounds": ("Total spend", _signed, f"within ±{pct(VALUE_TOLERANCE, 0)}"),
        "customers": ("Error per customer (root mean square)", _two_decimals,
                      "below the naive rule's"),
        "ranking": ("Top-10 % capture", _whole_pct, f"at least {pct(MIN_TOP_CAPTURE, 0)}"),
    }
    rows = []
    for check in grade.checks:
        label, show, needed = words[check.name]
        if check.name == "customers":
            needed = f"below the naive rule's {number(check.threshold, 2)}"
        rows.append(GradeRow(label, show(check.value) if check.value is not None else "–",
                             needed, check.passed))
    return GradeView(grade.letter, grade.passed, tuple(rows), grade.season_scaled)


def _two_decimals(value: float) -> str:
    return number(value, 2)


def _whole_pct(value: float) -> str:
    return pct(value, 0)


def _signed(value: float) -> str:
    return f"{pct(abs(value), 0)} {'too high' if value > 0 else 'too low'}"


def backtest_view(backtest: Backtest) -> BacktestView:
    """A backtest window as plain values."""
    return BacktestView(
        available=backtest.available, reason=backtest.reason, window=backtest.window_label,
        calibration_end=backtest.calibration_end,
        holdout_start=backtest.holdout_start,
        holdout_end=backtest.holdout_end,
        weeks=backtest.holdout_weeks, customers=backtest.customers,
        model_label=backtest.model_label, actual=backtest.actual_total,
        predicted=backtest.predicted_total, interval=backtest.interval,
        outside_interval=backtest.outside_interval, baseline=backtest.baseline_total,
        error=backtest.aggregate_error, baseline_error=backtest.baseline_error,
        actual_value=backtest.actual_value, predicted_value=backtest.predicted_value,
        value_error=backtest.value_error, rmse=backtest.rmse,
        baseline_rmse=backtest.baseline_rmse, mae=backtest.mae,
        baseline_mae=backtest.baseline_mae, top_capture=backtest.top_capture,
        season_factor=backtest.season_factor, seasonal_error=backtest.seasonal_error,
        spend_method=backtest.spend_method,
    )


def trust_paragraph(clv: ClvResult) -> str:
    """How far to trust the forecast, in plain words, from the grade and the backtests."""
    backtest, grade = clv.backtest, clv.grade
    if not backtest.available or grade is None:
        return (f"The forecast could not be tested this month ({backtest.reason}); "
                "use CLV to rank customers rather than to budget amounts.")
    start = backtest.holdout_start
    checks = {check.name: check for check in grade.checks}
    count, value = checks["purchases"].value or 0.0, checks["pounds"].value or 0.0
    facts = (
        f"Forecast grade {grade.letter}: fitted only on the data before {day(start)} and asked "
        f"for the {backtest.holdout_weeks} weeks to {day(backtest.holdout_end)}, the model "
        f"{'passed' if grade.passed else 'failed'} {grade.passed if grade.passed else 'all'} "
        f"of four checks. It predicted {pct(abs(count), 0)} "
        f"{'too many' if count > 0 else 'too few'} repeat purchases and {pct(abs(value), 0)} "
        f"{'too much' if value > 0 else 'too little'} spend"
        f"{' (season-scaled)' if grade.season_scaled else ''}; "
        f"{_ranking_words(checks['ranking'].value)}; per customer it "
        f"{'beat' if checks['customers'].passed else 'did not beat'} the naive rule that "
        "everyone keeps their past rate."
    )
    verdict = {
        "A": "CLV can guide both who to prioritise and how much to spend.",
        "B": ("Use CLV to prioritise customers; treat the totals as indicative, within about "
              f"{pct(max(abs(count), abs(value)), 0)}."),
    }.get(grade.letter, "Use CLV to rank customers, not to budget amounts.")
    flagged = [b for b in clv.backtests if b.available and b.outside_interval]
    notes = []
    if flagged:
        notes.append(
            f"In {len(flagged)} of {sum(b.available for b in clv.backtests)} backtests what "
            "happened fell outside the forecast's 90 % range: the range covers the model's "
            "own uncertainty, not a change of season or of trading.")
    if not clv.season.available:
        notes.append("The forecast is season-blind: a busy or quiet season ahead is not in it.")
    return " ".join([facts, verdict, *notes])


def _ranking_words(capture: float | None) -> str:
    if capture is None:
        return "nobody bought in the window, so its ranking could not be checked"
    return (f"the 10 % of customers it ranked highest made {pct(capture, 0)} of the purchases "
            "of the 10 % who bought most")


def _empty_view(horizon: int, discount: float, enabled: bool, reason: str) -> ClvView:
    empty_backtest = BacktestView(False, reason, "", date.min, date.min, date.min, 0, 0, "", 0,
                                  0.0, None, False, 0.0, None, None, 0.0, 0.0, None, 0.0, 0.0,
                                  0.0, 0.0, None, None, None, "")
    return ClvView(
        enabled=enabled, available=False, unavailable_reason=reason, horizon_months=horizon,
        discount_rate=discount, model_label="", plain_method="", model_reason="",
        model_params=(), attempts=(),
        p_alive_estimated=False, spend_method="", spend_params=(), spend_correlation=None,
        warnings=(), customers=0, total_clv=0.0, group_a_share=0.0, groups=(),
        top_customers=(), at_risk=(), at_risk_count=0, at_risk_clv=0.0,
        backtest=empty_backtest, backtests=(), trust="", chance=None,
    )


def _nice_step(raw: float) -> float:
    """Round a band width up to 1, 2 or 5 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _short(value: float) -> str:
    """1500 -> 1.5k, 20000 -> 20k, 300 -> 300."""
    if value >= 1000:
        text = f"{value / 1000:.1f}".rstrip("0").rstrip(".")
        return f"{text}k"
    return f"{value:.0f}"
