"""On the public UCI Online Retail data (skipped when ../shared is absent)."""

from __future__ import annotations

import functools
import json
import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import (
    JARGON,
    LOW_INK,
    PROJECT_DIR,
    DraftRenderer,
    assert_only_single_day_buyers_lack_a_gap,
    before_the_appendix,
    inked_shares,
    pdf_pages,
    run_report,
)
from scipy.stats import spearmanr

from reportgen.chapters.movement.analysis import revenue_bridge
from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.chapters.suggestions.analysis import suggestion_backtest
from reportgen.config import SuggestionsConfig, load_unit_config
from reportgen.inputs.clean import (
    CleanTransactions,
    clean_lines,
    clean_transactions,
    exact_duplicate_count,
)
from reportgen.inputs.load import read_transactions
from reportgen.period import Period
from reportgen.report.render import Renderer

pytestmark = pytest.mark.real_data
UK = PROJECT_DIR / "config" / "uk.yaml"


@pytest.fixture(scope="module")
def all_countries(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("uci")
    config = folder / "all.yaml"
    config.write_text(
        f"unit: all\ntitle: All countries\ncurrency: GBP\nsource:\n  path: {shared_data}\n"
    )
    return config


@pytest.fixture(scope="module")
def uk_to_november(shared_data: Path) -> CleanTransactions:
    """The UK unit cleaned up to the end of November 2011 (shared by the reference checks)."""
    config = load_unit_config(UK)
    return clean_transactions(read_transactions(config), Period(2011, 11).analysis_date,
                              config.cleaning)


def test_loader_reproduces_the_public_figures(all_countries: Path) -> None:
    loaded = read_transactions(load_unit_config(all_countries))
    frame = loaded.transactions
    assert loaded.rows_read == frame.height == 541_909
    assert loaded.malformed_rows == 0
    assert frame["customer_id"].drop_nulls().n_unique() == 4_372
    assert frame["invoice"].n_unique() == 25_900
    assert frame["country"].n_unique() == 38
    assert exact_duplicate_count(frame) == 5_268


@pytest.mark.slow
def test_suggestions_beat_popularity_by_half_on_the_issue_protocol(all_countries: Path) -> None:
    """Issue 16's protocol: learn from purchases before 1 Oct 2011, check against the products
    each customer bought for the first time in October-November 2011."""
    config = load_unit_config(all_countries)
    clean = clean_transactions(read_transactions(config), datetime(2011, 12, 1), config.cleaning)
    backtest = suggestion_backtest(clean.customer_products, Period(2011, 11),
                            SuggestionsConfig(backtest_months=2), "auto")
    assert not isinstance(backtest, str)
    assert backtest.learned_until == datetime(2011, 10, 1) and backtest.customers > 1_500
    assert backtest.method.method == "ease"
    assert backtest.method.hit_rate >= 0.45
    assert backtest.method.hit_rate >= 1.4 * backtest.popularity.hit_rate
    assert backtest.method.precision > backtest.popularity.precision
    assert backtest.method.recall > backtest.popularity.recall
    assert backtest.buy_again_hit_rate is not None and backtest.buy_again_hit_rate >= 0.8


@pytest.mark.slow  # cleans all 541,909 rows
def test_the_huge_cancelled_order_is_netted_out(all_countries: Path) -> None:
    config = load_unit_config(all_countries)
    source = read_transactions(config)
    clean = clean_transactions(source, datetime(2012, 1, 1), config.cleaning)
    # The 80,995-unit order cancelled minutes later is a keying mistake set aside with its
    # cancellation, and no customer's purchases of the product hold it (one cleaning pass).
    mistake = clean.entry_errors.filter(pl.col("quantity") == 80_995)
    assert mistake.select("invoice", "cancellation_invoice", "reason").rows() == [
        ("581483", "C581484", "cancelled")]
    assert clean.customer_products.filter(pl.col("stock_code") == "23843",
                                          pl.col("quantity") >= 80_995).is_empty()
    netted = next(e for e in clean.log if e.rule.startswith("Purchase netted out"))
    assert netted.revenue > 168_000


@functools.cache
def reference_purchases(path: Path, analysis_date: datetime, country: str
                        ) -> tuple[tuple[datetime, str, str | None, float], ...]:
    """SPEC.md's cleaning written again as plain Python over rows (the rules' codes and
    patterns are the unit's configuration; the matching is Python's own): the purchase lines
    kept, as (time, invoice, customer or None, revenue)."""
    cleaning = load_unit_config(UK).cleaning

    @functools.cache
    def non_product(code: str, description: str | None) -> bool:
        return any(code.upper() in {c.upper() for c in rule.codes}
                   or any(re.search(p, code) for p in rule.code_patterns)
                   or (description is not None
                       and any(re.search(p, description) for p in rule.descriptions))
                   for rule in cleaning.non_product_rules())

    columns = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
               "CustomerID", "Country"]
    seen = set()
    purchases, cancellations = [], []
    # Rows as tuples of Python values (datetime, str, int, float), in the file's order.
    rows = pl.read_parquet(path, columns=columns).rows()
    prefix = (cleaning.cancellation_prefix or "").upper()
    for index, values in enumerate(rows):
        invoice, code, description, quantity, when, price, customer_id, row_country = values
        if row_country != country:
            continue
        if values in seen:
            continue
        seen.add(values)
        if when >= analysis_date or non_product(code, description):
            continue
        if not quantity or price <= 0:
            continue
        customer = None if customer_id is None else str(int(customer_id))
        line = (index, when, invoice, code, quantity, price, customer)
        if quantity < 0:
            cancellations.append(line)
        elif not (prefix and invoice.upper().startswith(prefix)):
            purchases.append(line)
    # Lines priced far above their product's usual price are suspected entry errors.
    prices = defaultdict(list)
    for line in purchases:
        prices[line[3]].append(line[5])
    catalogue = statistics.median(line[5] for line in purchases)
    errors = cleaning.entry_errors
    limits = {code: statistics.median(own) * errors.price_ratio if len(own) >= 4
              else catalogue * errors.catalogue_price_ratio for code, own in prices.items()}

    def usual(line: tuple) -> bool:
        return line[5] < limits.get(line[3], catalogue * errors.catalogue_price_ratio)

    purchases = [line for line in purchases if usual(line)]
    cancellations = [line for line in cancellations if usual(line)]
    open_by_key = defaultdict(list)
    for line in purchases:
        if line[6] is not None:
            open_by_key[(line[6], line[3], line[4])].append(line)
    # Each cancellation takes the latest earlier purchase not yet taken; it cancels that order
    # only within the cancellation window (later, the goods came back: the order stays).
    taken, netted = set(), set()
    window = timedelta(hours=cleaning.cancellation_window_hours or 1e9)
    for _, when, _, code, qty, _, customer in sorted(cancellations, key=lambda c: (c[1], c[0])):
        if customer is None:
            continue
        candidates = [p for p in open_by_key[(customer, code, -qty)]
                      if p[1] <= when and p[0] not in taken]
        if candidates:
            latest = max(candidates, key=lambda p: (p[1], p[0]))
            taken.add(latest[0])
            if when - latest[1] <= window:
                netted.add(latest[0])
    return tuple((when, invoice, customer, qty * price)
                 for index, when, invoice, _, qty, price, customer in purchases
                 if index not in netted)


