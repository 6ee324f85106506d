"""The executive summary page: KPIs with their comparisons, revenue by month, caveats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.forecast.analysis import ForecastResult
from reportgen.chapters.forecast.section import next_month_line
from reportgen.chapters.movement.analysis import MovementResult
from reportgen.chapters.movement.section import bridge_drivers, what_stands_out, who_moved
from reportgen.chapters.summary.analysis import PeriodKpis, SummaryResult, kpi_change, kpi_value
from reportgen.chapters.summary.charts import revenue_trend_chart
from reportgen.chapters.summary.kpis import KPIS
from reportgen.display.charts import Chart
from reportgen.display.formatting import day, money, pct
from reportgen.playbook.evaluate import Recommendation


@dataclass(frozen=True)
class Comparison:
    """A KPI against another month: its value then, the relative change, and its tone."""

    label: str  # the other month, e.g. Oct 2011
    value: float | None  # None when that month has no data
    change: float | None
    tone: str  # good, bad or flat
    shown: bool  # False when the whole month has no data (said once, in the notices)
    note: str = ""  # why this KPI has no comparison although the month has data


@dataclass(frozen=True)
class SummaryView:
    """What the executive summary shows besides the report-wide headlines."""

    kpis: tuple[KpiRow, ...]
    compared_with: tuple[str, ...]  # the comparison months that have data, e.g. October 2011
    notices: tuple[str, ...]  # caveats, and each comparison month without data, once
    anonymous_revenue_share: float | None  # revenue of orders without a customer id
    story: tuple[StoryLine, ...]  # the month in five lines, the email's first lines too


@dataclass(frozen=True)
class StoryLine:
    """One line of the month's story: what it answers, and the answer."""

    topic: str
    text: str


@dataclass(frozen=True)
class KpiRow:
    """A headline figure with its comparisons; kind tells the template how to format it."""

    label: str
    kind: Literal["money", "count", "share"]
    value: float | None
    vs_previous: Comparison
    vs_year_ago: Comparison
    in_email: bool  # the email shows it (`KpiSpec.in_email`)




def summary_section(result: SummaryResult, inputs: SectionInputs) -> Section[SummaryView]:
    """KPI rows, the revenue chart and the summary's own headlines."""
    shown = result.months.filter(~pl.col("before_data"))
    chart = Chart("Revenue by month",
                  f"The last {shown.height} months; {inputs.period.label} highlighted.",
                  revenue_trend_chart(shown, inputs.symbol))
    return Section(
        SummaryView(kpi_rows(result),
                    tuple(other.period.label for other in (result.previous, result.year_ago)
                          if other.has_orders),
                    (*result.notices, *comparison_notices(result)),
                    result.kpis.anonymous_revenue_share,
                    story(result, inputs)),
        charts={"revenue_trend": chart},
        headlines=summary_headlines(result, inputs.config.currency),
    )


def story(result: SummaryResult, inputs: SectionInputs) -> tuple[StoryLine, ...]:
    """The month in five lines: what happened and why, who moved, what stands out, what to do
    first, what next month should bring. Lines whose chapter did not run are left out."""
    currency = inputs.config.currency
    movement = inputs.results.get("movement", MovementResult)
    happened = revenue_line(result, currency)
    lines = [StoryLine("What happened", happened)]
    if movement is not None:
        drivers = bridge_drivers(movement.bridge, movement.anomalies, currency)
        lines = [StoryLine("What happened", f"{happened} {drivers}".strip()),
                  StoryLine("Who moved", who_moved(movement, currency)),
                  StoryLine("What stands out", what_stands_out(movement.anomalies, currency))]
    lines.append(StoryLine("What to do first", first_action(
        inputs.playbook.recommendations, currency, len(inputs.playbook.not_worth_it))))
    forecast = inputs.results.get("forecast", ForecastResult)
    if forecast is not None:
        target = inputs.config.targets.for_month("revenue", str(inputs.period.shift(1)))
        lines.append(StoryLine("Next month", next_month_line(forecast, target, currency)))
    return tuple(lines)


