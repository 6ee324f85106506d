"""The playbook: triggers fire exactly when met, texts are always complete, errors are named."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import PROJECT_DIR, UnitFactory

from reportgen.chapters import fact_specs
from reportgen.config import UnitConfig, load_unit_config
from reportgen.errors import ConfigError
from reportgen.playbook.entries import Playbook, load_playbook, trigger_clauses
from reportgen.playbook.evaluate import PlaybookOutcome, evaluate_playbook, fill
from reportgen.playbook.facts import FactValue

SEGMENTS = {"hibernating", "at_risk", "cant_lose", "about_to_sleep", "need_attention",
            "loyal_customers", "promising", "new_customers", "potential_loyalists", "champions"}


# (days since last order, orders, days since first order) as each segment implies.
PROFILES = {
    "champions": (5, 20, 300), "loyal_customers": (30, 12, 300), "potential_loyalists": (15, 3, 60),
    "new_customers": (5, 1, 5), "promising": (25, 1, 25), "need_attention": (50, 3, 200),
    "about_to_sleep": (55, 1, 120), "at_risk": (150, 4, 330), "cant_lose": (140, 15, 360),
    "hibernating": (220, 1, 300),
}


def customers() -> pl.DataFrame:
    """One customer per segment and CLV group, with the columns audiences filter on."""
    rows = []
    for segment, (recency, orders, tenure) in PROFILES.items():
        for group in "ABCD":
            rows.append({
                "customer_id": f"{segment}-{group}", "segment": segment,
                "recency_days": recency, "frequency": orders, "monetary": 100.0 * orders,
                "return_rate": 0.0 if group in "AB" else 0.3, "revenue_12m": 50.0 * orders,
                "tenure_days": tenure, "clv": {"A": 900.0, "B": 300.0, "C": 100.0,
                                               "D": 10.0}[group],
                "clv_group": group, "p_alive": 0.8, "first_purchase_in_period": tenure <= 30,
                "usual_gap_days": 30.0,  # overdue beyond 45 days
            })
    return pl.DataFrame(rows)


def base_facts() -> dict[str, FactValue]:
    """Every registry fact with a plausible value (the triggers are set per test)."""
    facts: dict[str, FactValue] = {}
    for spec in SPECS:
        names = [f"{spec.name}.{s}" for s in SEGMENTS] if spec.per_segment else [spec.name]
        for name in names:
            facts[name] = "Regency cakestand" if spec.kind == "text" else 0.5
    del facts["business.profile"]  # no profile: every play applies (see test_actions_worth_it)
    return facts


def meeting(trigger: str, facts: dict[str, FactValue], met: bool) -> dict[str, FactValue]:
    """Facts set so that every clause holds (met) or the first one just fails."""
    facts = dict(facts)
    for index, (name, op, threshold) in enumerate(trigger_clauses(trigger)):
        holds = {">=": threshold, ">": threshold + 0.01, "<=": threshold, "<": threshold - 0.01,
                 "==": threshold}[op]
        fails = {">=": threshold - 0.01, ">": threshold, "<=": threshold + 0.01, "<": threshold,
                 "==": threshold + 1}[op]
        facts[name] = fails if (index == 0 and not met) else holds
    return facts


SPECS = fact_specs()
SHIPPED_UK = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
# The hand-computed values below count every customer as contacted (no control group) and
# plays that cost nothing (so that none is set aside as not worth it).
FREE = SHIPPED_UK.economics.model_validate({
    "contact_cost": {"email": 0, "call": 0, "letter": 0}, "coupon_share": 0,
    "campaign_cost": 0})
UK = SHIPPED_UK.model_copy(update={"playbook": SHIPPED_UK.playbook.model_copy(
    update={"control_share": 0.0}), "economics": FREE})
PLAYBOOK = load_playbook(UK, SPECS)
ENTRIES = list(PLAYBOOK.entries)


def playbook_of(entries: list) -> Playbook:  # type: ignore[type-arg]
    """These entries, claiming customers in the shipped playbook's order."""
    ids = {e.id for e in entries}
    return Playbook(tuple(entries), tuple(i for i in PLAYBOOK.priority if i in ids))