def reference_rfm(path: Path, analysis_date: datetime, country: str) -> dict[str, tuple]:
    """SPEC.md's RFM over reference_purchases."""
    per_customer: dict[str, dict] = {}
    for when, invoice, customer, revenue in reference_purchases(path, analysis_date, country):
        if customer is None:
            continue
        entry = per_customer.setdefault(customer, {"last": when, "invoices": set(), "money": 0.0})
        entry["last"] = max(entry["last"], when)
        entry["invoices"].add(invoice)
        entry["money"] += revenue
    return {
        customer: ((analysis_date.date() - e["last"].date()).days, len(e["invoices"]), e["money"])
        for customer, e in per_customer.items()
    }


@pytest.mark.slow  # cleans the UK unit (shared with the reference checks)
def test_the_uk_cleaning_log_adds_up(uk_to_november: CleanTransactions) -> None:
    from inputs.test_clean import reconciles

    clean = uk_to_november
    other = next(e for e in clean.log if e.rule.startswith("Country not among"))
    assert other.rows == 46_431 and 1.5e6 < other.revenue < 1.6e6
    assert reconciles(clean)


@pytest.mark.slow
@pytest.mark.slow  # the reference walks the 541,909 rows in plain Python
def test_rfm_values_equal_an_independent_computation(shared_data: Path,
                                                    uk_to_november: CleanTransactions) -> None:
    config = load_unit_config(UK)
    period = Period(2011, 11)
    clean = uk_to_november
    ours = rfm_analysis(clean.orders, clean.return_orders, period.analysis_date, config.rfm)
    expected = reference_rfm(shared_data, period.analysis_date, "United Kingdom")
    table = {
        c: (r, f, m)
        for c, r, f, m in ours.customers.select(
            "customer_id", "recency_days", "frequency", "monetary").rows()
    }
    assert table.keys() == expected.keys()
    assert len(table) > 3_800
    for customer, (recency, frequency, monetary) in expected.items():
        assert table[customer][:2] == (recency, frequency), customer
        assert table[customer][2] == pytest.approx(monetary, rel=1e-9, abs=1e-6), customer


