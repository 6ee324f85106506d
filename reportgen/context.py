"""The one typed context every template reads, built in exactly one place from the analyses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import polars as pl

from reportgen.analyses.clusters import ClusterResult
from reportgen.analyses.clv import ClvResult
from reportgen.analyses.kpis import PeriodKpis
from reportgen.analyses.migration import NEW, MigrationResult
from reportgen.analyses.recommendations import Recommendation
from reportgen.analyses.rfm import RfmResult
from reportgen.behaviour_section import BehaviourSection
from reportgen.charts import ChartSpec, revenue_trend_chart, rfm_grid_chart, segment_share_chart
from reportgen.clean import CleanTransactions, LedgerEntry
from reportgen.cluster_section import ClusterSection, build_cluster_section
from reportgen.clv_section import ClvSection, build_clv_section
from reportgen.config import UnitConfig
from reportgen.formatting import CURRENCY_SYMBOLS, day, money, pct, segment_label
from reportgen.load import TransactionInput
from reportgen.period import Period

SEGMENT_DESCRIPTIONS = {
    "champions": "Bought very recently and most often: the best customers.",
    "loyal_customers": "Order often and not long ago; the backbone of repeat revenue.",
    "potential_loyalists": "Recent buyers with a few orders who could become loyal.",
    "new_customers": "First and only order very recently.",
    "promising": "Fairly recent single-order buyers.",
    "need_attention": "Middling recency and frequency; slipping without a nudge.",
    "about_to_sleep": "Few orders and fading recency.",
    "at_risk": "Used to order regularly, but not for a long time.",
    "cant_lose": "Among the most frequent buyers ever, now gone quiet.",
    "hibernating": "Few orders, the last one long ago.",
}


@dataclass(frozen=True)
class KpiRow:
    """A headline figure with its comparisons; kind tells the template how to format it."""

    label: str
    kind: Literal["money", "count"]
    value: float | None
    previous: float | None
    year_ago: float | None
    higher_is_better: bool = True

    @property
    def change_vs_previous(self) -> float | None:
        """Relative change against the previous month."""
        return _relative_change(self.value, self.previous)

    @property
    def change_vs_year_ago(self) -> float | None:
        """Relative change against the same month a year earlier."""
        return _relative_change(self.value, self.year_ago)

    @property
    def tone_vs_previous(self) -> str:
        """CSS tone of the change against the previous month: good, bad or flat."""
        return _tone(self.change_vs_previous, self.higher_is_better)

    @property
    def tone_vs_year_ago(self) -> str:
        """CSS tone of the change against the same month a year earlier."""
        return _tone(self.change_vs_year_ago, self.higher_is_better)


@dataclass(frozen=True)
class SegmentRow:
    """One RFM segment's profile."""

    name: str
    label: str
    description: str
    customers: int
    share: float
    recency_mean: float
    recency_median: float
    frequency_mean: float
    frequency_median: float
    monetary_mean: float
    monetary_median: float
    revenue: float
    revenue_share: float | None


@dataclass(frozen=True)
class RecommendationRow:
    """A fired recommendation as the report shows it."""

    priority: int
    id: str
    title: str
    evidence: str
    action: str
    audience_size: int
    value_at_stake: float
    value_basis: str


@dataclass(frozen=True)
class MigrationView:
    """Segment moves since the previous period."""

    previous_label: str
    stayed: int
    moved: int
    new: int
    flows: tuple[tuple[str, str, int], ...]
    segment_labels: tuple[str, ...]
    matrix: tuple[tuple[str, tuple[int, ...]], ...]


@dataclass(frozen=True)
class Chart:
    """A chart for the report: its Vega-Lite spec and the words around it."""

    title: str
    caption: str
    spec: ChartSpec


@dataclass(frozen=True)
class Section:
    """An entry of the table of contents."""

    anchor: str
    title: str


