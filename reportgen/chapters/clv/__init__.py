"""Customer lifetime value: a purchase model (BG/NBD and relatives, fitted robustly) times a
spend model (Gamma-Gamma), discounted over the horizon; CLV groups, high-value customers at
risk, and a backtest that says how far to trust the forecast."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.clv.analysis import (
    CUSTOMER_COLUMNS,
    BuyingAgain,
    ClvResult,
    clv_analysis,
    history_censored,
    switched_off,
)
from reportgen.chapters.clv.facts import FACT_SPECS
from reportgen.chapters.clv.manifest import clv_manifest
from reportgen.chapters.clv.section import ClvView, clv_section
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.models.clv.repurchase import repurchase_chance
from reportgen.models.frames import habit_shares
from reportgen.playbook.facts import FactValue


class ClvChapter(Chapter[ClvResult], key="clv", title="Customer lifetime value",
                 needs=("segments",), facts=FACT_SPECS):
    """Customer lifetime value."""

    has_detail = True  # the models, the backtests, the tables behind the forecast

    customer_position = 4
    money_columns = ("clv", "expected_avg_value")

    def compute(self, inputs: AnalysisInputs) -> ClvResult:
        """CLV of every customer who bought by the period's last day (or why it is missing),
        and every customer's model-free chance of buying within 90 days and 12 months."""
        params = inputs.config.clv
        orders, analysis_date = inputs.clean.orders, inputs.period.analysis_date
        censored = history_censored(orders)
        if not params.enabled:
            return switched_off(inputs.period.last_day, params, BuyingAgain(censored=censored))
        buying_again = BuyingAgain(chance_90d=repurchase_chance(orders, analysis_date, 90),
                                   chance_12m=repurchase_chance(orders, analysis_date, 365),
                                   censored=censored)
        segments = inputs.results.of("segments", SegmentsResult)
        returns, rfm = inputs.clean.return_orders, inputs.config.rfm

        def segments_at(cutoff: date) -> pl.DataFrame:
            """The segments a report at the end of `cutoff` would have named."""
            analysis = datetime.combine(cutoff + timedelta(days=1), datetime.min.time())
            return rfm_analysis(orders, returns, analysis, rfm).customers

        months, evening = inputs.clean.customer_months, inputs.config.behaviour.evening_starts_hour

        def habits_at(cutoff: date) -> pl.DataFrame:
            """Each customer's return share over the year to `cutoff`, and the shares of their
            orders placed at weekends and in the evening, as known then (the challenger's)."""
            end = datetime.combine(cutoff + timedelta(days=1), datetime.min.time())
            returned = (months.filter(pl.col("month").is_between(end - timedelta(days=365), end,
                                                                 closed="left"))
                        .group_by("customer_id").agg(
                (pl.col("returned").sum() / pl.col("ordered").sum())
                .clip(0.0, 1.0).alias("return_share")))
            habits = (orders.filter(pl.col("customer_id").is_not_null()
                                    & (pl.col("invoice_date") < end))
                      .group_by("customer_id").agg(*habit_shares(pl.col("invoice_date"), evening)))
            return habits.join(returned, on="customer_id", how="left").sort("customer_id")

        return clv_analysis(orders, segments.customers, inputs.period.last_day, params,
                            buying_again, segments_at, habits_at)

    def facts(self, result: ClvResult) -> dict[str, FactValue]:
        """Total CLV, group A's share, the high-value customers at risk, when available."""
        return super().facts(result) if result.available else {}

    def customer_columns(self, result: ClvResult) -> pl.DataFrame | None:
        """P(alive), expected purchases, expected value, CLV and group when CLV is available;
        the chances of buying again where they are estimated; history_censored always."""
        known = result.buying_again
        forecast = result.forecast
        frames = [frame for frame in (
            forecast.customers.select("customer_id", *CUSTOMER_COLUMNS) if forecast else None,
            known.chance_columns(), known.censored) if frame is not None]
        if not frames:
            return None
        table = frames[0]
        for frame in frames[1:]:
            table = table.join(frame, on="customer_id", how="left")
        return table

    def exports(self, result: ClvResult) -> dict[str, pl.DataFrame]:
        """The high-value customers at risk, when CLV is available."""
        forecast = result.forecast
        return {"high_value_at_risk.csv": forecast.high_value_at_risk} if forecast else {}

    def section(self, result: ClvResult, inputs: SectionInputs) -> Section[ClvView]:
        """The CLV page, or its explanation of why CLV is missing."""
        return clv_section(result, inputs)

    def manifest(self, result: ClvResult) -> dict[str, Any]:
        """Models, checks and the backtest."""
        return {"clv": clv_manifest(result)}

    def missing(self, result: ClvResult) -> str | None:
        """Why CLV is not available, when the unit asked for it."""
        return f"CLV not available: {result.reason}" if result.enabled and not result.available \
            else None