def evaluate(entries: list, facts: dict[str, FactValue],  # type: ignore[type-arg]
             config: UnitConfig = UK, table: pl.DataFrame | None = None) -> PlaybookOutcome:
    return evaluate_playbook(playbook_of(entries), facts,
                             customers() if table is None else table, SPECS, config)


def test_the_playbook_covers_the_spec_catalogue() -> None:
    ids = {e.id for e in ENTRIES}
    assert {"loyalty_champions", "winback_high_value", "winback_at_risk", "onboarding_new",
            "nurture_potential_loyalists", "reactivate_hibernating", "peak_time_promotion",
            "seasonal_campaign", "cross_sell_rebought", "fix_high_return_products",
            "flexible_returns_loyal", "cohort_retention", "prioritise_by_clv"} <= ids


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_each_trigger_fires_when_met_and_not_otherwise(entry) -> None:  # type: ignore[no-untyped-def]
    outcome = evaluate([entry], meeting(entry.trigger, base_facts(), True))
    fired = outcome.insights if entry.kind == "insight" else outcome.recommendations
    assert [r.id for r in fired] == [entry.id]
    for text in (fired[0].evidence, fired[0].action):
        assert "{" not in text and "}" not in text
        assert not any(word in text for word in ("None", "nan", "  "))
    if entry.kind == "action":
        assert fired[0].audience_size == outcome.audiences[entry.id].height > 0  # type: ignore[union-attr]
    quiet = evaluate([entry], meeting(entry.trigger, base_facts(), False))
    assert quiet.recommendations == () and quiet.insights == ()
    assert quiet.skipped[0].reason.startswith("trigger not met")


def fired_together(*ids: str) -> PlaybookOutcome:
    chosen = [e for e in ENTRIES if e.id in ids]
    facts = base_facts()
    for entry in chosen:
        facts = meeting(entry.trigger, facts, True)
    return evaluate(chosen, facts)


def test_each_customer_is_in_one_action_the_first_in_priority_order() -> None:
    outcome = fired_together("winback_high_value", "winback_at_risk", "loyalty_champions",
                             "prioritise_by_clv")
    lists = outcome.audiences
    everyone = pl.concat([frame.select("customer_id") for frame in lists.values()])
    assert everyone["customer_id"].is_unique().all()
    # Group A in slipping segments goes to the high-value win-back, the first in priority;
    # the rest of at-risk and can't-lose to the lapsing win-back; group A elsewhere is left to
    # "focus on the top CLV quarter" only where no earlier action holds it.
    assert set(lists["winback_high_value"]["customer_id"]) == {
        f"{s}-A" for s in ("at_risk", "cant_lose", "need_attention", "about_to_sleep")}
    assert set(lists["winback_at_risk"]["customer_id"]) == {
        f"{s}-{g}" for s in ("at_risk", "cant_lose") for g in "BCD"}
    assert set(lists["prioritise_by_clv"]["customer_id"]) == {
        f"{s}-A" for s in ("potential_loyalists", "new_customers", "promising", "hibernating")}
    at_risk_a = lists["winback_high_value"].filter(pl.col("customer_id") == "at_risk-A")
    assert at_risk_a["also_eligible"].to_list() == ["winback_at_risk;prioritise_by_clv"]
    champion_a = lists["loyalty_champions"].filter(pl.col("customer_id") == "champions-A")
    assert champion_a["also_eligible"].to_list() == ["prioritise_by_clv"]
    by_id = {r.id: r for r in outcome.recommendations}
    assert by_id["winback_at_risk"].eligible == 8 and by_id["winback_at_risk"].audience_size == 6
    assert by_id["winback_at_risk"].assigned_elsewhere == 2


