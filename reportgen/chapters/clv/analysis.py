"""Customer lifetime value: purchase model x spend model, discounted over the horizon.

CLV = sum over months m = 1..H of expected purchases in month m x expected value per purchase
/ (1 + monthly discount)^m, the calculation of lifetimes' customer_lifetime_value. A month is
4.345 weeks, as lifetimes counts it. CLV groups A-D are quartiles of CLV (A = top quarter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from reportgen.chapters.clv.backtest import Backtest, run_backtest, summary_arrays
from reportgen.chapters.clv.customer_summary import compressed_summary, customer_summary, purchase_days
from reportgen.chapters.clv.purchase_models import ModelFit, PurchaseModel, fit_purchase_model
from reportgen.chapters.clv.repurchase import RepurchaseChance
from reportgen.chapters.clv.spend_model import SpendModel, fit_spend_model
from reportgen.chapters.profiles import group_profiles, share_of, statistics
from reportgen.config import ClvConfig

DAYS_PER_MONTH = 4.345 * 7
MIN_CUSTOMERS = 20
MIN_REPEAT_PURCHASES = 10
CLV_GROUPS = ("A", "B", "C", "D")
CUSTOMER_COLUMNS = (
    "p_alive", "expected_purchases_1w", "expected_purchases_4w", "expected_purchases_12w",
    "expected_avg_value", "clv", "clv_group",
)


@dataclass(frozen=True)
class ClvResult:
    """Per-customer CLV and everything needed to judge it; `available` False says why not."""

    available: bool
    reason: str
    customers: pl.DataFrame
    fit: ModelFit | None
    spend: SpendModel | None
    backtest: Backtest
    group_profiles: pl.DataFrame
    high_value_at_risk: pl.DataFrame
    observation_end: date
    params: ClvConfig
    total_clv: float = 0.0  # expected value of all customers over the horizon
    group_a_share: float = 0.0  # share of it held by CLV group A
    at_risk_clv: float = 0.0  # expected value of the high-value customers at risk
    chance_90d: RepurchaseChance | None = None  # model-free chance of buying within 90 days
    chance_12m: RepurchaseChance | None = None  # the same within 12 months, with the history

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
        """Whether P(alive) was estimated (the model has dropout); else it is left empty."""
        return self.model is not None and self.model.estimates_dropout

    @property
    def warnings(self) -> tuple[str, ...]:
        """Checks the reader should know about."""
        return self.spend.warnings if self.spend else ()


def clv_analysis(
    purchases: pl.DataFrame, rfm_customers: pl.DataFrame, observation_end: date, params: ClvConfig
) -> ClvResult:
    """Fit, backtest and apply the CLV models to every customer who bought by observation_end."""
    backtest = run_backtest(purchases, observation_end, params)
    summary = customer_summary(purchases, observation_end, params.time_unit_days)
    if summary.height < MIN_CUSTOMERS or summary["frequency"].sum() < MIN_REPEAT_PURCHASES:
        reason = (
            f"{summary.height:,} identified customers with {summary['frequency'].sum():,} repeat "
            f"purchases between them; the models need at least {MIN_CUSTOMERS} customers and "
            f"{MIN_REPEAT_PURCHASES} repeat purchases"
        )
        return _unavailable(reason, observation_end, params, backtest)
    fit = _fit_for_report(summary, backtest, params)
    if fit.model is None:
        return _unavailable(fit.reason, observation_end, params, backtest, fit)
    data = summary_arrays(summary)
    monetary = summary["monetary_value"].to_numpy()
    day_values = purchase_days(purchases, None, observation_end)["value"]
    spend = fit_spend_model(
        data.frequency, monetary, float(day_values.mean() or 0.0),  # type: ignore[arg-type]
        list(params.spend_penalizers), params.max_spend_frequency_correlation,
    )
    model = fit.model
    weeks = 7 / params.time_unit_days
    expected_value = spend.expected_value(data.frequency, monetary)
    values = {
        "expected_purchases_1w": model.expected_purchases(weeks, data.frequency, data.recency,
                                                          data.T),
        "expected_purchases_4w": model.expected_purchases(4 * weeks, data.frequency,
                                                          data.recency, data.T),
        "expected_purchases_12w": model.expected_purchases(12 * weeks, data.frequency,
                                                           data.recency, data.T),
        "expected_avg_value": expected_value,
        "clv": lifetime_value(model, data.frequency, data.recency, data.T, expected_value,
                              params.horizon_months, params.monthly_discount_rate,
                              DAYS_PER_MONTH / params.time_unit_days),
    }
    broken = [name for name, v in values.items() if not np.all(np.isfinite(v))]
    if broken:
        reason = f"{model.label} gave non-finite values for {', '.join(broken)}"
        return _unavailable(reason, observation_end, params, backtest, fit, spend)
    p_alive = model.p_alive(data.frequency, data.recency, data.T)
    if model.estimates_dropout and not np.all(np.isfinite(p_alive)):
        return _unavailable(f"{model.label} gave non-finite values for p_alive",
                            observation_end, params, backtest, fit, spend)
    customers = summary.with_columns(
        # Empty where the model estimates no dropout: never a P(alive) that was not estimated.
        pl.Series("p_alive", p_alive).fill_nan(None).clip(0.0, 1.0),
        # Tiny negatives are floating-point noise of differences of cumulative expectations.
        *[pl.Series(name, np.clip(v, 0.0, None)) for name, v in values.items()],
    ).with_columns(clv_group_expr())
    profiles = clv_group_profiles(customers, rfm_customers)
    at_risk = high_value_at_risk(customers, rfm_customers, params.at_risk_segments)
    group_a = profiles.filter(pl.col("clv_group") == "A")["clv_share"]
    return ClvResult(
        available=True,
        reason=fit.reason,
        customers=customers,
        fit=fit,
        spend=spend,
        backtest=backtest,
        group_profiles=profiles,
        high_value_at_risk=at_risk,
        observation_end=observation_end,
        params=params,
        total_clv=float(customers["clv"].sum()),
        group_a_share=float(group_a[0]) if group_a.len() else 0.0,
        at_risk_clv=float(at_risk["clv"].sum()) if at_risk.height else 0.0,
    )


def switched_off(observation_end: date, params: ClvConfig) -> ClvResult:
    """The result of a unit that does not compute CLV (clv.enabled: false)."""
    return _unavailable("CLV is switched off for this unit (clv.enabled: false).",
                        observation_end, params,
                        Backtest(False, "CLV is switched off", observation_end, observation_end,
                                 params.backtest_weeks))


def lifetime_value(
    model: PurchaseModel,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    expected_value: np.ndarray,
    horizon_months: int,
    monthly_discount_rate: float,
    units_per_month: float,
) -> np.ndarray:
    """Discounted expected value of each customer's purchases over the next months."""
    total = np.zeros_like(np.asarray(T, dtype=float))
    previous = np.zeros_like(total)
    for month in range(1, horizon_months + 1):
        cumulative = model.expected_purchases(month * units_per_month, frequency, recency, T)
        total += expected_value * (cumulative - previous) / (1 + monthly_discount_rate) ** month
        previous = cumulative
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