@dataclass(frozen=True)
class ReportContext:
    """Everything the report templates show, as plain values and small tables."""

    unit: str = field(metadata={"help": "Unit identifier"})
    title: str = field(metadata={"help": "Business unit name"})
    organisation: str = field(metadata={"help": "Organisation on the cover"})
    currency: str = field(metadata={"help": "ISO currency code of all amounts"})
    period: str = field(metadata={"help": "Period as YYYY-MM"})
    period_label: str = field(metadata={"help": "Period as 'November 2011'"})
    previous_label: str = field(metadata={"help": "Previous month, e.g. 'October 2011'"})
    year_ago_label: str = field(metadata={"help": "Same month a year earlier"})
    previous_short_label: str = field(metadata={"help": "Previous month, e.g. 'Oct 2011'"})
    year_ago_short_label: str = field(metadata={"help": "Same month a year earlier, short"})
    analysis_date: date = field(metadata={"help": "First day after the period"})
    data_first_day: date = field(metadata={"help": "First transaction date used"})
    data_last_day: date = field(metadata={"help": "Last transaction date used"})
    input_files: tuple[str, ...] = field(metadata={"help": "Names of the files read"})
    kpis: tuple[KpiRow, ...] = field(metadata={"help": "Headline KPIs of the period"})
    headlines: tuple[str, ...] = field(metadata={"help": "One-sentence findings"})
    notices: tuple[str, ...] = field(metadata={"help": "Caveats the reader must see first"})
    ledger: tuple[LedgerEntry, ...] = field(metadata={"help": "Data-quality ledger"})
    unreadable_examples: tuple[str, ...] = field(
        metadata={"help": "Where the first unreadable values are: file, row, column, value"}
    )
    rows_in: int = field(metadata={"help": "Rows read from the input"})
    purchase_lines: int = field(metadata={"help": "Purchase lines kept"})
    return_lines: int = field(metadata={"help": "Cancellation lines kept as returns"})
    customers_analysed: int = field(metadata={"help": "Identified customers with purchases"})
    segments: tuple[SegmentRow, ...] = field(metadata={"help": "RFM segment profiles"})
    clv: ClvSection = field(metadata={"help": "Customer lifetime value chapter"})
    behaviour: BehaviourSection = field(
        metadata={"help": "Trends, cohorts, behaviour, products, returns and countries"})
    clusters: ClusterSection = field(metadata={"help": "K-Means clusters chapter"})
    recommendations: tuple[RecommendationRow, ...] = field(
        metadata={"help": "Fired recommendations, highest value at stake first"})
    top_in_summary: int = field(metadata={"help": "Recommendations on the summary page"})
    migration: MigrationView = field(metadata={"help": "Segment migration"})
    charts: dict[str, Chart] = field(metadata={"help": "Charts by key"})
    sections: tuple[Section, ...] = field(metadata={"help": "Table of contents"})