def test_values_add_up_to_no_more_than_the_whole_clv() -> None:
    every_action = [e for e in ENTRIES if e.kind == "action"]
    facts = base_facts()
    for entry in every_action:
        facts = meeting(entry.trigger, facts, True)
    outcome = evaluate(every_action, facts)
    total = sum(r.audience_value or 0.0 for r in outcome.recommendations)
    assert len(outcome.recommendations) >= 5
    assert total <= float(customers()["clv"].sum()) + 1e-9


def test_incremental_value_retain_and_uplift_by_hand() -> None:
    outcome = fired_together("winback_high_value", "loyalty_champions")
    by_id = {r.id: r for r in outcome.recommendations}
    # Win-back: 4 group-A customers at 900 each, P(alive) 0.8 (no chance of buying within 90
    # days in this table), assumed response 15 %: 0.15 x 4 x 900 x (1 - 0.8) = 108.
    winback = by_id["winback_high_value"]
    assert winback.audience_value == 3_600 and winback.expected_response == 0.15
    assert winback.expected_incremental_value == pytest.approx(108.0)
    assert "1 − P(alive)" in winback.incremental_note
    # Champions and loyal customers (group A of neither is slipping): 2 x (900 + 300 + 100 +
    # 10) = 2,620, assumed uplift 3 %: 78.6.
    champions = by_id["loyalty_champions"]
    assert champions.audience_value == 2_620
    assert champions.expected_incremental_value == pytest.approx(78.6)
    # Where the chance of buying within 90 days is estimated, it comes first, beside P(alive)
    # or without it (no dropout measured): 0.15 x 3,600 x (1 - 0.5).
    entry = next(e for e in ENTRIES if e.id == "winback_high_value")
    for alive in (0.8, None):
        table = customers().with_columns(pl.lit(alive, pl.Float64).alias("p_alive"),
                                         pl.lit(0.5).alias("p_buy_90d"))
        chance = evaluate([entry], meeting(entry.trigger, base_facts(), True), table=table)
        assert chance.recommendations[0].expected_incremental_value == pytest.approx(
            0.15 * 3_600 * 0.5)
        assert "chance of buying within 90 days" in chance.recommendations[0].incremental_note


def test_without_clv_the_values_are_empty_and_say_why() -> None:
    table = customers().drop("clv", "clv_group", "p_alive")
    entry = next(e for e in ENTRIES if e.id == "loyalty_champions")
    outcome = evaluate([entry], meeting(entry.trigger, base_facts(), True), table=table)
    recommendation = outcome.recommendations[0]
    assert recommendation.audience_value is None
    assert recommendation.expected_incremental_value is None
    assert recommendation.value_basis.startswith("not estimated: the CLV chapter gave no")


def test_urgent_actions_rank_first_then_by_incremental_value() -> None:
    outcome = fired_together("winback_high_value", "loyalty_champions", "prioritise_by_clv",
                             "reactivate_hibernating")
    ranked = [(r.id, r.urgent, r.expected_incremental_value) for r in outcome.recommendations]
    assert ranked[0][0] == "winback_high_value" and ranked[0][1]
    rest = [value for _, urgent, value in ranked[1:]]
    assert not any(urgent for _, urgent, _ in ranked[1:])
    assert rest == sorted(rest, reverse=True)  # type: ignore[type-var]
    assert [r.priority for r in outcome.recommendations] == [1, 2, 3, 4]


@pytest.mark.parametrize(("months_to_peak", "fires"), [(0, False), (1, True), (3, True),
                                                       (4, False), (11, False)])
def test_the_peak_season_play_fires_one_to_three_months_ahead(months_to_peak: int,
                                                              fires: bool) -> None:
    entry = next(e for e in ENTRIES if e.id == "seasonal_campaign")
    facts = {**base_facts(), "peak_month_lift": 1.5, "months_to_peak": months_to_peak}
    assert bool(evaluate([entry], facts).recommendations) is fires