def _fit_for_report(summary: pl.DataFrame, backtest: Backtest, params: ClvConfig) -> ModelFit:
    """Fit on the full history: the ladder, or the backtest's winner when selecting by holdout."""
    data = summary_arrays(compressed_summary(summary))
    models: list[str] = list(params.models)
    allow_no_dropout = params.allow_no_dropout_model
    if params.select_by == "holdout" and backtest.available:
        winner = backtest.model_name
        models = [winner] if winner != "nbd" else []
        allow_no_dropout = winner == "nbd" or params.allow_no_dropout_model
    fit = fit_purchase_model(data, models, list(params.penalizers), params.min_dropout_evidence,
                             allow_no_dropout)
    if params.select_by == "holdout" and backtest.available and fit.model is not None:
        return ModelFit(fit.model, fit.attempts,
                        f"{fit.model.label} chosen by the backtest, with the "
                        f"{backtest.fit_reason}.", fit.nbd_log_likelihood)
    return fit


def _unavailable(reason: str, observation_end: date, params: ClvConfig, backtest: Backtest,
                 fit: ModelFit | None = None, spend: SpendModel | None = None) -> ClvResult:
    nothing = pl.DataFrame()
    return ClvResult(available=False, reason=reason, customers=nothing, fit=fit, spend=spend,
                     backtest=backtest, group_profiles=nothing, high_value_at_risk=nothing,
                     observation_end=observation_end, params=params)
