"""The segments page: shares of customers and revenue, the R x F grid, profiles, migration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.segments.charts import rfm_grid_chart, segment_share_chart
from reportgen.chapters.segments.migration import NEW, MigrationResult
from reportgen.config import SegmentRule, UnitConfig
from reportgen.period import Period
from reportgen.report.charts import Chart
from reportgen.report.formatting import MISSING, money, number, pct, segment_label

# What each built-in segment is, relative to this unit's other customers: the numbers it stands
# for this month (its score cut-offs) are written beside it (`segment_cutoffs`), never here.
SEGMENT_DESCRIPTIONS = {
    "champions": "The most recent buyers among those who order most often: the best customers.",
    "loyal_customers": "Among those who order most often, less recently than the champions; "
                       "the backbone of repeat revenue.",
    "potential_loyalists": "Recent buyers with a middling number of orders, who could become "
                           "loyal.",
    "new_customers": "The most recent buyers among those with the fewest orders. Not the same "
                     "as the month's new customers on the summary, who are everyone buying for "
                     "the first time.",
    "promising": "Fairly recent buyers with the fewest orders.",
    "need_attention": "Middling recency and number of orders; slipping without a nudge.",
    "about_to_sleep": "Fewer orders than most, and fading recency.",
    "at_risk": "Ordered more often than most, but not for a long time.",
    "cant_lose": "Among those who ordered most often, now gone quiet.",
    "hibernating": "Fewer orders than most, the last one long ago.",
}


def segment_cutoffs(name: str, rules: list[SegmentRule], ranges: pl.DataFrame,
                    customers: pl.DataFrame | None = None) -> str:
    """What a segment stands for this period, from its rules' scores and the scores' cut-offs:
    'last order 1–3 days ago, 2–32 orders'; 'no customer this month' when the segment of
    `customers` (a table with a segment column) is empty."""
    if customers is not None and customers.filter(pl.col("segment") == name).is_empty():
        return "no customer this month"
    r_scores = sorted({r for rule in rules if rule.name == name for r in rule.r})
    f_scores = sorted({f for rule in rules if rule.name == name for f in rule.f})
    recency = value_range(ranges, "recency_days", r_scores)
    orders = value_range(ranges, "frequency", f_scores)
    if MISSING in (recency, orders):
        return "no customer this month"
    return f"last order {recency} day{'' if recency == '1' else 's'} ago, {orders} " \
        f"order{'' if orders == '1' else 's'}"


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
    recency_range: str  # the days since the last order its R scores stand for, e.g. 61–180
    orders_range: str  # the orders its F scores stand for, e.g. 2–3


@dataclass(frozen=True)
class ScoreRow:
    """What one score stands for this period, in days, orders and spend."""

    score: int
    recency: str
    orders: str
    spend: str


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
class SegmentsView:
    """What the segments page shows."""

    customers: int
    segments: tuple[SegmentRow, ...]
    scores: tuple[ScoreRow, ...]
    migration: MigrationView


def segments_section(result: SegmentsResult, inputs: SectionInputs) -> Section[SegmentsView]:
    """Segment rows, charts, migration and the segments' headlines."""
    segments = segment_rows(result.current.segment_profiles, result.score_ranges, inputs.config)
    charts = {}
    if segments:
        charts["segment_share"] = Chart(
            "Share of customers and revenue by segment",
            "Revenue is each segment's purchases up to the analysis date.",
            segment_share_chart(result.current.segment_profiles),
        )
        charts["rfm_grid"] = Chart(
            "Customers by recency and frequency score",
            "Each cell counts customers with that pair of scores; colour shows the segment.",
            rfm_grid_chart(result.customers),
        )
    previous = inputs.period.shift(-1)
    return Section(
        SegmentsView(result.customers.height, segments,
                     score_rows(result.score_ranges, inputs.config.currency),
                     migration_view(result.migration, previous)),
        charts=charts,
        headlines=segment_headlines(result, segments, inputs.config, previous),
    )


def segment_rows(
    profiles: pl.DataFrame, ranges: pl.DataFrame, config: UnitConfig
) -> tuple[SegmentRow, ...]:
    """Segment profiles as rows, largest segment first, with what their rules mean now."""
    r_scores: dict[str, set[int]] = {}
    f_scores: dict[str, set[int]] = {}
    descriptions: dict[str, str] = {}
    for rule in config.rfm.segments:  # a segment may be named by several rules
        r_scores.setdefault(rule.name, set()).update(rule.r)
        f_scores.setdefault(rule.name, set()).update(rule.f)
        descriptions.setdefault(rule.name, rule.description)
    rows = []
    for p in profiles.iter_rows(named=True):
        name = p["segment"]
        rows.append(SegmentRow(
            name=name, label=segment_label(name),
            description=descriptions.get(name) or SEGMENT_DESCRIPTIONS.get(name, ""),
            customers=p["customers"], share=p["share"], recency_mean=p["recency_mean"],
            recency_median=p["recency_median"], frequency_mean=p["frequency_mean"],
            frequency_median=p["frequency_median"], monetary_mean=p["monetary_mean"],
            monetary_median=p["monetary_median"], revenue=p["revenue"],
            revenue_share=p["revenue_share"],
            recency_range=value_range(ranges, "recency_days", sorted(r_scores.get(name, ()))),
            orders_range=value_range(ranges, "frequency", sorted(f_scores.get(name, ()))),
        ))
    return tuple(rows)


def value_range(ranges: pl.DataFrame, measure: str, scores: list[int],
                shown: Callable[[float], str] = number) -> str:
    """The values the scores stand for, e.g. 61–180, or one value; "–" when none is present."""
    within = ranges.filter(pl.col("score").is_in(scores))
    low, high = within[f"{measure}_min"].min(), within[f"{measure}_max"].max()
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return MISSING
    return shown(low) if low == high else f"{shown(low)}–{shown(high)}"


def score_rows(ranges: pl.DataFrame, currency: str) -> tuple[ScoreRow, ...]:
    """What each score stands for this period, best score first."""
    def spend(value: float) -> str:
        return money(value, currency)

    return tuple(
        ScoreRow(score, value_range(ranges, "recency_days", [score]),
                 value_range(ranges, "frequency", [score]),
                 value_range(ranges, "monetary", [score], spend))
        for score in range(5, 0, -1)
    )


def segment_headlines(
    result: SegmentsResult, segments: tuple[SegmentRow, ...], config: UnitConfig,
    previous: Period,
) -> tuple[str, ...]:
    """The segment with the most revenue, the lapsing regulars, and the largest move."""
    lines = []
    ranked = sorted((s for s in segments if s.revenue_share is not None),
                    key=lambda s: s.revenue_share or 0.0, reverse=True)
    if ranked:
        top = ranked[0]
        lines.append(f"{top.label} are {pct(top.share)} of customers and bring "
                     f"{pct(top.revenue_share)} of all revenue to date.")
    present = {s.name for s in segments}
    if present & set(result.lapsing_segments):
        names = " or ".join(segment_label(s).lower() for s in result.lapsing_segments)
        lines.append(
            f"{result.lapsing_customers:,} customers who ordered more often than most ({names}) "
            "have gone quiet; "
            f"they spent {money(result.lapsing_spend, config.currency)} to date.")
    flows = result.migration.flows
    if flows.height:
        move = flows.row(0, named=True)
        lines.append(
            f"The largest segment move since {previous.label}: {move['customers']:,} "
            f"{segment_label(move['from_segment']).lower()} became "
            f"{segment_label(move['to_segment']).lower()}.")
    return tuple(lines)


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