def test_onboarding_reaches_every_first_time_buyer_not_claimed_earlier() -> None:
    outcome = fired_together("onboarding_new", "winback_high_value")
    new = customers().filter(pl.col("first_purchase_in_period"))
    onboarding = next(r for r in outcome.recommendations if r.id == "onboarding_new")
    assert onboarding.eligible == new.height
    assert onboarding.audience_size + onboarding.assigned_elsewhere == new.height


def test_insights_have_no_audience(write_unit: UnitFactory, tmp_path: Path) -> None:
    config = load_unit_config(write_unit())
    write_playbook(tmp_path, {**ENTRY, "kind": "insight"})  # its action cites {audience_size}
    with pytest.raises(ConfigError, match=re.escape("an insight has no audience, so no {audience_size}")):
        load_playbook(config, SPECS)
    write_playbook(tmp_path, {**ENTRY, "kind": "insight", "action": "Act.",
                              "audience": {"segments": ["at_risk"]}})
    with pytest.raises(ConfigError, match="an insight has no audience; remove it"):
        load_playbook(config, SPECS)


def test_the_priority_must_name_entries(write_unit: UnitFactory, tmp_path: Path) -> None:
    config = load_unit_config(write_unit())
    (tmp_path / "playbook.yaml").write_text(yaml.safe_dump({"priority": ["y"],
                                                            "entries": [ENTRY]}))
    with pytest.raises(ConfigError, match="priority names the unknown entry 'y'"):
        load_playbook(config, SPECS)


def test_a_missing_fact_stops_the_entry_from_rendering() -> None:
    entry = next(e for e in ENTRIES if e.id == "winback_high_value")
    facts = meeting(entry.trigger, base_facts(), True)
    del facts["high_value_at_risk.clv"]  # cited in the evidence
    outcome = evaluate([entry], facts)
    assert outcome.recommendations == ()
    assert outcome.skipped[0].reason == "fact 'high_value_at_risk.clv' has no value this period"


def test_placeholders_use_their_kind_or_the_requested_format() -> None:
    facts: dict[str, FactValue] = {"segment_share.at_risk": 0.1234,
                                   "segment_share_change.at_risk": -0.012, "peak_hour": 12}
    text = fill("{segment_share.at_risk} ({segment_share_change.at_risk}) at {peak_hour}:00, "
                "{segment_share.at_risk:number}", facts, SPECS, SEGMENTS, {}, "USD")
    assert text == "12.3% (−1.2 pp) at 12:00, 0.1"


def write_playbook(folder: Path, entry: dict) -> None:  # type: ignore[type-arg]
    (folder / "playbook.yaml").write_text(yaml.safe_dump({"entries": [entry]}))


ENTRY = {"id": "x", "title": "X", "trigger": "segment_share.at_risk >= 0.1",
         "evidence": "{segment_share.at_risk} at risk", "action": "Act on {audience_size}."}


@pytest.mark.parametrize(("change", "message"), [
    ({"trigger": "segment_share.at_rsk >= 0.1"}, "entry 'x' uses the unknown fact "
                                                 "'segment_share.at_rsk'"),
    ({"evidence": "{churn_rate} churned"}, "entry 'x' uses the unknown fact 'churn_rate'"),
    ({"evidence": "Many are at risk."}, "entry 'x': the evidence must cite at least one"),
    ({"trigger": "at risk is high"}, "entry 'x': cannot read the condition"),
    ({"audience": {"segments": ["vips"]}}, "audience names the unknown segment 'vips'"),
])
def test_bad_entries_are_configuration_errors(
    write_unit: UnitFactory, tmp_path: Path, change: dict, message: str  # type: ignore[type-arg]
) -> None:
    config = load_unit_config(write_unit())
    write_playbook(tmp_path, {**ENTRY, **change})
    with pytest.raises(ConfigError) as caught:
        load_playbook(config, SPECS)
    assert message in caught.value.one_line() and "playbook.yaml" in caught.value.one_line()


