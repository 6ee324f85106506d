"""Measured response: contact against control by hand, simulated campaigns with a known
uplift, windows, what cannot be read, measured responses, and the campaign log's commands."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import run_cli

from reportgen.chapters.measurement.analysis import (
    add_months,
    measured_responses,
    measurement_analysis,
)
from reportgen.chapters.measurement.stats import (
    mean_difference_interval,
    proportion_difference_interval,
)
from reportgen.config import MeasurementConfig
from reportgen.outputs.campaigns import (
    EarlierLists,
    PublishedList,
    earlier_action_lists,
    read_campaign_log,
)
from reportgen.period import Period
from reportgen.playbook.control import with_groups

OCTOBER, NOVEMBER, DECEMBER = Period(2011, 10), Period(2011, 11), Period(2011, 12)


def purchases(*rows: tuple[str, str, float]) -> pl.DataFrame:
    """Clean purchase lines from (customer, day, revenue)."""
    return pl.DataFrame({
        "customer_id": [r[0] for r in rows],
        "invoice_date": [datetime.fromisoformat(r[1]) for r in rows],
        "revenue": [float(r[2]) for r in rows],
    }, schema={"customer_id": pl.String, "invoice_date": pl.Datetime("us"),
               "revenue": pl.Float64})


def published(play: str, contact: list[str], control: list[str], sent: date | None = None,
              period: Period = OCTOBER, has_groups: bool = True) -> PublishedList:
    groups = pl.DataFrame({"customer_id": contact + control,
                           "group": ["contact"] * len(contact) + ["control"] * len(control)})
    return PublishedList(period, play, play.replace("_", " "), groups, has_groups, sent)


def test_contact_against_control_by_hand() -> None:
    data = purchases(
        ("c1", "2011-11-03", 10), ("c1", "2011-11-20", 20), ("c2", "2011-11-15", 30),
        ("c3", "2011-10-20", 99),  # before the window
        ("k1", "2011-11-08", 5), ("c9", "2011-10-01", 1),
    )
    lists = EarlierLists((published("winback", ["c1", "c2", "c3", "c4"], ["k1", "k2"]),))
    result = measurement_analysis(data, lists, NOVEMBER, "uk", MeasurementConfig(min_group=2))
    [campaign] = result.campaigns
    assert campaign.start == datetime(2011, 11, 1) and not campaign.carried_out
    assert campaign.measured_until == datetime(2011, 12, 1)
    assert campaign.window_end == datetime(2012, 2, 1) and not campaign.complete
    assert (campaign.contact.customers, campaign.contact.buyers, campaign.contact.revenue) == (
        4, 2, 60.0)
    assert (campaign.control.customers, campaign.control.buyers, campaign.control.revenue) == (
        2, 1, 5.0)
    assert campaign.response_difference == pytest.approx(0.0)
    low, high = campaign.response_interval  # type: ignore[misc]
    assert low == pytest.approx(-high) and 0 < high < 1  # equal shares: symmetric about 0
    assert campaign.revenue_difference == pytest.approx(60 / 4 - 5 / 2)
    assert campaign.incremental_revenue == pytest.approx((15 - 2.5) * 4)
    assert campaign.not_in_data == 2  # c4 and k2 never bought (c3 bought, before the window)


def test_a_marked_campaign_is_measured_from_its_date_for_its_window() -> None:
    data = purchases(("c1", "2011-11-04", 10), ("c2", "2011-11-06", 10), ("k1", "2012-03-01", 7))
    lists = EarlierLists((published("winback", ["c1", "c2"], ["k1", "k2"],
                                    sent=date(2011, 11, 5)),))
    params = MeasurementConfig(min_group=2, window_months=3)
    result = measurement_analysis(data, lists, Period(2012, 2), "uk", params)
    [campaign] = result.campaigns
    assert campaign.carried_out and campaign.start == datetime(2011, 11, 5)
    assert campaign.window_end == datetime(2012, 2, 5) and campaign.complete
    assert campaign.contact.buyers == 1  # c1's purchase came the day before
    assert campaign.control.buyers == 0  # k1 bought after the window
    # the month after the window ended, it is no longer shown
    later = measurement_analysis(data, lists, Period(2012, 3), "uk", params)
    assert later.campaigns == ()
    # a campaign dated after this report's month is not measured yet
    early = measurement_analysis(data, lists, OCTOBER, "uk", params)
    assert early.campaigns == ()


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(datetime(2011, 11, 30), 3) == datetime(2012, 2, 29)
    assert add_months(datetime(2011, 12, 1, 6), 1) == datetime(2012, 1, 1, 6)


def simulated_campaign(uplift: float, customers: int, seed: int) -> tuple[pl.DataFrame,
                                                                         PublishedList]:
    """An audience of which 10 % is held out (the real draw); each customer buys in November
    with chance 0.2, plus `uplift` if contacted; a buyer spends Gamma(2, 25) (mean 50)."""
    rng = np.random.default_rng(seed)
    ids = [f"s{seed}-{n}" for n in range(customers)]
    groups = with_groups(pl.DataFrame({"customer_id": ids}), "sim", str(OCTOBER),
                         f"play{seed}", 0.1)
    contacted = (groups["group"] == "contact").to_numpy()
    buys = rng.random(customers) < 0.2 + uplift * contacted
    spend = rng.gamma(2.0, 25.0, customers)
    rows = [(ids[n], "2011-11-15", float(spend[n])) for n in np.flatnonzero(buys)]
    return purchases(*rows), PublishedList(OCTOBER, f"play{seed}", "play", groups, True, None)


def test_a_known_uplift_is_recovered_within_its_interval() -> None:
    data, campaign_list = simulated_campaign(0.08, 20_000, seed=1)
    params = MeasurementConfig(bootstrap_samples=1_000)
    [campaign] = measurement_analysis(data, EarlierLists((campaign_list,)), NOVEMBER, "uk",
                                      params).campaigns
    low, high = campaign.response_interval  # type: ignore[misc]
    assert low < 0.08 < high and low > 0  # significant, and covers the truth
    low, high = campaign.revenue_interval  # type: ignore[misc]
    assert low < 0.08 * 50 < high and campaign.significant


def test_the_intervals_cover_the_truth_about_as_often_as_they_say() -> None:
    """Forty campaigns without any effect: the 90 % intervals should cover zero about 36
    times (binomial(40, 0.9): 30 to 40 is beyond 3 sd below only when they are too narrow)."""
    params = MeasurementConfig(bootstrap_samples=400)
    covered_response = covered_revenue = 0
    for seed in range(40):
        data, campaign_list = simulated_campaign(0.0, 2_000, seed=100 + seed)
        [campaign] = measurement_analysis(data, EarlierLists((campaign_list,)), NOVEMBER, "uk",
                                          params).campaigns
        low, high = campaign.response_interval  # type: ignore[misc]
        covered_response += low <= 0 <= high
        low, high = campaign.revenue_interval  # type: ignore[misc]
        covered_revenue += low <= 0 <= high
    assert 30 <= covered_response <= 40
    assert 30 <= covered_revenue <= 40


def test_the_difference_of_shares_interval_matches_newcombes_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II: 56/70 against 48/80, 95 %
    # hybrid score interval 0.0524 to 0.3339.
    low, high = proportion_difference_interval(56, 70, 48, 80, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    # A small control group with no buyer is not certainty: the normal approximation would
    # say 0.246 to 0.380 (the control's 0/12 counted as exact); the score interval is wider
    low, high = proportion_difference_interval(41, 131, 0, 12, 0.9)
    assert low < 0.12 and high > 0.38


def test_the_bootstrap_interval_is_that_of_the_difference_of_means() -> None:
    rng = np.random.default_rng(4)
    first, second = rng.normal(10, 2, 4_000), rng.normal(9, 2, 4_000)
    low, high = mean_difference_interval(first, second, 0.9, 2_000, seed=1)
    centre, half = first.mean() - second.mean(), 1.6449 * math.sqrt(4 / 4_000 + 4 / 4_000)
    assert low == pytest.approx(centre - half, abs=0.02)
    assert high == pytest.approx(centre + half, abs=0.02)
    assert (low, high) == mean_difference_interval(first, second, 0.9, 2_000, seed=1)


def test_lists_without_a_control_group_or_too_small_are_not_compared() -> None:
    data = purchases(("c1", "2011-11-03", 10))
    old = published("old_list", ["c1", "c2"], [], has_groups=False)
    tiny = published("tiny", ["c1"] * 1 + ["c2"], ["k1"])
    result = measurement_analysis(data, EarlierLists((old, tiny)), NOVEMBER, "uk",
                                  MeasurementConfig())
    notes = {c.play: c.note for c in result.campaigns}
    assert "before control groups" in (notes["old_list"] or "")
    assert "fewer than 10 customers" in (notes["tiny"] or "")
    assert all(c.response_interval is None and c.incremental_revenue is None
               for c in result.campaigns)


def test_measured_responses_pool_complete_campaigns_that_were_carried_out() -> None:
    data, first = simulated_campaign(0.1, 5_000, seed=7)
    more, second = simulated_campaign(0.1, 5_000, seed=8)
    lists = [
        PublishedList(OCTOBER, "winback", "Win back", first.groups, True, date(2011, 11, 1)),
        PublishedList(OCTOBER, "winback", "Win back", second.groups, True, date(2011, 11, 1)),
        PublishedList(OCTOBER, "natural", "Not sent", first.groups, True, None),
    ]
    params = MeasurementConfig(window_months=1, bootstrap_samples=200)
    result = measurement_analysis(pl.concat([data, more]), EarlierLists(tuple(lists)),
                                  NOVEMBER, "uk", params)
    done = [c for c in result.campaigns if c.play == "winback"]
    assert all(c.complete for c in done)
    measured = result.measured_responses
    assert set(measured) == {"winback"}  # the list not carried out is not a campaign
    weights = [c.contact.customers for c in done]
    pooled = sum(w * (c.response_difference or 0) for w, c in zip(weights, done, strict=True))
    anyway = sum(w * c.control.response for w, c in zip(weights, done, strict=True))
    assert measured["winback"].uplift == pytest.approx(pooled / sum(weights))
    # The playbook's response: the extra buyers among those who would not have bought. The
    # simulation adds 0.1 to a chance of 0.2: a response of 0.1 / 0.8 = 0.125.
    assert measured["winback"].response == pytest.approx(
        (pooled / sum(weights)) / (1 - anyway / sum(weights)))
    assert measured["winback"].campaigns == 2 and 0.08 < measured["winback"].response < 0.17
    # one campaign is not enough; an open window does not count
    assert measured_responses(done[:1], 2) == {}
    still_open = measurement_analysis(pl.concat([data, more]), EarlierLists(tuple(lists)),
                                      NOVEMBER, "uk", MeasurementConfig(window_months=3))
    assert still_open.measured_responses == {}


def test_a_list_drawn_in_value_strata_is_compared_stratum_by_stratum() -> None:
    # Stratum 1 (high value): 4 contacted, 3 bought; 2 controls, 1 bought. Stratum 2: 6
    # contacted, 1 bought; 2 controls, 0 bought. A whole-list comparison would mix them.
    groups = pl.DataFrame({
        "customer_id": [f"h{n}" for n in range(6)] + [f"l{n}" for n in range(8)],
        "group": ["contact"] * 4 + ["control"] * 2 + ["contact"] * 6 + ["control"] * 2,
        "stratum": [1] * 6 + [2] * 8})
    data = purchases(("h0", "2011-11-03", 100), ("h1", "2011-11-03", 100),
                     ("h2", "2011-11-03", 100), ("h4", "2011-11-03", 60),
                     ("l0", "2011-11-03", 10))
    lists = EarlierLists((PublishedList(OCTOBER, "play", "Play", groups, True, None),))
    [campaign] = measurement_analysis(data, lists, NOVEMBER, "uk",
                                      MeasurementConfig(min_group=2)).campaigns
    weights = (6 / 14, 8 / 14)
    assert campaign.response_difference == pytest.approx(
        weights[0] * (3 / 4 - 1 / 2) + weights[1] * (1 / 6 - 0))
    assert campaign.revenue_difference == pytest.approx(
        weights[0] * (300 / 4 - 60 / 2) + weights[1] * (10 / 6 - 0))
    low, high = campaign.response_interval  # type: ignore[misc]
    assert low < campaign.response_difference < high
    # Key accounts, never drawn, are left out of the comparison.
    keyed = groups.vstack(pl.DataFrame({"customer_id": ["key"], "group": ["contact_key_account"],
                                        "stratum": [None]}, schema=groups.schema))
    lists = EarlierLists((PublishedList(OCTOBER, "play", "Play", keyed, True, None),))
    [with_key] = measurement_analysis(data, lists, NOVEMBER, "uk",
                                      MeasurementConfig(min_group=2)).campaigns
    assert with_key.contact.customers == 10 and with_key.response_difference == pytest.approx(
        campaign.response_difference)


def write_list(folder: Path, play: str, rows: str) -> None:
    (folder / "actions").mkdir(parents=True, exist_ok=True)
    (folder / "actions" / f"{play}.csv").write_text(rows)
    (folder / "manifest.json").write_text(json.dumps(
        {"recommendations": [{"id": play, "title": f"Title of {play}"}]}))


def test_earlier_lists_are_read_with_their_campaign_dates_and_problems(tmp_path: Path) -> None:
    unit = tmp_path / "uk"
    write_list(unit / "2011-08", "winback", "customer_id,group\n1,contact\n2,control\n")
    write_list(unit / "2011-10", "winback", "customer_id,group\n1,contact\n")
    (unit / "2011-10" / "actions" / "broken.csv").write_bytes(b"customer_id\n\"unterminated")
    write_list(unit / "2011-07", "legacy", "customer_id,segment\n3,at_risk\n")
    (unit / "campaigns.yaml").write_text(
        "campaigns:\n  - {period: 2011-10, play: winback, sent: 2011-11-04}\n")
    found = earlier_action_lists(tmp_path, "uk", NOVEMBER, 4)
    by_key = {(str(p.period), p.play): p for p in found.lists}
    assert set(by_key) == {("2011-07", "legacy"), ("2011-08", "winback"),
                           ("2011-10", "winback")}
    assert by_key[("2011-10", "winback")].sent == date(2011, 11, 4)
    assert by_key[("2011-10", "winback")].title == "Title of winback"
    assert by_key[("2011-08", "winback")].sent is None
    legacy = by_key[("2011-07", "legacy")]
    assert not legacy.has_control_column and set(legacy.groups["group"]) == {"contact"}
    assert any("No report is published for September 2011" in p for p in found.problems)
    assert any("broken.csv could not be read" in p for p in found.problems)
    # a campaign log that cannot be read is a line, not a failure
    (unit / "campaigns.yaml").write_text("campaigns: [{period: 2011-13}]\n")
    found = earlier_action_lists(tmp_path, "uk", NOVEMBER, 4)
    assert any("every list is measured as not carried out" in p for p in found.problems)
    assert all(p.sent is None for p in found.lists)


def test_the_campaign_commands_write_list_and_refuse_what_is_not_published(
        tmp_path: Path) -> None:
    write_list(tmp_path / "uk" / "2011-10", "winback", "customer_id,group\n1,contact\n"
               "2,control\n")
    output = str(tmp_path)
    marked = run_cli("campaigns", "mark", "uk", "2011-10", "winback", "--sent", "2011-11-03",
                     "--output", output)
    assert marked.returncode == 0, marked.stderr
    assert read_campaign_log(tmp_path / "uk" / "campaigns.yaml") == {
        ("2011-10", "winback"): date(2011, 11, 3)}
    listed = run_cli("campaigns", "list", "uk", "--output", output)
    assert "winback" in listed.stdout and "2011-11-03" in listed.stdout
    unknown = run_cli("campaigns", "mark", "uk", "2011-10", "nurture", "--sent", "2011-11-03",
                      "--output", output)
    assert unknown.returncode == 2 and "published lists of 2011-10: winback" in unknown.stderr
    early = run_cli("campaigns", "mark", "uk", "2011-10", "winback", "--sent", "2011-10-15",
                    "--output", output)
    assert early.returncode == 2 and "before the list existed" in early.stderr
    bad_date = run_cli("campaigns", "mark", "uk", "2011-10", "winback", "--sent", "3/11/2011",
                       "--output", output)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    assert run_cli("campaigns", "unmark", "uk", "2011-10", "winback",
                   "--output", output).returncode == 0
    assert read_campaign_log(tmp_path / "uk" / "campaigns.yaml") == {}
    assert run_cli("campaigns", "unmark", "uk", "2011-10", "winback",
                   "--output", output).returncode == 2


def test_a_customer_who_left_the_data_counts_as_not_buying() -> None:
    data = purchases(*[(f"c{n}", "2011-11-02", 10) for n in range(12)],
                     *[(f"k{n}", "2011-11-02", 10) for n in range(10)])
    contact = [f"c{n}" for n in range(15)]  # c12-c14 are in no purchase of this data
    lists = EarlierLists((published("winback", contact, [f"k{n}" for n in range(10)]),))
    [campaign] = measurement_analysis(data, lists, NOVEMBER, "uk",
                                      MeasurementConfig()).campaigns
    assert campaign.not_in_data == 3 and campaign.contact.buyers == 12
    assert campaign.contact.response == pytest.approx(12 / 15)


def test_measurement_keeps_to_the_months_window_and_orders_newest_first() -> None:
    data = purchases(("c1", "2011-11-02", 10))
    lists = EarlierLists(tuple(
        published(play, ["c1"], ["k1"], period=month)
        for month in (Period(2011, 7), Period(2011, 8), OCTOBER)
        for play in ("b_play", "a_play")))
    result = measurement_analysis(data, lists, NOVEMBER, "uk", MeasurementConfig())
    # July's window (Aug-Oct) ended before November; August's (Sep-Nov) ends with it
    assert [(str(c.period), c.play) for c in result.campaigns] == [
        ("2011-10", "a_play"), ("2011-10", "b_play"), ("2011-08", "a_play"),
        ("2011-08", "b_play")]
    assert result.months == (OCTOBER, Period(2011, 8))
    assert timedelta(0) < result.campaigns[-1].window_end - datetime(2011, 11, 1)
