"""The executive summary page: KPIs with their comparisons, revenue by month, caveats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.summary.analysis import PeriodKpis, SummaryResult, kpi_change, kpi_value
from reportgen.chapters.summary.charts import revenue_trend_chart
from reportgen.report.charts import Chart
from reportgen.report.formatting import money, pct


@dataclass(frozen=True)
class Comparison:
    """A KPI against another month: its value then, the relative change, and its tone."""

    label: str  # the other month, e.g. Oct 2011
    value: float | None  # None when that month has no data
    change: float | None
    tone: str  # good, bad or flat


@dataclass(frozen=True)
class SummaryView:
    """What the executive summary shows besides the report-wide headlines."""

    kpis: tuple[KpiRow, ...]
    notices: tuple[str, ...]


@dataclass(frozen=True)
class KpiRow:
    """A headline figure with its comparisons; kind tells the template how to format it."""

    label: str
    kind: Literal["money", "count"]
    value: float | None
    vs_previous: Comparison
    vs_year_ago: Comparison


KPI_ROWS: tuple[tuple[str, Literal["money", "count"], str, bool], ...] = (
    ("Revenue", "money", "revenue", True),
    ("Orders", "count", "orders", True),
    ("Active customers", "count", "active_customers", True),
    ("New customers", "count", "new_customers", True),
    ("Returning customers", "count", "returning_customers", True),
    ("Average order value", "money", "average_order_value", True),
    ("Returns and cancellations", "money", "returns_value", False),
    ("Net revenue", "money", "net_revenue", True),
)


def summary_section(result: SummaryResult, inputs: SectionInputs) -> Section[SummaryView]:
    """KPI rows, the revenue chart and the summary's own headlines."""
    chart = Chart("Revenue by month",
                  f"The last {result.months.height} months; {inputs.period.label} highlighted.",
                  revenue_trend_chart(result.months, inputs.symbol))
    return Section(
        SummaryView(kpi_rows(result), result.notices),
        charts={"revenue_trend": chart},
        headlines=summary_headlines(result, inputs.config.currency),
    )


def kpi_rows(result: SummaryResult) -> tuple[KpiRow, ...]:
    """The KPI rows, with comparisons left empty when that month has no data."""
    def comparison(other: PeriodKpis, attr: str, higher_is_better: bool) -> Comparison:
        change = kpi_change(result.kpis, other, attr)
        return Comparison(other.period.short_label, kpi_value(other, attr), change,
                          tone(change, higher_is_better))

    return tuple(
        KpiRow(label, kind, kpi_value(result.kpis, attr),
               comparison(result.previous, attr, higher_is_better),
               comparison(result.year_ago, attr, higher_is_better))
        for label, kind, attr, higher_is_better in KPI_ROWS
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
            direction = "up" if change >= 0 else "down"
            comparisons.append(f"{direction} {pct(abs(change))} on {other.period.label}")
    tail = f", {' and '.join(comparisons)}" if comparisons else ""
    return (
        f"Revenue was {money(kpis.revenue, currency)} from {kpis.orders:,} orders{tail}.",
        f"{kpis.active_customers:,} identified customers bought in {kpis.period.label}; "
        f"{kpis.new_customers:,} of them for the first time.",
    )
