"""Evaluate the playbook against this period's facts and customers.

An entry fires when its business profile is the unit's, every clause of its trigger holds
(and, for an action, its audience is not empty). Its evidence and action are filled from the
facts; a placeholder without a value stops the entry from rendering (it is reported as not
fired, with the reason), so no text ever shows a blank or "None".

Actions claim customers in the playbook's priority order: each customer is in the first fired
action whose audience holds them, and in no other (the others are listed in the customer's
`also_eligible`). So the action lists partition the customers and their values add up.

Every value is over the CLV horizon (`economics`): `audience_value` is the audience's expected
spend if nothing is done (its CLV); `expected_incremental_value` what the action is expected
to add, and `expected_incremental_profit` that at the unit's gross margin less the play's
costs. A play expected to lose money is not recommended: it is listed apart as not worth it at
these costs, with its break-even response, and its customers go to the next play that holds
them. Without CLV the values are left empty, with the reason. Urgent actions rank first, then
by expected incremental profit.

Each list holds out a control group stratified by value and sized by a power calculation
(`control`); every identified customer in no list is in `no_action` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import polars as pl

from reportgen.config import PlaybookEntry, UnitConfig
from reportgen.display.formatting import money, number
from reportgen.playbook.audience import audience_conditions, select_audience, value_column
from reportgen.playbook.control import (
    CONTROL,
    HoldOut,
    MeasuredResponse,
    control_share,
    hold_out_plan,
    with_groups,
)
from reportgen.playbook.economics import PlayEconomics, play_economics
from reportgen.playbook.entries import FORMATS, OPERATORS, PLACEHOLDER, Playbook, trigger_clauses
from reportgen.playbook.facts import FactSpec, FactValue, fact_spec, format_fact
from reportgen.playbook.no_action import Considered, no_action_table

NO_CLV = "not estimated: the CLV chapter gave no forecast this run"
NO_CHANCE = "not estimated: no chance of buying again was estimated this run"
NOT_WORTH_IT = "does not pay at these costs"
UNKNOWN_BASELINE = 0.5  # the share buying anyway where no chance is estimated (the widest)


@dataclass(frozen=True)
class Recommendation:
    """A fired action: its evidence, its customers (after higher-priority actions took theirs),
    what they are worth over the CLV horizon, what the action costs and earns, and its
    control group."""

    priority: int  # rank on the page: urgent first, then by expected incremental profit
    id: str
    title: str
    evidence: str
    action: str
    audience_size: int  # customers assigned to this action
    eligible: int  # customers its audience held before higher-priority actions took theirs
    audience_value: float | None  # their expected spend over the horizon if nothing is done
    expected_response: float  # share of contacted customers responding (assumed or measured)
    expected_incremental_value: float | None  # revenue the action is expected to add
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
    channel: str = "email"
    economics: PlayEconomics | None = None  # cost and profit (None: no CLV forecast)
    hold_out: HoldOut | None = None  # how the control group was sized

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

    @property
    def cost(self) -> float | None:
        """What the play costs (contacts, discounts, the campaign)."""
        return self.economics.cost if self.economics else None

    @property
    def expected_incremental_profit(self) -> float | None:
        """Margin on the incremental revenue less the cost."""
        return self.economics.expected_incremental_profit if self.economics else None

    @property
    def break_even_response(self) -> float | None:
        """The response at which the play pays for itself (None: none does, or no values)."""
        return self.economics.break_even_response if self.economics else None

    @property
    def worth_it(self) -> bool:
        """Whether the play is expected to pay (True where it cannot be valued)."""
        profit = self.expected_incremental_profit
        return profit is None or profit >= 0

    @property
    def key_accounts(self) -> int:
        """Key accounts in the list: always contacted, not measured."""
        return self.hold_out.key_accounts if self.hold_out else 0


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
    not_worth_it: tuple[Recommendation, ...] = ()  # fired, but expected to lose money
    no_action: pl.DataFrame | None = None  # customers in no list, with the reason


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
    """Fired actions (customers assigned by priority, plays that lose money set aside, ranked)
    and insights, and the entries that did not fire. With last month's action lists, an action
    whose customers are mostly (CONTINUING_SHARE) in last month's list of the same action is
    marked continuing.

    Each action list holds out a control group (`group` column) drawn from unit, `period`,
    action and customer; the values count the contacted customers only. A play with a
    `measured` response uses it instead of the playbook's assumed one."""
    segments = {rule.name for rule in config.rfm.segments}
    profile = facts.get("business.profile")
    skipped: list[Skipped] = []
    insights: list[Insight] = []
    eligible: dict[str, pl.DataFrame] = {}
    not_listed: dict[str, str] = {}  # why a play for the unit made no list
    entries = {entry.id: entry for entry in playbook.entries}
    for entry in playbook.entries:
        if for_another_business(entry, profile):
            skipped.append(Skipped(entry.id, f"for {' and '.join(entry.business or ())} units; "
                                             f"this unit is {profile}"))
            continue
        try:
            if not trigger_holds(entry.trigger, facts):
                skipped.append(Skipped(entry.id, f"trigger not met: {entry.trigger}"))
                not_listed[entry.id] = "the play did not fire this month (its trigger " \
                                       "did not hold)"
                continue
        except MissingFact as exc:
            skipped.append(Skipped(entry.id, str(exc)))
            not_listed[entry.id] = f"the play did not fire this month ({exc})"
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
        audience = select_audience(customers, entry.audience, config.rfm.lapsing_segments,
                                   config.playbook.overdue_factor)
        if audience.is_empty():
            skipped.append(Skipped(entry.id, "no customer matches the audience"))
            continue
        eligible[entry.id] = audience
    basis = value_basis(facts) if "clv" in customers.columns else NO_CLV
    key_accounts = top_accounts(customers, config.playbook.hold_out.never.top_accounts)
    order = [name for name in playbook.priority if name in eligible]
    losing: dict[str, Recommendation] = {}
    while True:  # set aside the plays that lose money; their customers go to the next play
        active = [name for name in order if name not in losing]
        assigned = assign_customers(eligible, active)
        drafts: list[tuple[Recommendation, pl.DataFrame]] = []
        empty: list[Skipped] = []
        for name in active:
            if assigned[name].is_empty():
                empty.append(Skipped(name, "every customer of its audience is in a "
                                           "higher-priority action"))
                continue
            try:
                drafts.append(recommend(entries[name], assigned[name], eligible[name].height,
                                        facts, specs, segments, config, period, basis,
                                        key_accounts, measured or {}, previous_actions))
            except MissingFact as exc:
                empty.append(Skipped(name, str(exc)))
                not_listed[name] = f"the play is not shown this month ({exc})"
        newly_losing = {r.id: r for r, _ in drafts if not r.worth_it}
        if not newly_losing:
            break
        losing.update(newly_losing)
    skipped.extend(empty)
    drafts.sort(key=lambda item: ranking_key(item[0]))
    recommendations = tuple(replace(r, priority=index) for index, (r, _) in enumerate(drafts, 1))
    audiences = {r.id: audience for r, audience in drafts}
    for name in losing:
        not_listed[name] = (f"the play {NOT_WORTH_IT} (break-even response "
                            f"{_share(losing[name].break_even_response)})")
    # the plays that made a list speak first, then those that lost money, then the rest
    candidates = [name for name in playbook.priority
                  if name in entries and not for_another_business(entries[name], profile)]
    conditions = {name: audience_conditions(customers, entries[name].audience,
                                            config.rfm.lapsing_segments,
                                            config.playbook.overdue_factor)
                  for name in candidates}
    considered = [Considered(name, conditions[name], not_listed.get(name))
                  for name in sorted(candidates, key=lambda n: (n not in audiences,
                                                                n not in losing))
                  # a play that did not fire speaks only for the customers it names
                  if name in audiences or name in losing or conditions[name].who]
    listed = pl.concat([a["customer_id"] for a in audiences.values()]) if audiences \
        else customers["customer_id"].clear()
    return PlaybookOutcome(
        recommendations, tuple(insights), tuple(skipped), facts, audiences,
        not_worth_it=tuple(sorted(losing.values(), key=ranking_key)),
        no_action=no_action_table(customers, listed, considered),
    )