@pytest.mark.slow  # the reference walks the 541,909 rows in plain Python (shared with RFM's)
def test_the_revenue_bridge_equals_an_independent_computation(
        shared_data: Path, uk_to_november: CleanTransactions) -> None:
    period = Period(2011, 11)
    clean = uk_to_november
    bridge = revenue_bridge(clean.orders, period, period.shift(-1))
    # The reference: each customer's revenue in October and November, and their first month.
    months: dict[str | None, dict[tuple[int, int], float]] = defaultdict(lambda: defaultdict(float))
    first: dict[str, tuple[int, int]] = {}
    for when, _, customer, revenue in reference_purchases(shared_data, period.analysis_date,
                                                           "United Kingdom"):
        month = (when.year, when.month)
        months[customer][month] += revenue
        if customer is not None:
            first[customer] = min(first.get(customer, month), month)
    now, then = (2011, 11), (2011, 10)
    expected = dict.fromkeys(("new", "reactivated", "retained", "lost"), 0.0)
    for customer, revenue in months.items():
        if customer is None:
            continue
        if now in revenue and then in revenue:
            expected["retained"] += revenue[now] - revenue[then]
        elif then in revenue:
            expected["lost"] -= revenue[then]
        elif now in revenue:
            expected["new" if first[customer] == now else "reactivated"] += revenue[now]
    expected["anonymous"] = months[None][now] - months[None][then]
    for part, value in expected.items():
        assert getattr(bridge, part) == pytest.approx(value, abs=0.5), part  # to the pound
    assert sum(value for _, value in bridge.parts()) == pytest.approx(bridge.change, abs=1e-6)
    assert bridge.change == pytest.approx(
        sum(months[c][now] - months[c][then] for c in months), abs=0.5)


