"""The segments page: shares of customers and revenue, the R x F grid, profiles, migration."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.segments.charts import rfm_grid_chart, segment_share_chart
from reportgen.chapters.segments.migration import NEW, MigrationResult
from reportgen.chapters.segments.rfm import RecencyScoring, cycle_band
from reportgen.config import SegmentRule, UnitConfig
from reportgen.display.charts import Chart
from reportgen.display.formatting import MISSING, money, number, pct, segment_label
from reportgen.period import Period
from reportgen.segment_catalogue import segment_description


def segment_cutoffs(name: str, rules: list[SegmentRule], ranges: pl.DataFrame,
                    customers: pl.DataFrame | None = None,
                    scoring: RecencyScoring = "days") -> str:
    """What a segment stands for this period, from its rules' scores and the scores' cut-offs:
    'last order 1–3 days ago, 2–32 orders' (or 'last order within 3 usual gaps, 2–32 orders'
    where recency is scored by cycles); 'no customer this month' when the segment of
    `customers` (a table with a segment column) is empty."""
    if customers is not None and customers.filter(pl.col("segment") == name).is_empty():
        return "no customer this month"
    r_scores = sorted({r for rule in rules if rule.name == name for r in rule.r})
    f_scores = sorted({f for rule in rules if rule.name == name for f in rule.f})
    recency = recency_range(ranges, r_scores, scoring)
    orders = value_range(ranges, "frequency", f_scores)
    if MISSING in (recency, orders):
        return "no customer this month"
    return f"last order {recency}, {orders} order{'' if orders == '1' else 's'}"


def recency_range(ranges: pl.DataFrame, scores: list[int], scoring: RecencyScoring) -> str:
    """When the customers of these recency scores last ordered: '1–3 days ago', or, scored by
    cycles, 'within 3 usual gaps' / '3–8 usual gaps ago' / 'over 8 usual gaps ago' (the
    customer's own usual gap between purchases); "–" when no customer has these scores."""
    if scoring == "days":
        days = value_range(ranges, "recency_days", scores)
        return days if days == MISSING else f"{days} day{'' if days == '1' else 's'} ago"
    if not scores or value_range(ranges, "recency_days", scores) == MISSING:
        return MISSING
    low, high = cycle_band(max(scores))[0], cycle_band(min(scores))[1]
    if math.isinf(high):
        return f"over {low:g} usual gaps ago"
    return f"within {high:g} usual gaps" if low == 0 else f"{low:g}–{high:g} usual gaps ago"


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
    cutoffs: str  # what its scores stand for now (`segment_cutoffs`)


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
    recency_note: str  # how recency is scored (`recency_scoring_note`)


def segments_section(result: SegmentsResult, inputs: SectionInputs) -> Section[SegmentsView]:
    """Segment rows, charts, migration and the segments' headlines."""
    scoring = result.current.recency_scoring
    segments = segment_rows(result.current.segment_profiles, result.score_ranges, inputs.config,
                            scoring)
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
                     score_rows(result.score_ranges, inputs.config.currency, scoring),
                     migration_view(result.migration, previous),
                     recency_scoring_note(scoring, result.current.usual_gap_days)),
        charts=charts,
        headlines=segment_headlines(result, segments, inputs.config, previous),
    )


def segment_rows(
    profiles: pl.DataFrame, ranges: pl.DataFrame, config: UnitConfig,
    scoring: RecencyScoring = "days",
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
            description=descriptions.get(name) or segment_description(name),
            customers=p["customers"], share=p["share"], recency_mean=p["recency_mean"],
            recency_median=p["recency_median"], frequency_mean=p["frequency_mean"],
            frequency_median=p["frequency_median"], monetary_mean=p["monetary_mean"],
            monetary_median=p["monetary_median"], revenue=p["revenue"],
            revenue_share=p["revenue_share"],
            cutoffs=segment_cutoffs(name, config.rfm.segments, ranges, scoring=scoring),
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


def score_rows(ranges: pl.DataFrame, currency: str, scoring: RecencyScoring = "days"
               ) -> tuple[ScoreRow, ...]:
    """What each score stands for this period, best score first."""
    def spend(value: float) -> str:
        return money(value, currency)

    return tuple(
        ScoreRow(score, recency_range(ranges, [score], scoring),
                 value_range(ranges, "frequency", [score]),
                 value_range(ranges, "monetary", [score], spend))
        for score in range(5, 0, -1)
    )


def recency_scoring_note(scoring: RecencyScoring, usual_gap_days: int) -> str:
    """How recency is scored this month, for the scores table."""
    if scoring == "days":
        return ("Each customer scores 1 to 5 on recency, frequency and spend: 5 for the best "
                "fifth of customers, 1 for the lowest fifth.")
    return (f"Customers here usually buy every {usual_gap_days:,} day"
            f"{'' if usual_gap_days == 1 else 's'} or so, so recency is scored against each "
            "customer's own rhythm: their usual gap is the time from their first to their last "
            "purchase day, plus one of the unit's usual gaps, over their purchase days. A "
            "customer still buying at that rate stays silent for 3 usual gaps about 1 time in "
            "20 and for 5 about 1 time in 150: recency 5 is on their rhythm, 4 overdue, 3 late, "
            "2 lapsed, 1 long lapsed. Frequency and spend score 5 for the best fifth of "
            "customers, 1 for the lowest fifth.")


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
