"""Evaluate the playbook against this period's facts and customers.

An entry fires when every clause of its trigger holds (and, for an action, its audience is not
empty). Its evidence and action are filled from the facts; a placeholder without a value stops
the entry from rendering (it is reported as not fired, with the reason), so no text ever shows
a blank or "None".

Actions claim customers in the playbook's priority order: each customer is in the first fired
action whose audience holds them, and in no other (the others are listed in the customer's
`also_eligible`). So the action lists partition the customers and their values add up.

Every value is over the CLV horizon: `audience_value` is the audience's expected spend if
nothing is done (its CLV); `expected_incremental_value` is what the action is expected to add:
for a retain action, the assumed response times the audience's CLV weighted by each customer's
chance of not buying again on their own (1 - P(alive) where P(alive) is estimated, else
1 - p_buy_90d); for an uplift action, the assumed uplift times the audience's CLV. Without CLV
both are left empty, with the reason. Urgent actions rank first, then by incremental value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from reportgen.config import AudienceFilter, PlaybookEntry, UnitConfig
from reportgen.display.formatting import money, number
from reportgen.playbook.control import (
    CONTROL,
    MeasuredResponse,
    control_share,
    with_groups,
)
from reportgen.playbook.entries import FORMATS, OPERATORS, PLACEHOLDER, Playbook, trigger_clauses
from reportgen.playbook.facts import FactSpec, FactValue, fact_spec, format_fact

NO_CLV = "not estimated: the CLV chapter gave no forecast this run"
NO_CHANCE = "not estimated: no chance of buying again was estimated this run"


@dataclass(frozen=True)
class Recommendation:
    """A fired action: its evidence, its customers (after higher-priority actions took theirs),
    and what they are worth over the CLV horizon."""

    priority: int  # rank on the page: urgent first, then by expected incremental value
    id: str
    title: str
    evidence: str
    action: str
    audience_size: int  # customers assigned to this action
    eligible: int  # customers its audience held before higher-priority actions took theirs
    audience_value: float | None  # their expected spend over the horizon if nothing is done
    expected_response: float  # assumed share responding (an assumption until measured)
    expected_incremental_value: float | None  # what the action is expected to add
    effect: str  # retain or uplift
    urgent: bool
    value_basis: str  # what the values measure (horizon, grade), or why they are empty
    incremental_note: str  # how the incremental value was worked out, or why it is empty
    continuing: bool | None = None  # in last month's report for mostly the same customers
    # (None: no report of last month to compare with)
    new_to_action: int | None = None  # customers not in last month's list of this action
    control_size: int = 0  # customers held out as the control group: not to be contacted
    response_basis: str = "assumed"  # assumed (the playbook's) or measured (earlier campaigns)
    measured_campaigns: int = 0  # campaigns the measured response comes from

    @property
    def contact_size(self) -> int:
        """Customers to contact: the audience less the control group."""
        return self.audience_size - self.control_size

    @property
    def action_file(self) -> str:
        """The action list's path in the report folder."""
        return f"actions/{self.id}.csv"

    @property
    def assigned_elsewhere(self) -> int:
        """Customers of its audience that a higher-priority action took."""
        return self.eligible - self.audience_size


@dataclass(frozen=True)
class Insight:
    """A fired insight: an evergreen observation, not ranked among the actions."""

    id: str
    title: str
    evidence: str
    action: str


@dataclass(frozen=True)
class Skipped:
    """A playbook entry that did not fire, and why."""

    id: str
    reason: str


@dataclass(frozen=True)
class PlaybookOutcome:
    """What the playbook made of this period: fired actions, insights, entries that did not."""

    recommendations: tuple[Recommendation, ...]
    insights: tuple[Insight, ...]
    skipped: tuple[Skipped, ...]
    facts: dict[str, FactValue]
    audiences: dict[str, pl.DataFrame]  # each action's customers, highest CLV first


class MissingFact(Exception):
    """A placeholder or trigger names a fact that has no value this period."""


