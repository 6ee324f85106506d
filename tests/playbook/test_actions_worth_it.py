"""Issue 32: actions worth their cost, the right customers, fair control groups, nobody
forgotten, plays that fit the business — each rule on small hand-made data."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from reportgen.chapters.business.analysis import business_profile
from reportgen.chapters.measurement.stats import stratified_proportion_difference
from reportgen.chapters.segments.rfm import PRIOR_GAPS, own_rhythm
from reportgen.config import EconomicsConfig, HoldOutOptions, PlaybookEntry
from reportgen.playbook.audience import select_audience
from reportgen.playbook.control import (
    CONTROL,
    KEY_ACCOUNT,
    controls_needed,
    hold_out_plan,
    minimum_detectable_effect,
    with_groups,
)
from reportgen.playbook.economics import play_economics

Z_975, Z_80 = 1.959963984540054, 0.8416212335729143


# --- power -----------------------------------------------------------------------------------

def test_the_minimum_detectable_effect_is_the_closed_form() -> None:
    # (z(0.975) + z(0.8)) x sqrt(p (1 - p) (1/n1 + 1/n0)), by hand for 400 and 400 at p = 0.5:
    # 2.8015852 x sqrt(0.25 x 2 / 400) = 0.0990505.
    assert minimum_detectable_effect(400, 400, 0.5) == pytest.approx(0.0990505, abs=1e-6)
    assert minimum_detectable_effect(900, 100, 0.2) == pytest.approx(
        (Z_975 + Z_80) * math.sqrt(0.2 * 0.8 * (1 / 900 + 1 / 100)))
    assert minimum_detectable_effect(0, 100, 0.2) is None
    # The textbook sample size for 0.5 against 0.6 (equal groups, the baseline's variance):
    # n = (z_a + z_b)^2 x 2 p (1 - p) / d^2 = 7.8489 x 0.5 / 0.01 = 392.4 -> 393 per group.
    assert minimum_detectable_effect(393, 393, 0.5) <= 0.1 < minimum_detectable_effect(392, 392, 0.5)  # type: ignore[operator]


def test_at_the_minimum_detectable_effect_the_test_has_the_power() -> None:
    # The two-sided z test's power at the effect, from the normal distribution: 80 %.
    n1, n0, p = 1_800, 200, 0.3
    effect = minimum_detectable_effect(n1, n0, p)
    assert effect is not None
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    power = norm.cdf(effect / se - Z_975) + norm.cdf(-effect / se - Z_975)
    assert power == pytest.approx(0.8, abs=1e-4)
    # And by simulation of the experiment (contact buying at p + effect, control at p).
    rng = np.random.default_rng(7)
    buyers1 = rng.binomial(n1, p + effect, 20_000) / n1
    buyers0 = rng.binomial(n0, p, 20_000) / n0
    detected = np.abs(buyers1 - buyers0) / se > Z_975
    assert detected.mean() == pytest.approx(0.8, abs=0.03)


def test_the_control_group_is_the_smallest_that_reaches_the_power() -> None:
    options = HoldOutOptions()
    needed = controls_needed(2_000, 0.08, 0.3, options)
    assert needed is not None
    assert minimum_detectable_effect(2_000 - needed, needed, 0.3) <= 0.08  # type: ignore[operator]
    assert minimum_detectable_effect(2_000 - needed + 1, needed - 1, 0.3) > 0.08  # type: ignore[operator]
    # Beyond max_share (25 %) of the list, none does.
    assert controls_needed(100, 0.05, 0.3, options) is None


def test_plans_raise_pool_or_skip_the_hold_out_and_say_so() -> None:
    options = HoldOutOptions()
    plain = hold_out_plan(5_000, 0, 0.1, 0.10, 0.3, options)
    assert plain.controls == 500 and plain.note == "10% of the list"
    raised = hold_out_plan(1_000, 0, 0.1, 0.10, 0.3, options)
    assert 100 < raised.controls <= 250 and raised.note.startswith("raised from 10%")
    assert raised.minimum_detectable_effect <= 0.10  # type: ignore[operator]
    pooled = hold_out_plan(300, 0, 0.1, 0.10, 0.3, options)
    assert pooled.controls == 30 and "pooled" in pooled.note
    skipped = hold_out_plan(300, 2, 0.1, 0.005, 0.3, options)
    assert skipped.controls == 0 and skipped.key_accounts == 2
    assert "no control group, everyone is contacted" in skipped.note
    off = hold_out_plan(300, 0, 0.0, 0.10, 0.3, options)
    assert off.controls == 0 and "off" in off.note


# --- stratified control groups -------------------------------------------------------------------

def skewed_audience(size: int, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"customer_id": [f"c{i:04d}" for i in range(size)],
                         "clv": rng.lognormal(6.0, 1.5, size)})


@pytest.mark.parametrize("size", [150, 400, 2_000])
def test_a_stratified_split_balances_value(size: int) -> None:
    audience = skewed_audience(size)
    grouped = with_groups(audience, "uk", "2011-11", "winback", 0.1, value="clv")
    control = grouped.filter(pl.col("group") == CONTROL)
    contact = grouped.filter(pl.col("group") != CONTROL)
    assert abs(control.height - 0.1 * size) <= 1
    # The issue asks for 15 %; re-randomisation aims at 5 % and, on a list this skewed (the top
    # customer worth 40 times the median), gets within 10 % at worst.
    assert abs(control["clv"].mean() / contact["clv"].mean() - 1) <= 0.10  # type: ignore[operator]
    # Every value decile holds controls in proportion.
    per_stratum = grouped.group_by("stratum").agg((pl.col("group") == CONTROL).sum().alias("n"),
                                                  pl.len().alias("size"))
    assert per_stratum.height == 10
    assert ((per_stratum["n"] - 0.1 * per_stratum["size"]).abs() <= 1.5).all()
    # Reproducible, and different in another month.
    again = with_groups(audience, "uk", "2011-11", "winback", 0.1, value="clv")
    assert again.equals(grouped)
    other = with_groups(audience, "uk", "2011-12", "winback", 0.1, value="clv")
    assert not other["group"].equals(grouped["group"])


def test_an_unstratified_draw_of_the_same_list_is_far_less_balanced() -> None:
    # The comparison the stratification is for: a plain 10 % draw by hash, many lists.
    from reportgen.playbook.control import uniform_draw
    gaps_plain, gaps_stratified = [], []
    for seed in range(20):
        audience = skewed_audience(300, seed)
        plain = [uniform_draw("u", "p", f"a{seed}", c) < 0.1 for c in audience["customer_id"]]
        values = audience["clv"].to_numpy()
        held = np.array(plain)
        gaps_plain.append(abs(values[held].mean() / values[~held].mean() - 1))
        grouped = with_groups(audience, "u", "p", f"a{seed}", 0.1, value="clv")
        held = (grouped["group"] == CONTROL).to_numpy()
        values = grouped["clv"].to_numpy()
        gaps_stratified.append(abs(values[held].mean() / values[~held].mean() - 1))
    assert max(gaps_stratified) <= 0.10 and np.median(gaps_stratified) <= 0.05
    assert max(gaps_plain) > 0.3  # a plain draw of 30 customers can miss by a third or more
    assert np.median(gaps_plain) > 3 * np.median(gaps_stratified)


def test_key_accounts_are_never_held_out() -> None:
    audience = skewed_audience(200)
    top = audience.sort("clv", descending=True)["customer_id"].head(5).to_list()
    grouped = with_groups(audience, "uk", "2011-11", "loyalty", 0.5, value="clv",
                          never=frozenset(top))
    keyed = grouped.filter(pl.col("customer_id").is_in(top))
    assert set(keyed["group"]) == {KEY_ACCOUNT} and keyed["stratum"].null_count() == 5
    assert grouped.height == 200 and grouped["customer_id"].is_unique().all()


def test_a_stratified_difference_by_hand() -> None:
    # Two strata: (contact 8/10 bought, control 1/2) and (contact 2/20, control 0/4).
    difference, (low, high) = stratified_proportion_difference([(8, 10, 1, 2), (2, 20, 0, 4)],
                                                               0.9)
    weights = (12 / 36, 24 / 36)
    assert difference == pytest.approx(weights[0] * (0.8 - 0.5) + weights[1] * (0.1 - 0.0))
    shrunk = [((8.5 / 11), 10, (1.5 / 3), 2), ((2.5 / 21), 20, (0.5 / 5), 4)]
    variance = sum(w * w * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
                   for w, (p1, n1, p0, n0) in zip(weights, shrunk, strict=True))
    assert high - difference == pytest.approx(1.6448536 * math.sqrt(variance), rel=1e-6)
    assert difference - low == pytest.approx(high - difference)


# --- economics ---------------------------------------------------------------------------------

def entry(**fields: object) -> PlaybookEntry:
    values: dict[str, object] = {"id": "play", "title": "Play", "trigger": "kpi.orders > 0",
                                 "evidence": "e", "action": "a"}
    values.update(fields)
    return PlaybookEntry.model_validate(values)


CONTACTED = pl.DataFrame({"customer_id": ["a", "b"], "clv": [1_000.0, 500.0],
                          "monetary": [600.0, 300.0], "frequency": [3, 1],
                          "p_buy_90d": [0.2, 0.6]})
ECONOMICS = EconomicsConfig.model_validate({
    "gross_margin": 0.4, "contact_cost": {"email": 0.5, "call": 10.0}, "coupon_share": 0.1,
    "campaign_cost": 20.0})


def test_a_retain_play_with_an_offer_by_hand() -> None:
    play = entry(effect="retain", coupon=True, channel="call", response=0.2)
    result = play_economics(play, CONTACTED, 0.2, "assumed", "p_buy_90d", ECONOMICS)
    # Value at risk: 1,000 x 0.8 + 500 x 0.4 = 1,000; revenue added 0.2 x 1,000 = 200.
    assert result.base_value == pytest.approx(1_000.0)
    assert result.expected_incremental_value == pytest.approx(200.0)
    # Discount: on responders' orders, 0.1 x 0.2 x (0.8 x 200 + 0.4 x 300) = 5.6, and on the
    # orders of those who buy anyway, 0.1 x (0.2 x 200 + 0.6 x 300) = 22; calls 2 x 10; fixed 20.
    assert result.coupon_cost == pytest.approx(27.6)
    assert result.cost == pytest.approx(67.6)
    assert result.expected_incremental_profit == pytest.approx(0.4 * 200 - 67.6)
    # Break-even: r x (0.4 x 1,000 - 0.1 x 280) = 20 + 20 + 22 -> r = 62 / 372.
    assert result.break_even_response == pytest.approx(62 / 372)
    again = play_economics(play, CONTACTED, result.break_even_response, "assumed",  # type: ignore[arg-type]
                           "p_buy_90d", ECONOMICS)
    assert again.expected_incremental_profit == pytest.approx(0.0, abs=1e-9)
    assert result.margin_label == "set for this unit" and result.cost_label == "set for this unit"
    by_letter = play_economics(entry(effect="retain", channel="letter"), CONTACTED, 0.2,
                               "assumed", "p_buy_90d", ECONOMICS)
    assert by_letter.contact_cost == pytest.approx(2 * 1.2)  # the default letter: assumed
    assert by_letter.cost_label == "partly assumed"


def test_an_uplift_play_uses_response_times_uplift() -> None:
    play = entry(effect="uplift", response=0.2, uplift=0.15)
    result = play_economics(play, CONTACTED, 0.2, "assumed", None, EconomicsConfig())
    assert result.value_factor == pytest.approx(0.03)
    assert result.expected_incremental_value == pytest.approx(0.03 * 1_500)
    assert result.cost == pytest.approx(2 * 0.05 + 250)  # defaults: email 0.05, campaign 250
    assert result.margin_label == "assumed" and result.cost_label == "assumed"
    # 0.3 x 45 - 250.1 < 0, and no response up to 1 pays: 0.3 x 225 < 250.1.
    assert result.expected_incremental_profit < 0 and result.break_even_response is None


# --- rhythm, onboarding, business --------------------------------------------------------------

def orders_of(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame({"customer_id": [c for c, _ in rows],
                         "invoice_date": [datetime.fromisoformat(d) for _, d in rows]})


def test_a_customers_usual_gap_is_their_own_shrunk_to_their_segments() -> None:
    orders = orders_of([("a", "2024-01-01"), ("a", "2024-01-11"), ("a", "2024-01-21"),
                        ("a", "2024-01-31"), ("a", "2024-02-10"),  # 4 gaps of 10 days
                        ("b", "2024-01-01"), ("b", "2024-03-01"),  # 1 gap of 60 days
                        ("c", "2024-02-01")])  # one day
    customers = pl.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["x", "x", "x"]})
    gaps = dict(own_rhythm(customers, orders, datetime(2024, 4, 1), 30).iter_rows())
    segment = (10 + 60) / 2  # the median of the segment's own gaps
    assert PRIOR_GAPS == 2
    assert gaps["a"] == pytest.approx((4 * 10 + 2 * segment) / 6, abs=0.05)
    assert gaps["b"] == pytest.approx((1 * 60 + 2 * segment) / 3, abs=0.05)
    assert gaps["c"] == pytest.approx(segment)
    # A segment where no one bought twice takes the unit's gap.
    alone = pl.DataFrame({"customer_id": ["c"], "segment": ["y"]})
    assert own_rhythm(alone, orders, datetime(2024, 4, 1), 30)["usual_gap_days"][0] == 30


def test_win_backs_take_only_overdue_customers_unlikely_to_buy_on_their_own() -> None:
    table = pl.DataFrame({
        "customer_id": ["weekly-11d", "weekly-30d", "monthly-30d", "likely"],
        "segment": ["at_risk"] * 4, "recency_days": [11, 30, 30, 200],
        "usual_gap_days": [7.0, 7.0, 30.0, 30.0], "p_buy_90d": [0.4, 0.4, 0.4, 0.9]})
    audience = select_audience(table, entry(audience={"lapsing": True, "overdue": True,
                                                      "max_p_buy_90d": 0.6}).audience,
                               ["at_risk"], overdue_factor=1.5)
    # 11 days is 1.6 weekly gaps (overdue); 30 days is one monthly gap (not); "likely" is
    # overdue but 90 % likely to buy anyway.
    assert audience["customer_id"].to_list() == ["weekly-11d", "weekly-30d"]


def test_onboarding_takes_only_first_orders_ever_with_one_order() -> None:
    table = pl.DataFrame({"customer_id": ["new", "new-busy", "old"], "segment": ["x"] * 3,
                          "first_purchase_in_period": [True, True, False],
                          "frequency": [1, 6, 1]})
    audience = select_audience(table, entry(audience={"first_purchase_in_period": True,
                                                      "max_orders": 1}).audience, [])
    assert audience["customer_id"].to_list() == ["new"]


def profile_inputs(units: int, products: int, gap_days: int
                   ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    days = [datetime(2024, 1, 1 + i * gap_days) for i in range(4)] if gap_days < 10 else \
        [datetime(2024, 1 + i * gap_days // 30, 1) for i in range(4)]
    orders = pl.DataFrame({"customer_id": ["a"] * 4, "invoice_date": days,
                           "products": [products] * 4, "revenue": [100.0] * 4})
    lines = pl.DataFrame({"customer_id": ["a"] * products,
                          "stock_code": [f"p{i}" for i in range(products)],
                          "quantity": [units * 4] * products, "lines": [4] * products})
    return orders, lines, pl.DataFrame({"stock_code": []}, schema={"stock_code": pl.String})


def test_the_business_profile_is_inferred_from_shapes_not_currency() -> None:
    wholesale = business_profile(*profile_inputs(12, 20, 60), datetime(2025, 1, 1), "auto")
    assert wholesale.profile == "wholesale" and wholesale.inferred
    assert "inferred wholesale" in wholesale.explanation
    # A weekly grocery basket of many products is a consumer's.
    grocery = business_profile(*profile_inputs(2, 20, 7), datetime(2025, 1, 1), "auto")
    assert grocery.profile == "consumer"
    weekly_cases = business_profile(*profile_inputs(12, 20, 7), datetime(2025, 1, 1), "auto")
    assert weekly_cases.profile == "consumer"  # a weekly rhythm is a household's
    single = business_profile(*profile_inputs(1, 1, 60), datetime(2025, 1, 1), "auto")
    assert single.profile == "consumer"
    forced = business_profile(*profile_inputs(1, 1, 60), datetime(2025, 1, 1), "wholesale")
    assert forced.profile == "wholesale" and not forced.inferred
    assert "set to wholesale" in forced.explanation