def build_report_context(
    config: UnitConfig,
    period: Period,
    source: TransactionInput,
    clean: CleanTransactions,
    kpis: PeriodKpis,
    previous: PeriodKpis,
    year_ago: PeriodKpis,
    trend: pl.DataFrame,
    rfm: RfmResult,
    clv: ClvResult | None,
    behaviour: BehaviourSection,
    clusters: ClusterResult | None,
    migration: MigrationResult,
    recommendations: tuple[Recommendation, ...],
) -> ReportContext:
    """Assemble the report's context from the analyses' results."""
    kpi_rows = kpi_table(kpis, previous, year_ago)
    segments = segment_rows(rfm.segment_profiles, config)
    dates = clean.purchases["invoice_date"]
    charts = {
        "revenue_trend": Chart(
            "Revenue by month",
            f"The last {trend.height} months; {period.label} highlighted.",
            revenue_trend_chart(trend, CURRENCY_SYMBOLS.get(config.currency, f"{config.currency} ")),
        ),
    }
    clv_section = build_clv_section(clv, rfm.customers, config)
    cluster_section = build_cluster_section(clusters)
    if segments:
        charts["segment_share"] = Chart(
            "Share of customers and revenue by segment",
            "Revenue is each segment's purchases up to the analysis date.",
            segment_share_chart(rfm.segment_profiles),
        )
        charts["rfm_grid"] = Chart(
            "Customers by recency and frequency score",
            "Each cell counts customers with that pair of scores; colour shows the segment.",
            rfm_grid_chart(rfm.customers),
        )
    return ReportContext(
        unit=config.unit,
        title=config.title,
        organisation=config.report.organisation,
        currency=config.currency,
        period=str(period),
        period_label=period.label,
        previous_label=previous.period.label,
        year_ago_label=year_ago.period.label,
        previous_short_label=previous.period.short_label,
        year_ago_short_label=year_ago.period.short_label,
        analysis_date=period.analysis_date.date(),
        data_first_day=dates.min().date(),  # type: ignore[union-attr]
        data_last_day=dates.max().date(),  # type: ignore[union-attr]
        input_files=tuple(Path(f.path).name for f in source.files),
        kpis=kpi_rows,
        headlines=headlines(config, kpis, previous, year_ago, segments, clv_section, migration),
        notices=notices(period, source, clean),
        ledger=clean.ledger,
        unreadable_examples=tuple(
            f"{Path(m.file).name}, row {m.row:,}: {m.column} '{m.value}'"
            for m in source.malformed_examples
        ),
        rows_in=clean.rows_in,
        purchase_lines=clean.purchases.height,
        return_lines=clean.returns.height,
        customers_analysed=rfm.customers.height,
        segments=segments,
        clv=clv_section,
        behaviour=behaviour,
        clusters=cluster_section,
        recommendations=tuple(
            RecommendationRow(r.priority, r.id, r.title, r.evidence, r.action, r.audience_size,
                              r.value_at_stake, r.value_basis)
            for r in recommendations),
        top_in_summary=config.playbook.top_in_summary,
        migration=migration_view(migration, previous.period),
        charts={**charts, **{
            key: Chart("", "", spec)
            for key, spec in {**clv_section.charts, **behaviour.charts,
                              **cluster_section.charts}.items()
        }},
        sections=(
            Section("summary", "Executive summary"),
            Section("recommendations", "Recommendations"),
            Section("segments", "Customer segments (RFM)"),
            Section("clv", "Customer lifetime value"),
            *([Section("clusters", "Customer clusters")] if cluster_section.available else []),
            Section("trends", "Trends and cohorts"),
            Section("behaviour", "When customers buy"),
            Section("products", "Products and returns"),
            *([Section("countries", "Countries")] if behaviour.multi_country else []),
            Section("data-quality", "Data quality"),
            Section("method", "Method and definitions"),
        ),
    )


def kpi_table(kpis: PeriodKpis, previous: PeriodKpis, year_ago: PeriodKpis) -> tuple[KpiRow, ...]:
    """The KPI rows, with comparisons left empty when that month has no data."""
    def row(
        label: str, kind: Literal["money", "count"], attr: str, higher_is_better: bool = True
    ) -> KpiRow:
        def value(k: PeriodKpis) -> float | None:
            measured = getattr(k, attr)
            return float(measured) if k.has_orders and measured is not None else None

        return KpiRow(
            label, kind, value(kpis), value(previous), value(year_ago), higher_is_better
        )

    return (
        row("Revenue", "money", "revenue"),
        row("Orders", "count", "orders"),
        row("Active customers", "count", "active_customers"),
        row("New customers", "count", "new_customers"),
        row("Returning customers", "count", "returning_customers"),
        row("Average order value", "money", "average_order_value"),
        row("Returns and cancellations", "money", "returns_value", higher_is_better=False),
        row("Net revenue", "money", "net_revenue"),
    )


def segment_rows(profiles: pl.DataFrame, config: UnitConfig) -> tuple[SegmentRow, ...]:
    """Segment profiles as rows, largest segment first."""
    descriptions = {
        rule.name: rule.description or SEGMENT_DESCRIPTIONS.get(rule.name, "")
        for rule in config.rfm.segments
    }
    return tuple(
        SegmentRow(
            name=p["segment"],
            label=segment_label(p["segment"]),
            description=descriptions.get(p["segment"], ""),
            customers=p["customers"],
            share=p["share"],
            recency_mean=p["recency_mean"],
            recency_median=p["recency_median"],
            frequency_mean=p["frequency_mean"],
            frequency_median=p["frequency_median"],
            monetary_mean=p["monetary_mean"],
            monetary_median=p["monetary_median"],
            revenue=p["revenue"],
            revenue_share=p["revenue_share"],
        )
        for p in profiles.iter_rows(named=True)
    )