def _share(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "beyond reach: no response rate makes it pay"


def for_another_business(entry: PlaybookEntry, profile: FactValue | None) -> bool:
    """Whether the play is for another business profile than the unit's (`business.profile`;
    every play applies when the profile is unknown)."""
    return (entry.business is not None and isinstance(profile, str)
            and profile not in entry.business)


def ranking_key(recommendation: Recommendation) -> tuple[bool, float, float, str]:
    """Urgent first, then by expected incremental profit (else value), then by id."""
    profit = recommendation.expected_incremental_profit
    return (not recommendation.urgent, -(profit if profit is not None else -1e18),
            -(recommendation.expected_incremental_value or 0.0), recommendation.id)


def buying_anyway(audience: pl.DataFrame) -> float:
    """The share of the audience expected to buy within 90 days without contact: the mean
    estimated chance, else UNKNOWN_BASELINE."""
    if "p_buy_90d" in audience.columns:
        mean = audience["p_buy_90d"].drop_nulls().mean()
        if isinstance(mean, int | float):
            return float(mean)
    return UNKNOWN_BASELINE


def top_accounts(customers: pl.DataFrame, count: int) -> frozenset[str]:
    """The `count` customers of most revenue over the last 12 months."""
    if count <= 0 or "revenue_12m" not in customers.columns:
        return frozenset()
    top = customers.sort(["revenue_12m", "customer_id"], descending=[True, False]).head(count)
    return frozenset(top["customer_id"].cast(pl.String).to_list())


def recommend(entry: PlaybookEntry, audience: pl.DataFrame, eligible: int,
              facts: dict[str, FactValue], specs: tuple[FactSpec, ...], segments: set[str],
              config: UnitConfig, period: str, basis: str, key_accounts: frozenset[str],
              measured: Mapping[str, MeasuredResponse],
              previous_actions: Mapping[str, frozenset[str]] | None,
              ) -> tuple[Recommendation, pl.DataFrame]:
    """One play's recommendation and its list (with groups): the control group sized and
    drawn, the values, the texts filled (MissingFact when a placeholder has no value)."""
    measured_response = measured.get(entry.id)
    response = measured_response.response if measured_response else entry.response
    label = (f"measured on {measured_response.campaigns} earlier campaigns"
             if measured_response else "assumed in the playbook")
    chance = _chance_of_returning(audience)
    baseline = buying_anyway(audience)
    ids = audience["customer_id"].cast(pl.String)
    keyed = int(ids.is_in(list(key_accounts)).sum()) if key_accounts else 0
    plan = hold_out_plan(audience.height - keyed, keyed, control_share(entry, config.playbook),
                         response * (1 - baseline), baseline, config.playbook.hold_out)
    grouped = with_groups(audience, config.unit, period, entry.id, plan.share,
                          value=value_column(audience), never=key_accounts)
    contact = grouped.filter(pl.col("group") != CONTROL)
    audience_value = float(audience["clv"].sum()) if "clv" in audience.columns else None
    economics: PlayEconomics | None = None
    if audience_value is None:
        note = NO_CLV
    elif entry.effect == "retain" and chance is None:
        note = NO_CHANCE
    else:
        economics = play_economics(entry, contact, response, label,
                                   chance[0] if chance is not None else None, config.economics)
        note = incremental_note(entry, economics, contact.height < audience.height,
                                chance[1] if chance is not None else "",
                                "measured" if measured_response else "assumed")
    incremental = economics.expected_incremental_value if economics else None
    extra = {"audience_size": number(audience.height)}
    if audience_value is not None:
        extra["audience_value"] = money(audience_value, config.currency)
    if incremental is not None:
        extra["incremental_value"] = money(incremental, config.currency)
    evidence = fill(entry.evidence, facts, specs, segments, extra, config.currency)
    action = fill(entry.action, facts, specs, segments, extra, config.currency)
    continuing, new_to_action = continuation(grouped, previous_actions, entry.id)
    recommendation = Recommendation(
        priority=0, id=entry.id, title=entry.title, evidence=evidence, action=action,
        audience_size=audience.height, eligible=eligible, audience_value=audience_value,
        expected_response=response, expected_incremental_value=incremental,
        effect=entry.effect, urgent=entry.urgent, value_basis=basis, incremental_note=note,
        continuing=continuing, new_to_action=new_to_action,
        control_size=int((grouped["group"] == CONTROL).sum()),
        response_basis="measured" if measured_response else "assumed",
        measured_campaigns=measured_response.campaigns if measured_response else 0,
        channel=entry.channel, economics=economics, hold_out=plan,
    )
    return recommendation, grouped


def incremental_note(entry: PlaybookEntry, economics: PlayEconomics, held_out: bool,
                     chance_label: str, basis: str) -> str:
    """How the incremental value was worked out (`basis`: measured or assumed response),
    with the factor actually used."""
    who = "contacted customers" if held_out else "customers"
    if entry.effect == "uplift":
        return (f"{basis} response of {economics.response:.0%} x assumed uplift of "
                f"{entry.uplift:.0%} of a responder's forecast value = "
                f"{economics.value_factor:.1%} of the {who}' forecast value")
    return (f"{basis} response of {economics.response:.0%} on the forecast value of the "
            f"{who} who would not come back on their own ({chance_label})")


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


def _chance_of_returning(audience: pl.DataFrame) -> tuple[str, str] | None:
    """The column giving each customer's chance of coming back on their own, and its name for
    the reader: the chance of buying within 90 days where estimated (what the win-backs'
    audiences, the offers' redemptions and the control groups' power read too), else
    P(alive). P(alive) comes second: a dropout model holds every one-order customer alive
    (dropout follows a repeat purchase), which would put none of their value at risk."""
    for column, label in (("p_buy_90d", "1 − chance of buying within 90 days"),
                          ("p_alive", "1 − P(alive)")):
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