def evaluate_playbook(
    playbook: Playbook,
    facts: dict[str, FactValue],
    customers: pl.DataFrame,
    specs: tuple[FactSpec, ...],
    config: UnitConfig,
    previous_actions: Mapping[str, frozenset[str]] | None = None,
    *,
    period: str = "",
    measured: Mapping[str, MeasuredResponse] | None = None,
) -> PlaybookOutcome:
    """Fired actions (customers assigned by priority, ranked) and insights, and the entries
    that did not fire. With last month's action lists, an action whose customers are mostly
    (CONTINUING_SHARE) in last month's list of the same action is marked continuing.

    Each action list holds out a control group (`group` column) drawn from unit, `period`,
    action and customer; the incremental value counts the contacted customers only. A play
    with a `measured` response uses it instead of the playbook's assumed one."""
    segments = {rule.name for rule in config.rfm.segments}
    skipped: list[Skipped] = []
    insights: list[Insight] = []
    eligible: dict[str, pl.DataFrame] = {}
    entries = {entry.id: entry for entry in playbook.entries}
    for entry in playbook.entries:
        try:
            if not trigger_holds(entry.trigger, facts):
                skipped.append(Skipped(entry.id, f"trigger not met: {entry.trigger}"))
                continue
        except MissingFact as exc:
            skipped.append(Skipped(entry.id, str(exc)))
            continue
        if entry.kind == "insight":
            try:
                insights.append(Insight(entry.id, entry.title,
                                        fill(entry.evidence, facts, specs, segments, {},
                                             config.currency),
                                        fill(entry.action, facts, specs, segments, {},
                                             config.currency)))
            except MissingFact as exc:
                skipped.append(Skipped(entry.id, str(exc)))
            continue
        audience = select_audience(customers, entry.audience, config.rfm.lapsing_segments)
        if audience.is_empty():
            skipped.append(Skipped(entry.id, "no customer matches the audience"))
            continue
        eligible[entry.id] = audience
    order = [name for name in playbook.priority if name in eligible]
    assigned = assign_customers(eligible, order)
    drafts: list[tuple[PlaybookEntry, pl.DataFrame]] = []
    for name in order:
        if assigned[name].is_empty():
            skipped.append(Skipped(name, "every customer of its audience is in a "
                                         "higher-priority action"))
        else:
            drafts.append((entries[name], assigned[name]))
    basis = value_basis(facts) if "clv" in customers.columns else NO_CLV
    measured = measured or {}
    grouped = [(entry, with_groups(audience, config.unit, period, entry.id,
                                   control_share(entry, config.playbook)))
               for entry, audience in drafts]
    valued = [(entry, audience,
               *values(entry, audience, measured.get(entry.id)))
              for entry, audience in grouped]
    valued.sort(key=lambda item: (not item[0].urgent, -(item[3] if item[3] is not None else -1.0),
                                  -(item[2] or 0.0), item[0].id))
    recommendations: list[Recommendation] = []
    audiences: dict[str, pl.DataFrame] = {}
    for entry, audience, audience_value, incremental, note in valued:
        extra = {"audience_size": number(audience.height)}
        if audience_value is not None:
            extra["audience_value"] = money(audience_value, config.currency)
        if incremental is not None:
            extra["incremental_value"] = money(incremental, config.currency)
        try:
            evidence = fill(entry.evidence, facts, specs, segments, extra, config.currency)
            action = fill(entry.action, facts, specs, segments, extra, config.currency)
        except MissingFact as exc:
            skipped.append(Skipped(entry.id, str(exc)))
            continue
        continuing, new_to_action = continuation(audience, previous_actions, entry.id)
        measured_response = measured.get(entry.id)
        recommendations.append(Recommendation(
            priority=len(recommendations) + 1, id=entry.id, title=entry.title,
            evidence=evidence, action=action, audience_size=audience.height,
            eligible=eligible[entry.id].height, audience_value=audience_value,
            expected_response=response_of(entry, measured_response),
            expected_incremental_value=incremental,
            effect=entry.effect, urgent=entry.urgent, value_basis=basis, incremental_note=note,
            continuing=continuing, new_to_action=new_to_action,
            control_size=int((audience["group"] == CONTROL).sum()),
            response_basis="measured" if measured_response else "assumed",
            measured_campaigns=measured_response.campaigns if measured_response else 0,
        ))
        audiences[entry.id] = audience
    return PlaybookOutcome(tuple(recommendations), tuple(insights), tuple(skipped), facts,
                           audiences)


CONTINUING_SHARE = 0.5  # of this month's customers already in last month's list


def continuation(audience: pl.DataFrame, previous_actions: Mapping[str, frozenset[str]] | None,
                 action_id: str) -> tuple[bool | None, int | None]:
    """Whether the action continues last month's (mostly the same customers), and how many of
    its customers are new to it; (None, None) without last month's report."""
    if previous_actions is None:
        return None, None
    before = previous_actions.get(action_id, frozenset())
    returning = int(audience["customer_id"].is_in(list(before)).sum()) if before else 0
    return (bool(before) and returning >= CONTINUING_SHARE * audience.height,
            audience.height - returning)