@pytest.mark.slow
def test_uk_report_for_november_2011(shared_data: Path, tmp_path: Path) -> None:
    # October first, so that November measures October's action lists: drawn, not laid out,
    # and without the chapters the lists do not need to be measured (CLV decides who is in
    # some lists; any published list serves to check the measurement).
    october = load_unit_config(UK).model_copy(update={
        "clv": load_unit_config(UK).clv.model_copy(update={"enabled": False}),
        "clusters": load_unit_config(UK).clusters.model_copy(update={"enabled": False}),
        "suggestions": load_unit_config(UK).suggestions.model_copy(update={"enabled": False})})
    run_report(october, Period(2011, 10), tmp_path, renderer=DraftRenderer())
    # November rendered for real: the board pack (issue 33) is laid out as management gets it.
    result = run_report(load_unit_config(UK), Period(2011, 11), tmp_path, renderer=Renderer())
    check_octobers_lists_are_measured_in_november(tmp_path / "uk")
    assert result.incomplete == ()
    check_the_board_pack((result.folder / "report.pdf").read_bytes())
    # every month in one place: both published months, linked to their PDFs
    from reportgen.jobs.site import write_site
    index = write_site(tmp_path).read_text()
    assert re.findall(r'href="uk/(\d{4}-\d{2})/report\.pdf"', index) == ["2011-11", "2011-10"]
    customers = pl.read_csv(result.folder / "customers.csv")
    assert customers.height > 3_800
    # Tie-consistent scores: every one-order customer scores F1, whatever their position.
    assert set(customers.filter(pl.col("frequency") == 1)["f_score"]) == {1}
    # The UK data show no measurable dropout: P(alive) is not estimated, so it is empty.
    assert customers["p_alive"].null_count() == customers.height
    assert_only_single_day_buyers_lack_a_gap(customers.drop("p_alive"))
    for column in ("expected_purchases_4w", "expected_purchases_12w", "expected_avg_value",
                   "clv"):
        values = customers[column]
        assert values.is_finite().all() and (values >= 0).all(), column
    assert (customers["clv"] > 0).all()
    risky = pl.read_csv(result.folder / "high_value_at_risk.csv")
    assert risky.height and risky["p_alive"].null_count() == risky.height
    winback = pl.read_csv(result.folder / "actions" / "winback_key_accounts.csv")
    assert winback["p_alive"].null_count() == winback.height
    html = (result.folder / "report.html").read_text()
    assert ("P(alive), the chance that a customer is still active, is not estimated: no "
            "measurable dropout in 12 months of history") in html
    # The chance of buying again stands in for it, for everyone, within [0, 1].
    assert customers["p_buy_90d"].null_count() == 0
    assert 0 <= customers["p_buy_90d"].min() <= customers["p_buy_90d"].max() <= 1  # type: ignore[operator]
    # Customers first seen in Dec 2010 - Jan 2011 may have bought before the data start.
    first = customers["first_purchase"].str.to_date()
    assert (customers["history_censored"] == (first < date(2011, 1, 31))).all()
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg)[\s\S]*?</\1>", " ", html))
    assert not re.search(r"\b(nan|NaN|None|inf)\b", text)
    assert "How far to trust the forecast" in html and "Latest backtest: cumulative" in html
    assert "Season-blind." in html and "The window before" in html
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["rows"]["read"] == 541_909
    assert manifest["kpis"]["orders"] > 2_000
    # One year of history: two backtest windows side by side, no same-weeks-last-year one.
    backtests = manifest["clv"]["backtests"]
    assert [b["window"] for b in backtests] == ["latest", "previous"]
    assert all(b["available"] and b["actual"] > 1_000 for b in backtests)
    assert not manifest["clv"]["season"]["available"]
    low, high = manifest["clv"]["clv_interval"]
    assert low < manifest["clv"]["total_clv"] < high
    grade = manifest["clv"]["grade"]["letter"]
    assert grade in "ABCD"
    # Issue 31: one model end to end; its ranges come from the rolling windows, with their
    # coverage on the page; one-order customers are valued by their own order; the slipping
    # segments are set beside what they spent.
    clv = manifest["clv"]
    assert {b["model"] for b in clv["backtests"]} == {clv["model"]["name"]} == {"nbd"}
    held, judged = clv["interval_coverage"]["value"]
    assert judged >= 6 and held >= judged - 1
    assert f"held in {held} of {judged} past windows" in text
    one_order = customers.filter(pl.col("frequency") == 1)
    assert spearmanr(one_order["clv"], one_order["monetary"]).statistic >= 0.3
    assert "Slipping segment" in html and "Spent, last 12 months" in html
    assert re.search(r"Customers are expected to spend £[\d,]+ \(90 % range £[\d,]+ – £[\d,]+\) "
                     rf"over the next 12 months, forecast grade {grade} \(season-blind\)", text)
    fired = manifest["recommendations"]
    assert len(fired) >= 5
    assert all((result.folder / "actions" / f"{r['id']}.csv").is_file() for r in fired)
    assert "Segment migration since October 2011" in html
    # The month explained (issue 30): the summary page names the largest falling account and
    # the two anonymous £50k orders; the August-October reports' forecasts mostly held.
    summary_page = html[html.index('<section id="summary"'):html.index('<section id="movement"')]
    assert all(name in summary_page for name in ("customer 18102", "574941", "576365"))
    falling = manifest["account_movers"][0]
    assert (falling["customer_id"], falling["direction"]) == ("18102", "falling")
    assert manifest["revenue_bridge"]["previous_period"] == "2011-10"
    forecast = manifest["forecast"]
    assert forecast["period"] == "2011-12" and forecast["level"] == 0.8
    assert forecast["low"] < forecast["revenue"] < forecast["high"]
    made_in = {b["made_in"]: b for b in forecast["backtests"]}
    held = [made_in[month]["inside"] for month in ("2011-08", "2011-09", "2011-10")]
    assert None not in held and sum(held) >= 2, held
    assert "The largest segment move since October 2011" in html
    clusters = manifest["clusters"]
    assert 2 <= clusters["chosen_k"] <= 10 and clusters["silhouette"] > 0.2
    assert customers["cluster"].min() == 1 and customers["cluster"].max() == clusters["chosen_k"]
    # The UK data show no measurable dropout: every model with dropout ends on the boundary.
    assert manifest["clv"]["model"]["name"] == "nbd"
    assert {a["outcome"] for a in manifest["clv"]["attempts"][:-1]} <= {"boundary",
                                                                         "no convergence"}
    # Recommendations management can act on (issue 15's UK checks).
    lists = [pl.read_csv(result.folder / r["action_file"],
                         schema_overrides={"customer_id": pl.String, "also_eligible": pl.String})
             for r in fired]
    assert pl.concat([f.select("customer_id") for f in lists])["customer_id"].is_unique().all()
    assert sum(r["audience_value"] for r in fired) <= manifest["facts"]["clv.total"]
    assert fired[0]["id"] == "winback_key_accounts"
    assert "early_order_terms" not in [r["id"] for r in fired]  # November is the peak itself
    # Onboarding (issue 32): first orders ever in the month, and only one order so far.
    welcome = next(r for r in fired if r["id"] == "welcome_new_accounts")
    first_timers = customers.filter(
        (pl.col("first_purchase").str.to_date() >= date(2011, 11, 1))
        & (pl.col("frequency") == 1))
    assert welcome["audience_size"] + welcome["assigned_elsewhere"] == first_timers.height
    check_actions_are_worth_their_cost(result.folder, manifest, customers)
    errors = manifest["suspected_entry_errors"]
    assert "541431" in [e["invoice"] for e in errors]
    assert "541431" in text and "Suspected entry errors" in text
    assert re.search(r"Revenue of £[\d,]+ in November 2011: up [\d.]+% on October 2011; no "
                     r"November 2010 to compare with \(the data start on 1 Dec 2010\)\.", text)
    assert re.search(r"What to do first\s+Call key accounts who are slipping "
                     r"\([\d,]+ customers, expected to add £[\d,]+: forecast CLV over the next "
                     r"12 months, grade [A-D]; £[\d,]+ of profit after £[\d,]+ of costs\)\.",
                     text)
    assert re.search(r"Orders without a customer id \([\d.]+% of the month's revenue\)", text)
    # Product suggestions: EASE wins its backtest; every active customer gets ten.
    suggestions = manifest["suggestions"]
    assert suggestions["method"] == "ease" and suggestions["fallback"] is None
    backtest = suggestions["backtest"]
    assert backtest["method"]["hit_rate"] > 1.4 * backtest["popularity"]["hit_rate"]
    suggested = pl.read_csv(result.folder / "suggestions.csv",
                            schema_overrides={"customer_id": pl.String})
    assert suggested.group_by("customer_id").len()["len"].min() == 10
    assert suggested["customer_id"].n_unique() == suggestions["customers"] > 3_800
    # A suggestion says which bought product it follows from; the only exceptions are the few
    # customers (5 of 3,873) whose every purchase in the window is of products too rare to be
    # suggested (fewer than 2 recent buyers), which the model leaves out: they get the most
    # popular products, with no "because".
    without_reason = suggested.filter(pl.col("because_stock_code").is_null())
    assert without_reason["customer_id"].n_unique() <= 5
    assert without_reason.height == 10 * without_reason["customer_id"].n_unique()
    assert "For buyers and merchandisers" in text


