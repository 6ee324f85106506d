"""Evaluate the playbook against this period's facts and customers.

An entry fires when every clause of its trigger holds and its audience is not empty. Its
evidence and action are filled from the facts; a placeholder without a value stops the entry
from rendering (it is reported as not fired, with the reason), so no text ever shows a blank
or "None". Fired recommendations are ranked by value at stake.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reportgen.config import AudienceFilter, PlaybookEntry, UnitConfig
from reportgen.playbook.entries import FORMATS, OPERATORS, PLACEHOLDER, trigger_clauses
from reportgen.playbook.facts import FactSpec, FactValue, fact_spec, format_fact
from reportgen.report.formatting import money, number

VALUE_BASIS = {"clv": "CLV over the horizon", "revenue_12m": "revenue of the last 12 months",
               "spend_to_date": "spend to date"}


@dataclass(frozen=True)
class Recommendation:
    """A fired playbook entry with its evidence, audience size and value at stake."""

    priority: int
    id: str
    title: str
    evidence: str
    action: str
    audience_size: int
    value_at_stake: float
    value_basis: str


@dataclass(frozen=True)
class Skipped:
    """A playbook entry that did not fire, and why."""

    id: str
    reason: str


@dataclass(frozen=True)
class PlaybookOutcome:
    """What the playbook made of this period: fired recommendations and the entries that did not."""

    recommendations: tuple[Recommendation, ...]
    skipped: tuple[Skipped, ...]
    facts: dict[str, FactValue]
    audiences: dict[str, pl.DataFrame]  # each fired entry's customers, highest value first


class MissingFact(Exception):
    """A placeholder or trigger names a fact that has no value this period."""


def evaluate_playbook(
    entries: list[PlaybookEntry],
    facts: dict[str, FactValue],
    customers: pl.DataFrame,
    specs: tuple[FactSpec, ...],
    config: UnitConfig,
) -> PlaybookOutcome:
    """Fired recommendations ranked by value at stake, and the entries that did not fire."""
    segments = {rule.name for rule in config.rfm.segments}
    fired: list[tuple[PlaybookEntry, pl.DataFrame, float, str]] = []
    skipped: list[Skipped] = []
    for entry in entries:
        try:
            if not trigger_holds(entry.trigger, facts):
                skipped.append(Skipped(entry.id, f"trigger not met: {entry.trigger}"))
                continue
        except MissingFact as exc:
            skipped.append(Skipped(entry.id, str(exc)))
            continue
        audience = select_audience(customers, entry.audience, config.rfm.lapsing_segments)
        if audience.is_empty():
            skipped.append(Skipped(entry.id, "no customer matches the audience"))
            continue
        basis: str = entry.value
        if basis == "clv" and "clv" not in audience.columns:
            basis = "revenue_12m"
        value = float(audience[_VALUE_COLUMNS[basis]].sum())
        fired.append((entry, audience.sort([_VALUE_COLUMNS[basis], "customer_id"],
                                           descending=[True, False]), value, basis))
    fired.sort(key=lambda item: (-item[2], item[0].id))
    recommendations: list[Recommendation] = []
    audiences: dict[str, pl.DataFrame] = {}
    for entry, audience, value, basis in fired:
        extra = {"audience_size": number(audience.height),
                 "value_at_stake": money(value, config.currency)}
        try:
            evidence = fill(entry.evidence, facts, specs, segments, extra)
            action = fill(entry.action, facts, specs, segments, extra)
        except MissingFact as exc:
            skipped.append(Skipped(entry.id, str(exc)))
            continue
        recommendations.append(Recommendation(
            priority=len(recommendations) + 1, id=entry.id, title=entry.title,
            evidence=evidence, action=action, audience_size=audience.height,
            value_at_stake=value, value_basis=value_basis(basis, facts),
        ))
        audiences[entry.id] = audience
    return PlaybookOutcome(tuple(recommendations), tuple(skipped), facts, audiences)


_VALUE_COLUMNS = {"clv": "clv", "revenue_12m": "revenue_12m", "spend_to_date": "monetary"}


def value_basis(basis: str, facts: dict[str, FactValue]) -> str:
    """What the value at stake measures; a CLV forecast says its horizon and grade."""
    if basis == "clv" and "clv.horizon_months" in facts:
        grade = facts.get("clv.grade", "not graded")
        return (f"forecast CLV over the next {facts['clv.horizon_months']} months, "
                f"{'grade ' if grade != 'not graded' else ''}{grade}")
    return VALUE_BASIS[basis]


def trigger_holds(trigger: str, facts: dict[str, FactValue]) -> bool:
    """Whether every clause of the trigger holds for the facts."""
    for name, op, threshold in trigger_clauses(trigger):
        if name not in facts:
            raise MissingFact(f"fact '{name}' has no value this period")
        value = facts[name]
        if isinstance(value, str):
            raise MissingFact(f"fact '{name}' is text and cannot be compared")
        if not OPERATORS[op](float(value), threshold):
            return False
    return True


def fill(text: str, facts: dict[str, FactValue], specs: tuple[FactSpec, ...],
         segments: set[str], extra: dict[str, str]) -> str:
    """Replace {fact} and {fact:format} placeholders; raise MissingFact for a missing value."""
    def replace(match: object) -> str:
        name, fmt = match.group(1), match.group(2)  # type: ignore[attr-defined]
        if name in extra:
            return extra[name]
        spec = fact_spec(name, specs, segments)
        if spec is None or name not in facts or facts[name] in ("", None):
            raise MissingFact(f"fact '{name}' has no value this period")
        rendered = format_fact(facts[name], FORMATS[fmt] if fmt else spec.kind)
        if not rendered.strip() or rendered in ("None", "nan", "–"):
            raise MissingFact(f"fact '{name}' has no printable value")
        return rendered

    return PLACEHOLDER.sub(replace, text)


def select_audience(
    customers: pl.DataFrame, audience: AudienceFilter, lapsing_segments: list[str]
) -> pl.DataFrame:
    """Customers matching every condition of the filter."""
    conditions = []
    if audience.segments is not None:
        conditions.append(pl.col("segment").is_in(audience.segments))
    if audience.lapsing is not None:
        lapsing = pl.col("segment").is_in(lapsing_segments)
        conditions.append(lapsing if audience.lapsing else ~lapsing)
    if audience.clv_groups is not None:
        if "clv_group" not in customers.columns:
            return customers.clear()
        conditions.append(pl.col("clv_group").is_in(audience.clv_groups))
    if audience.max_p_buy_90d is not None and "p_buy_90d" in customers.columns:
        conditions.append(pl.col("p_buy_90d") <= audience.max_p_buy_90d)
    bounds = [
        ("recency_days", audience.min_recency_days, audience.max_recency_days),
        ("frequency", audience.min_orders, audience.max_orders),
        ("return_rate", audience.min_return_rate, audience.max_return_rate),
        ("tenure_days", None, audience.max_tenure_days),
    ]
    for column, low, high in bounds:
        if low is not None:
            conditions.append(pl.col(column) >= low)
        if high is not None:
            conditions.append(pl.col(column) <= high)
    return customers.filter(pl.all_horizontal(conditions)) if conditions else customers
