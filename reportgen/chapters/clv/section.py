"""The CLV page: tables, charts, the headline, and the words on how far to trust the forecast."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.clv.analysis import ClvForecast, ClvResult
from reportgen.chapters.clv.charts import (
    backtest_chart,
    clv_bands,
    clv_distribution_chart,
    monthly_value_chart,
    probability_chart,
)
from reportgen.chapters.clv.words import challenger_sentence, plain_method, trust_paragraph
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.display.charts import Chart
from reportgen.display.formatting import money, number, pct, segment_label
from reportgen.models.clv.grade import (
    COUNT_TOLERANCE,
    MIN_TOP_CAPTURE,
    VALUE_TOLERANCE,
    ForecastGrade,
)
from reportgen.models.clv.holdout import Backtest
from reportgen.models.clv.purchase import MODEL_LABELS
from reportgen.models.clv.states import STATE_LABELS

AT_RISK_ROWS = 15


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
    clv_range: tuple[float, float] | None = None  # 90 % range of clv_total (rolling windows)


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
    season_checked_on: date | None  # the same weeks a year earlier, where the data reach
    season_calibration_error: float | None
    season_note: str  # whether last year's season factor scales the chances, and why
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
class StateRow:
    """A customer state and how its expected purchases are corrected."""

    label: str
    customers: int
    factor: float


@dataclass(frozen=True)
class LapsingRow:
    """A slipping segment's forecast beside what it did."""

    segment: str
    customers: int
    clv: float
    spend_12m: float
    p_buy_90d: float | None
    clv_range: tuple[float, float] | None  # 90 % range from the segment's rolling misses


@dataclass(frozen=True)
class ForecastView:
    """What the CLV chapter shows of the forecast, when the models made one."""

    model_label: str
    plain_method: str  # how the forecast works, in plain words, before any parameter
    model_reason: str
    model_params: tuple[tuple[str, float, tuple[float, float] | None], ...]  # with 95 % range
    p_alive_estimated: bool
    p_alive_refused: str  # why the dropout model's P(alive) is not printed ("" otherwise)
    spend_method: str
    spend_params: tuple[tuple[str, float], ...]
    spend_correlation: float | None
    spend_note: str
    warnings: tuple[str, ...]
    customers: int
    total_clv: float
    clv_interval: tuple[float, float] | None
    coverage: tuple[int, int]  # (held, judged) past windows of the spend range
    purchases_12w: float
    purchases_12w_interval: tuple[float, float] | None
    group_a_share: float
    groups: tuple[ClvGroupRow, ...]
    top_customers: tuple[ClvCustomerRow, ...]
    at_risk: tuple[ClvCustomerRow, ...]
    at_risk_count: int
    at_risk_clv: float
    season_blind: bool
    season_reason: str
    grade: GradeView | None
    months: tuple[MonthRow, ...]
    trust: str
    challenger: str  # how the gradient-boosted challenger fared (for the analyst)
    states: tuple[StateRow, ...]
    state_error: tuple[float, float] | None  # held-out error without / with the correction
    lapsing: tuple[LapsingRow, ...]


@dataclass(frozen=True)
class ClvView:
    """Everything the CLV chapter shows: the forecast when there is one, and always what was
    tried, the backtests and the chance of buying again."""

    enabled: bool
    unavailable_reason: str
    horizon_months: int
    discount_rate: float
    history_months: float
    attempts: tuple[FitRow, ...]
    chance: ChanceView | None
    backtest: Backtest  # the latest window: its chart and the grade
    backtests: tuple[Backtest, ...]  # the windows that could run, side by side
    untested: tuple[str, ...]  # the windows that could not run, and why
    forecast: ForecastView | None

    @property
    def available(self) -> bool:
        """Whether there is a forecast to show."""
        return self.forecast is not None