def test_units_can_disable_and_add_entries(write_unit: UnitFactory, tmp_path: Path) -> None:
    write_playbook(tmp_path, ENTRY)
    own = {**ENTRY, "id": "own", "title": "Own"}
    config = load_unit_config(write_unit(playbook={"disabled": ["x"], "entries": [own]}))
    assert [e.id for e in load_playbook(config, SPECS).entries] == ["own"]


def test_a_unit_folder_without_a_playbook_uses_the_shipped_one(write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit())
    assert [e.id for e in load_playbook(config, SPECS).entries] == [e.id for e in ENTRIES]


def test_a_named_playbook_file_must_exist(write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(playbook={"file": "missing.yaml"}))
    with pytest.raises(ConfigError, match="playbook file not found"):
        load_playbook(config, SPECS)


def test_a_lapsing_audience_follows_the_units_lapsing_segments(write_unit: UnitFactory) -> None:
    entry = next(e for e in ENTRIES if e.id == "winback_at_risk")
    assert entry.audience.lapsing is True
    facts = meeting(entry.trigger, base_facts(), True)
    default = evaluate([entry], facts).audiences[entry.id]
    assert set(default["segment"]) == {"at_risk", "cant_lose"}
    hibernating = load_unit_config(write_unit(rfm={"lapsing_segments": ["hibernating"]})) \
        .model_copy(update={"economics": FREE})
    changed = evaluate([entry], facts, hibernating).audiences[entry.id]
    assert set(changed["segment"]) == {"hibernating"}


def test_win_back_leaves_out_customers_likely_to_come_back_on_their_own() -> None:
    entry = next(e for e in ENTRIES if e.id == "winback_at_risk")
    assert entry.audience.max_p_buy_90d == 0.6
    facts = meeting(entry.trigger, base_facts(), True)
    chances = {"A": 0.9, "B": 0.6, "C": 0.3, "D": None}  # D: a customer without a chance
    table = customers().with_columns(
        pl.col("clv_group").replace_strict(chances, return_dtype=pl.Float64).alias("p_buy_90d"))
    outcome = evaluate([entry], facts, table=table)
    chosen = outcome.audiences[entry.id]
    assert set(chosen["clv_group"]) == {"B", "C"} and set(chosen["segment"]) == {"at_risk",
                                                                                "cant_lose"}
    assert chosen["p_buy_90d"].max() <= 0.6  # type: ignore[operator]
    # Without the chance (no column), the filter does not apply: every lapsing customer.
    assert evaluate([entry], facts).audiences[entry.id].height == 8


def test_lapsing_segments_must_be_segments_of_the_map(write_unit: UnitFactory) -> None:
    with pytest.raises(ConfigError, match="lapsing_segments names 'dormant'"):
        load_unit_config(write_unit(rfm={"lapsing_segments": ["dormant"]}))


def test_the_readme_lists_every_fact_with_its_kind() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    table = readme[readme.index("The facts (`<segment>`"):]
    documented = dict(re.findall(r"^\| `([a-z0-9_.<>]+)` \| (\w+) \|", table, re.MULTILINE))
    published = {f"{spec.name}.<segment>" if spec.per_segment else spec.name: spec.kind
                 for spec in SPECS}
    assert documented == published


def test_an_action_for_mostly_the_same_customers_as_last_month_is_continuing() -> None:
    entry = next(e for e in ENTRIES if e.id == "loyalty_champions")
    facts = meeting(entry.trigger, base_facts(), True)
    customers_now = [f"{s}-{g}" for s in ("champions", "loyal_customers") for g in "ABCD"]

    def run(previous: dict[str, frozenset[str]] | None) -> tuple[bool | None, int | None]:
        outcome = evaluate_playbook(playbook_of([entry]), facts, customers(), SPECS, UK,
                                    previous)
        return outcome.recommendations[0].continuing, outcome.recommendations[0].new_to_action

    assert run(None) == (None, None)  # no report last month: nothing to say
    # Five of the eight were in last month's list: continuing, three new to it.
    assert run({"loyalty_champions": frozenset(customers_now[:5])}) == (True, 3)
    # Three of eight: a new campaign for most of them.
    assert run({"loyalty_champions": frozenset(customers_now[:3])}) == (False, 5)
    assert run({"winback_at_risk": frozenset(customers_now)}) == (False, 8)