def assign_customers(eligible: dict[str, pl.DataFrame], order: list[str]) -> dict[str, pl.DataFrame]:
    """Each customer to the first action in `order` whose audience holds them, with the other
    actions they qualified for in `also_eligible` (";"-separated, in priority order); each
    list highest CLV first (else highest spend)."""
    if not order:
        return {}
    rank = {name: index for index, name in enumerate(order)}
    memberships = pl.concat([
        eligible[name].select("customer_id", pl.lit(name).alias("action"),
                              pl.lit(rank[name]).alias("rank"))
        for name in order
    ]).sort(["customer_id", "rank"])
    first = memberships.group_by("customer_id", maintain_order=True).agg(
        pl.col("action").first().alias("assigned_to"), pl.col("action").alias("all_actions"))
    result = {}
    for name in order:
        audience = eligible[name].join(first, on="customer_id", how="inner").filter(
            pl.col("assigned_to") == name)
        sort_by = "clv" if "clv" in audience.columns else "monetary"
        result[name] = (
            audience.with_columns(
                pl.col("all_actions").list.filter(pl.element() != name).list.join(";")
                .alias("also_eligible"))
            .drop("assigned_to", "all_actions")
            .sort([sort_by, "customer_id"], descending=[True, False])
        )
    return result


def response_of(entry: PlaybookEntry, measured: MeasuredResponse | None) -> float:
    """The play's response: measured on its earlier campaigns if it has been, else assumed."""
    return measured.response if measured else entry.response


def values(entry: PlaybookEntry, audience: pl.DataFrame, measured: MeasuredResponse | None
           ) -> tuple[float | None, float | None, str]:
    """The audience's value over the CLV horizon, the action's expected incremental value from
    contacting its contact group (the control group is not contacted), and how the latter was
    worked out (or why it is empty)."""
    if "clv" not in audience.columns:
        return None, None, NO_CLV
    audience_value = float(audience["clv"].sum())
    contact = audience.filter(pl.col("group") != CONTROL) if "group" in audience.columns \
        else audience
    whom = "contacted customers'" if contact.height < audience.height else "audience's"
    if entry.effect == "uplift":
        return (audience_value, entry.uplift * float(contact["clv"].sum()),
                f"assumed uplift of {entry.uplift:.0%} on the {whom} expected value")
    chance = _chance_of_returning(contact)
    if chance is None:
        return audience_value, None, NO_CHANCE
    column, label = chance
    # A customer without an estimate counts at the mean chance.
    staying = contact[column].fill_null(contact[column].mean()).clip(0.0, 1.0)
    at_risk = float((contact["clv"].fill_null(0.0) * (1.0 - staying)).sum())
    response = response_of(entry, measured)
    basis = "measured" if measured else "assumed"
    who = "contacted customers" if contact.height < audience.height else "customers"
    return (audience_value, response * at_risk,
            f"{basis} response of {response:.0%} on the expected value of the {who} who "
            f"would not come back on their own ({label})")


def _chance_of_returning(audience: pl.DataFrame) -> tuple[str, str] | None:
    """The column giving each customer's chance of staying, and its name for the reader."""
    for column, label in (("p_alive", "1 − P(alive)"),
                          ("p_buy_90d", "1 − chance of buying within 90 days")):
        if column in audience.columns and audience[column].null_count() < audience.height:
            return column, label
    return None


def value_basis(facts: dict[str, FactValue]) -> str:
    """What the values measure: a CLV forecast's horizon and grade."""
    horizon = facts.get("clv.horizon_months")
    grade = facts.get("clv.grade")
    over = f"over the next {horizon} months" if horizon is not None else "over the CLV horizon"
    return f"forecast CLV {over}" + (f", grade {grade}" if grade is not None else "")


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
         segments: set[str], extra: dict[str, str], currency: str) -> str:
    """Replace {fact} and {fact:format} placeholders; raise MissingFact for a missing value."""
    def replace(match: object) -> str:
        name, fmt = match.group(1), match.group(2)  # type: ignore[attr-defined]
        if name in extra:
            return extra[name]
        spec = fact_spec(name, specs, segments)
        if spec is None or name not in facts or facts[name] in ("", None):
            raise MissingFact(f"fact '{name}' has no value this period")
        rendered = format_fact(facts[name], FORMATS[fmt] if fmt else spec.kind, currency)
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
    if audience.first_purchase_in_period is not None:
        new = pl.col("first_purchase_in_period")
        conditions.append(new if audience.first_purchase_in_period else ~new)
    if audience.max_p_buy_90d is not None and "p_buy_90d" in customers.columns:
        conditions.append(pl.col("p_buy_90d") <= audience.max_p_buy_90d)
    bounds = [
        ("recency_days", audience.min_recency_days, audience.max_recency_days),
        ("frequency", audience.min_orders, audience.max_orders),
        ("return_rate", audience.min_return_rate, audience.max_return_rate),
        ("tenure_days", None, audience.max_tenure_days),
    ]
    for column, low, high in bounds:
        if (low is not None or high is not None) and column not in customers.columns:
            return customers.clear()  # a measure the data do not have (no returns): no one
        if low is not None:
            conditions.append(pl.col(column) >= low)
        if high is not None:
            conditions.append(pl.col(column) <= high)
    return customers.filter(pl.all_horizontal(conditions)) if conditions else customers