def clv_section(clv: ClvResult, inputs: SectionInputs) -> Section[ClvView]:
    """The CLV chapter's content; a disabled or unavailable CLV still gets its explanation."""
    params = inputs.config.clv
    rfm_customers = inputs.results.of("segments", SegmentsResult).customers
    chances = clv.buying_again.chance_columns()
    charts: dict[str, Chart] = {}
    if chances is not None and "p_buy_90d" in chances.columns:
        by_segment = rfm_customers.select("customer_id", "segment").join(
            chances, on="customer_id").group_by("segment").agg(pl.col("p_buy_90d").mean())
        charts["p_buy"] = Chart("", "", probability_chart(
            by_segment, "p_buy_90d", "Mean chance of buying within 90 days"))
    forecast = None
    headlines: tuple[str, ...] = ()
    if clv.forecast is not None:
        forecast, forecast_charts, headline = forecast_view(clv, clv.forecast, rfm_customers,
                                                             chances, inputs)
        charts.update(forecast_charts)
        headlines = (headline,)
    elif clv.enabled:
        headlines = (f"Customer lifetime value is not available this month: {clv.reason}.",)
    view = ClvView(
        enabled=clv.enabled,
        unavailable_reason="" if clv.forecast else clv.reason,
        horizon_months=params.horizon_months,
        discount_rate=params.monthly_discount_rate,
        history_months=clv.history_months,
        attempts=fit_rows(clv),
        chance=chance_view(clv),
        backtest=clv.backtest,
        backtests=tuple(b for b in clv.backtests if b.available),
        untested=tuple(f"{b.window_label} backtest not run: {b.reason}."
                       for b in clv.backtests if not b.available),
        forecast=forecast,
    )
    return Section(view, charts=charts, headlines=headlines)


def forecast_view(clv: ClvResult, forecast: ClvForecast, rfm_customers: pl.DataFrame,
                  chances: pl.DataFrame | None, inputs: SectionInputs
                  ) -> tuple[ForecastView, dict[str, Chart], str]:
    """The forecast's part of the page, its charts and the chapter's headline."""
    params = inputs.config.clv
    model, spend = clv.model, forecast.spend
    assert model is not None
    customers = forecast.customers.join(
        rfm_customers.select("customer_id", "segment", "recency_days",
                             pl.col("frequency").alias("orders"), "monetary"),
        on="customer_id", how="left",
    )
    risky = forecast.high_value_at_risk
    if chances is not None:
        customers = customers.join(chances, on="customer_id", how="left", maintain_order="left")
        risky = risky.join(chances, on="customer_id", how="left", maintain_order="left")
    groups = tuple(ClvGroupRow(**row, clv_range=forecast.group_intervals.get(row["group"]))
                   for row in forecast.group_profiles.select(
        pl.col("clv_group").alias("group"), "customers", "share", "clv_total", "clv_share",
        "clv_mean", "p_alive_mean", "expected_purchases_12w_mean", "recency_mean", "orders_mean",
        "monetary_mean").to_dicts())
    charts = {"clv_distribution": Chart("", "", clv_distribution_chart(
        clv_bands(customers, inputs.symbol), inputs.symbol))}
    if clv.p_alive_estimated:
        charts["p_alive"] = Chart("", "", probability_chart(
            customers.group_by("segment").agg(pl.col("p_alive").mean()), "p_alive",
            "Mean P(alive)"))
    if clv.backtest.available and clv.backtest.tracking is not None:
        charts["backtest"] = Chart("", "", backtest_chart(clv.backtest.tracking,
                                                          clv.backtest.model_label))
    months = month_rows(forecast)
    if months:
        charts["monthly_value"] = Chart("", "", monthly_value_chart(
            pl.DataFrame([{"label": m.label, "value": m.value} for m in months]),
            inputs.symbol))
    view = ForecastView(
        model_label=model.label,
        plain_method=plain_method(clv, forecast),
        model_reason=clv.reason,
        model_params=tuple((name, value, (forecast.param_intervals or {}).get(name))
                           for name, value in model.params.items()),
        p_alive_estimated=clv.p_alive_estimated,
        p_alive_refused=clv.p_alive_refused,
        spend_method=spend.method,
        spend_params=tuple(spend.params.items()),
        spend_correlation=spend.frequency_spend_correlation,
        spend_note=forecast.spend_note,
        warnings=spend.warnings,
        customers=customers.height,
        total_clv=forecast.total_clv,
        clv_interval=forecast.clv_interval,
        coverage=clv.value_coverage,
        purchases_12w=forecast.purchases_12w,
        purchases_12w_interval=forecast.purchases_12w_interval,
        group_a_share=forecast.group_a_share,
        groups=groups,
        top_customers=customer_rows(customers.sort(["clv", "customer_id"],
                                                   descending=[True, False]),
                                    params.top_customers),
        at_risk=customer_rows(risky, AT_RISK_ROWS),
        at_risk_count=risky.height,
        at_risk_clv=forecast.at_risk_clv,
        season_blind=not forecast.season.available,
        season_reason=forecast.season.reason[:1].upper() + forecast.season.reason[1:],
        grade=grade_view(forecast.grade),
        months=months,
        trust=trust_paragraph(clv, forecast),
        challenger=challenger_sentence(clv, forecast),
        states=state_rows(customers, forecast.state_factors),
        state_error=forecast.state_error,
        lapsing=lapsing_rows(customers, [*params.at_risk_segments, "hibernating"],
                             forecast.segment_intervals),
    )
    currency = inputs.config.currency
    interval = (f" (90 % range {money(forecast.clv_interval[0], currency)} – "
                f"{money(forecast.clv_interval[1], currency)})" if forecast.clv_interval else "")
    grade = f", forecast grade {forecast.grade.letter}" if forecast.grade else ", not graded"
    headline = (
        f"Customers are expected to spend {money(forecast.total_clv, currency)}{interval} over "
        f"the next {params.horizon_months} months{grade}"
        f"{' (season-blind)' if not forecast.season.available else ''}; the top quarter (CLV "
        f"group A) holds {pct(forecast.group_a_share)} of it, and {risky.height:,} of those "
        f"customers are slipping, with {money(forecast.at_risk_clv, currency)} at stake."
    )
    return view, charts, headline