def first_action(recommendations: Sequence[Recommendation], currency: str,
                 not_worth_it: int = 0) -> str:
    """The action to take first, with its audience and value, in one sentence (or why there
    is none: no play fired, or none of the `not_worth_it` plays that fired pays)."""
    if not recommendations and not_worth_it:
        plays = "play that fired does" if not_worth_it == 1 else \
            f"{not_worth_it} plays that fired do"
        return (f"No action this month: the {plays} not pay at this unit's margin and costs "
                "(see Recommendations, Not worth it at these costs).")
    if not recommendations:
        return "No action of the playbook was triggered this month."
    first = recommendations[0]
    gain = (f", expected to add {money(first.expected_incremental_value, currency)}: "
            f"{first.value_basis}" if first.expected_incremental_value is not None else "")
    profit = first.expected_incremental_profit
    earns = (f"; {money(profit, currency)} of profit after {money(first.cost, currency)} of "
             "costs" if profit is not None else "")
    return f"{first.title} ({first.audience_size:,} customers{gain}{earns})."


def revenue_line(result: SummaryResult, currency: str) -> str:
    """The month's revenue against the previous month and the same month a year earlier (or
    why not)."""
    kpis = result.kpis
    parts = []
    for change, other in ((result.revenue_change, result.previous),
                          (result.revenue_change_year, result.year_ago)):
        if change is not None:
            parts.append(change_on(change, other))
        elif other.before_data:
            parts.append(f"no {other.period.label} to compare with (the data start on "
                         f"{day(result.data_first_day)})")
        else:
            parts.append(f"no purchases in {other.period.label} to compare with")
    return f"Revenue of {money(kpis.revenue, currency)} in {kpis.period.label}: {'; '.join(parts)}."


def comparison_notices(result: SummaryResult) -> tuple[str, ...]:
    """Caveats of the comparisons the KPIs cannot show (a month before the data start is said
    once, in the verdict)."""
    lines = []
    for other in (result.previous, result.year_ago):
        if not other.has_orders and not other.before_data:
            lines.append(f"No comparison with {other.period.label}: it has no purchases.")
    if result.kpis.data_starts:
        lines.append(f"The data start in {result.kpis.period.label}: every customer who bought "
                     "looks new, so new and returning customers are not counted.")
    return tuple(lines)


def kpi_rows(result: SummaryResult) -> tuple[KpiRow, ...]:
    """The KPI rows, with comparisons left empty when that month has no data."""
    def comparison(other: PeriodKpis, attr: str, higher_is_better: bool) -> Comparison:
        change = kpi_change(result.kpis, other, attr)
        note = "data start" if other.data_starts and getattr(other, attr) is None else ""
        return Comparison(other.period.short_label, kpi_value(other, attr), change,
                          tone(change, higher_is_better), other.has_orders, note)

    return tuple(
        KpiRow(kpi.label, kpi.kind, kpi_value(result.kpis, kpi.key),
               comparison(result.previous, kpi.key, kpi.higher_is_better),
               comparison(result.year_ago, kpi.key, kpi.higher_is_better), kpi.in_email)
        for kpi in KPIS if result.has_returns or not kpi.needs_returns
    )


def tone(change: float | None, higher_is_better: bool) -> str:
    """CSS tone of a change: good, bad or flat."""
    if change is None or abs(change) < 0.005:
        return "flat"
    return "good" if (change > 0) == higher_is_better else "bad"


def summary_headlines(result: SummaryResult, currency: str) -> tuple[str, ...]:
    """The month's revenue against its comparisons, and who bought."""
    kpis = result.kpis
    comparisons = []
    for change, other in ((result.revenue_change, result.previous),
                          (result.revenue_change_year, result.year_ago)):
        if change is not None:
            comparisons.append(change_on(change, other))
    tail = f", {' and '.join(comparisons)}" if comparisons else ""
    who = (f"{kpis.new_customers:,} of them for the first time" if kpis.new_customers is not None
           else "the data start this month, so new and returning cannot be told apart")
    return (
        f"Revenue was {money(kpis.revenue, currency)} from {kpis.orders:,} orders{tail}.",
        f"{kpis.active_customers:,} identified customers bought in {kpis.period.label}; {who}.",
    )


def change_on(change: float, other: PeriodKpis) -> str:
    """A relative change against another month in words: "up 43.4% on October 2011"."""
    return f"{'up' if change >= 0 else 'down'} {pct(abs(change))} on {other.period.label}"