def headlines(
    config: UnitConfig,
    kpis: PeriodKpis,
    previous: PeriodKpis,
    year_ago: PeriodKpis,
    segments: tuple[SegmentRow, ...],
    clv: ClvSection,
    migration: MigrationResult,
) -> tuple[str, ...]:
    """One-sentence findings, each built from measured numbers."""
    currency = config.currency
    lines = []
    comparisons = []
    for other in (previous, year_ago):
        change = _relative_change(kpis.revenue, other.revenue if other.has_orders else None)
        if change is not None:
            direction = "up" if change >= 0 else "down"
            comparisons.append(f"{direction} {pct(abs(change))} on {other.period.label}")
    tail = f", {' and '.join(comparisons)}" if comparisons else ""
    lines.append(
        f"Revenue was {money(kpis.revenue, currency)} from {kpis.orders:,} orders{tail}."
    )
    lines.append(
        f"{kpis.active_customers:,} identified customers bought in {kpis.period.label}; "
        f"{kpis.new_customers:,} of them for the first time."
    )
    ranked = sorted(
        (s for s in segments if s.revenue_share is not None),
        key=lambda s: s.revenue_share or 0.0, reverse=True,
    )[: config.report.top_segments_in_summary]
    if ranked:
        top = ranked[0]
        lines.append(
            f"{top.label} are {pct(top.share)} of customers and bring "
            f"{pct(top.revenue_share)} of all revenue to date."
        )
    lapsing = [s for s in segments if s.name in ("at_risk", "cant_lose")]
    if lapsing:
        count = sum(s.customers for s in lapsing)
        revenue = sum(s.revenue for s in lapsing)
        lines.append(
            f"{count:,} once-regular customers (at risk or can't lose) have gone quiet; "
            f"they spent {money(revenue, currency)} to date."
        )
    if migration.flows.height:
        move = migration.flows.row(0, named=True)
        lines.append(
            f"The largest segment move since {previous.period.label}: {move['customers']:,} "
            f"{segment_label(move['from_segment']).lower()} became "
            f"{segment_label(move['to_segment']).lower()}."
        )
    if clv.available:
        lines.append(
            f"Customers are expected to spend {money(clv.total_clv, currency)} over the next "
            f"{clv.horizon_months} months; the top quarter (CLV group A) holds "
            f"{pct(clv.group_a_share)} of it, and {clv.at_risk_count:,} of those customers are "
            f"slipping, with {money(clv.at_risk_clv, currency)} at stake."
        )
    elif clv.enabled:
        lines.append(f"Customer lifetime value is not available this month: "
                     f"{clv.unavailable_reason}.")
    return tuple(lines)


def notices(
    period: Period, source: TransactionInput, clean: CleanTransactions
) -> tuple[str, ...]:
    """Caveats that change how the report must be read."""
    found = []
    last_line = source.transactions["invoice_date"].max()
    if isinstance(last_line, datetime) and last_line.date() < period.last_day:
        found.append(
            f"The data ends on {day(last_line)}, before the end of {period.label}: "
            "the month's figures are partial."
        )
    if clean.purchases["customer_id"].drop_nulls().is_empty():
        found.append(
            "No purchase line has a customer id, so there are no customer segments; "
            "check source.columns.customer_id."
        )
    return tuple(found)


def migration_view(migration: MigrationResult, previous: Period) -> MigrationView:
    """The migration matrix with previous segments as rows and current ones as columns."""
    matrix = migration.matrix
    to_segments = sorted(matrix["to_segment"].unique().to_list())
    rows = []
    for source in sorted(matrix["from_segment"].unique().to_list()):
        counts = dict(matrix.filter(pl.col("from_segment") == source)
                      .select("to_segment", "customers").rows())
        label = "New this month" if source == NEW else segment_label(source)
        rows.append((label, tuple(int(counts.get(t, 0)) for t in to_segments)))
    return MigrationView(
        previous_label=previous.label,
        stayed=migration.stayed, moved=migration.moved, new=migration.new,
        flows=tuple((segment_label(f), segment_label(t), n)
                    for f, t, n in migration.flows.head(5).rows()),
        segment_labels=tuple(segment_label(t) for t in to_segments),
        matrix=tuple(rows),
    )


def _tone(change: float | None, higher_is_better: bool) -> str:
    if change is None or abs(change) < 0.005:
        return "flat"
    return "good" if (change > 0) == higher_is_better else "bad"


def _relative_change(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0:
        return None
    return (value - base) / abs(base)