def state_rows(customers: pl.DataFrame, factors: dict[str, float]) -> tuple[StateRow, ...]:
    """Each state the customers are in, with its correction, in the states' order."""
    counts = dict(customers.group_by("state").len().iter_rows())
    return tuple(StateRow(label, counts[state], factors.get(state, 1.0))
                 for state, label in STATE_LABELS.items() if state in counts)


def lapsing_rows(customers: pl.DataFrame, segments: list[str],
                 ranges: dict[str, tuple[float, float]]) -> tuple[LapsingRow, ...]:
    """The slipping segments' CLV against their last 12 months' spend and their measured chance
    of buying within 90 days."""
    chance = (pl.col("p_buy_90d").mean() if "p_buy_90d" in customers.columns
              else pl.lit(None, pl.Float64))
    table = (customers.filter(pl.col("segment").is_in(segments))
             .group_by("segment")
             .agg(pl.len().alias("customers"), pl.col("clv").sum(), pl.col("spend_12m").sum(),
                  chance.alias("p_buy_90d"))
             .sort("clv", descending=True))
    return tuple(LapsingRow(segment_label(row["segment"]), row["customers"], row["clv"],
                            row["spend_12m"], row["p_buy_90d"], ranges.get(row["segment"]))
                 for row in table.iter_rows(named=True))


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
        season_checked_on=chance.season_cutoff,
        season_calibration_error=chance.season_calibration_error,
        season_note=chance.season_note,
        calibration=tuple(CalibrationRow(**row) for row in chance.calibration.to_dicts()),
        twelve_months=clv.buying_again.chance_12m is not None,
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


def month_rows(forecast: ClvForecast) -> tuple[MonthRow, ...]:
    """The coming months, each labelled by the calendar month of its middle."""
    return tuple(
        MonthRow(label=f"{row['first_day'] + timedelta(days=15):%b %Y}",
                 purchases=row["purchases"], value=row["value"],
                 value_factor=row["value_factor"])
        for row in forecast.monthly.iter_rows(named=True))


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