def check_the_board_pack(pdf: bytes) -> None:
    """At most 16 pages; no model name or statistical score before the appendix; at most one
    page besides the cover with less than 3 % of it inked."""
    pages = pdf_pages(pdf)
    assert len(pages) <= 16
    main = before_the_appendix(pages)
    assert "Recommendations" in main and not JARGON.search(main), JARGON.search(main)
    assert sum(share < LOW_INK for share in inked_shares(pdf)[1:]) <= 1
    # one November in the data: said so, not "on average"
    assert "strongest month in the one year of data that holds it" in " ".join(main.split())


def check_actions_are_worth_their_cost(folder: Path, manifest: dict[str, Any],
                                       customers: pl.DataFrame) -> None:
    """Issue 32's UK checks: a wholesale business; every play valued with its cost and none
    at a loss; win-backs only for customers unlikely to buy on their own; balanced control
    groups; every customer decided once; the valuable customers about to sleep in a list."""
    assert manifest["business"] == "wholesale"
    fired = manifest["recommendations"]
    for recommendation in fired:
        assert recommendation["cost"] is not None and recommendation["cost"] > 0
        assert recommendation["expected_incremental_profit"] >= 0
    for recommendation in manifest["recommendations_not_worth_it"]:
        assert recommendation["expected_incremental_profit"] < 0
    lists = {r["id"]: pl.read_csv(folder / r["action_file"],
                                  schema_overrides={"customer_id": pl.String})
             for r in fired}
    for play, table in lists.items():
        if play.startswith("winback"):
            assert (table["p_buy_90d"] < 0.66).all(), play
            overdue = table["recency_days"] > 1.5 * table["usual_gap_days"]
            assert overdue.all(), play
        control = table.filter(pl.col("group") == "control")
        contact = table.filter(pl.col("group") != "control")
        if table.height >= 150 and control.height:
            assert abs(control["clv"].mean() / contact["clv"].mean() - 1) <= 0.15, play  # type: ignore[operator]
    no_action = pl.read_csv(folder / "actions" / "no_action.csv",
                            schema_overrides={"customer_id": pl.String})
    listed = pl.concat([t.select("customer_id") for t in lists.values()])["customer_id"]
    decided = pl.concat([listed, no_action["customer_id"]])
    assert decided.is_unique().all()
    assert set(decided) == set(customers["customer_id"].cast(pl.String))
    median = customers["clv"].median()
    sleeping = customers.filter((pl.col("segment") == "about_to_sleep")
                                & (pl.col("clv") > median))["customer_id"].cast(pl.String)
    assert sleeping.is_in(listed.implode()).mean() >= 0.9  # type: ignore[operator]