def test_control_groups_are_a_reproducible_random_tenth_of_each_list() -> None:
    from reportgen.playbook.control import uniform_draw, with_groups

    audience = pl.DataFrame({"customer_id": [f"{n}" for n in range(20_000)],
                             "clv": [1.0] * 20_000})
    grouped = with_groups(audience, "uk", "2011-10", "winback_at_risk", 0.1)
    assert grouped.columns == ["customer_id", "group", "stratum", "clv"]
    # one control in each block of ten customers: exactly a tenth
    assert int((grouped["group"] == "control").sum()) == 2_000
    again = with_groups(audience, "uk", "2011-10", "winback_at_risk", 0.1)
    assert again["group"].equals(grouped["group"])
    # another month or action draws afresh, independently: the same pick in a block 1 in 10
    other = with_groups(audience, "uk", "2011-11", "winback_at_risk", 0.1)
    both = int(((other["group"] == "control") & (grouped["group"] == "control")).sum())
    assert abs(both - 200) <= 4 * (2_000 * 0.1 * 0.9) ** 0.5
    assert set(with_groups(audience, "uk", "2011-10", "x", 0.0)["group"]) == {"contact"}
    assert 0 <= uniform_draw("uk", "2011-10", "x", "1") < 1


def test_the_held_out_customers_are_counted_and_add_no_value() -> None:
    many = pl.concat([customers().with_columns(pl.col("customer_id") + f"-{copy}")
                      for copy in range(50)])
    with_control = UK.model_copy(update={"playbook": SHIPPED_UK.playbook})
    entry = next(e for e in ENTRIES if e.id == "loyalty_champions")
    outcome = evaluate_playbook(playbook_of([entry]), meeting(entry.trigger, base_facts(), True),
                                many, SPECS, with_control, period="2011-10")
    champions = outcome.recommendations[0]
    audience = outcome.audiences["loyalty_champions"]
    control = audience.filter(pl.col("group") == "control")
    # 10 % of the 400 less the unit's 20 key accounts, never held out; pooled over months
    assert champions.key_accounts == 20
    assert champions.control_size == control.height == 38
    assert champions.hold_out is not None and "pooled" in champions.hold_out.note
    assert champions.contact_size == audience.height - control.height
    # the assumed response x uplift applies to the contacted customers' CLV only
    contacted_clv = float(audience.filter(pl.col("group") != "control")["clv"].sum())
    assert champions.expected_incremental_value == pytest.approx(0.2 * 0.15 * contacted_clv)
    assert champions.audience_value == pytest.approx(float(audience["clv"].sum()))


def test_a_measured_response_replaces_the_assumed_one() -> None:
    from reportgen.playbook.control import MeasuredResponse

    entry = next(e for e in ENTRIES if e.id == "winback_high_value")
    facts = meeting(entry.trigger, base_facts(), True)
    assumed = evaluate_playbook(playbook_of([entry]), facts, customers(), SPECS, UK)
    measured = evaluate_playbook(playbook_of([entry]), facts, customers(), SPECS, UK,
                                 measured={entry.id: MeasuredResponse(0.05, 2, 0.05)})
    before, after = assumed.recommendations[0], measured.recommendations[0]
    assert (before.response_basis, before.expected_response) == ("assumed", 0.15)
    assert (after.response_basis, after.expected_response, after.measured_campaigns) == (
        "measured", 0.05, 2)
    assert after.expected_incremental_value == pytest.approx(
        before.expected_incremental_value / 3)  # type: ignore[operator]
    assert "measured response of 5%" in after.incremental_note