def check_octobers_lists_are_measured_in_november(unit_folder: Path) -> None:
    """Every October list holds out the control group its plan sized (stratified by value; key
    accounts never), and November's measurement of them equals a computation in plain Python
    from the published CSVs and November's purchases: stratum by stratum where the list was
    drawn in strata."""
    config = load_unit_config(UK)
    lines = clean_lines(read_transactions(config).transactions, datetime(2011, 12, 1),
                        config.cleaning)
    spent: dict[str, float] = defaultdict(float)
    for customer, when, revenue in lines.purchases.select(
            "customer_id", "invoice_date", "revenue").iter_rows():
        if customer is not None and datetime(2011, 11, 1) <= when < datetime(2011, 12, 1):
            spent[customer] += revenue
    october = json.loads((unit_folder / "2011-10" / "manifest.json").read_text())
    plans = {r["id"]: r["hold_out"] for r in october["recommendations"]}
    manifest = json.loads((unit_folder / "2011-11" / "manifest.json").read_text())
    results = {r["play"]: r for r in manifest["action_results"] if r["period"] == "2011-10"}
    lists = sorted(p for p in (unit_folder / "2011-10" / "actions").glob("*.csv")
                   if p.stem != "no_action")
    assert lists and set(results) == {path.stem for path in lists}
    compared = 0
    for path in lists:
        table = pl.read_csv(path, schema_overrides={"customer_id": pl.String})
        rows = table.select("customer_id", "group", "stratum").rows()
        control = [(c, s) for c, g, s in rows if g == "control"]
        contact = [(c, s) for c, g, s in rows if g == "contact"]
        keyed = [c for c, g, _ in rows if g == "contact_key_account"]
        assert len(control) + len(contact) + len(keyed) == len(rows)
        assert len(control) == plans[path.stem]["controls"]
        assert len(keyed) == plans[path.stem]["key_accounts"]
        result = results[path.stem]
        assert (result["contact"], result["control"]) == (len(contact), len(control))
        assert result["measured_from"] == "2011-11-01" and not result["carried_out"]
        assert result["response_contact"] == pytest.approx(
            sum(c in spent for c, _ in contact) / len(contact))
        if len(control) < 10:
            assert result["response_difference"] is None
            continue
        compared += 1
        strata = sorted({s for _, s in contact} & {s for _, s in control})
        total = sum(1 for c, s in contact + control if s in strata)
        difference = revenue = 0.0
        for stratum in strata:
            ones = [c for c, s in contact if s == stratum]
            zeros = [c for c, s in control if s == stratum]
            weight = (len(ones) + len(zeros)) / total
            difference += weight * (sum(c in spent for c in ones) / len(ones)
                                    - sum(c in spent for c in zeros) / len(zeros))
            revenue += weight * (sum(spent.get(c, 0.0) for c in ones) / len(ones)
                                 - sum(spent.get(c, 0.0) for c in zeros) / len(zeros))
        assert result["response_difference"] == pytest.approx(difference)
        assert result["incremental_revenue"] == pytest.approx(revenue * len(contact))
        low, high = result["response_interval"]
        assert low < difference < high
        low, high = result["interval"]
        assert low < result["incremental_revenue"] < high
        assert result["significant"] == (low > 0 or high < 0)
    assert compared >= 1  # the new accounts' welcome holds out enough to be compared
