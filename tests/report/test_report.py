"""A whole run on small demo data: the published files, their contents, and safe rendering."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from pathlib import Path

import jinja2
import jinja2.meta
import polars as pl
import pytest
import yaml
from conftest import (
    DEMO_REPORT_URL,
    JARGON,
    LOW_INK,
    DraftRenderer,
    assert_only_single_day_buyers_lack_a_gap,
    before_the_appendix,
    inked_shares,
    on_every_core,
    pdf_pages,
    render_email_at,
    run_cli,
    run_report,
    write_demo_unit,
)

from reportgen.chapters.summary.kpis import KPIS
from reportgen.config import load_unit_config
from reportgen.errors import NoDataError
from reportgen.paths import TEMPLATES_DIR
from reportgen.period import Period
from reportgen.pipeline import RunResult, build_report
from reportgen.report.context import ChapterPage, ReportContext
from reportgen.report.render import Renderer, assets_only_fetcher
from reportgen.report.templates import template_environment

PERIOD = Period(2024, 12)


@pytest.fixture(scope="module")
def published(demo_report: RunResult) -> RunResult:
    """The session's demo report (rendered for real)."""
    return demo_report


def test_run_publishes_every_file(published: RunResult) -> None:
    assert published.folder.parts[-2:] == ("demo", "2024-12")
    names = sorted(p.name for p in published.folder.iterdir())
    assert names == ["actions", "buy_again.csv", "customers.csv", "email",
                     "high_value_at_risk.csv", "ledger.json", "manifest.json", "report.html",
                     "report.pdf", "segment_moves.csv", "suggestions.csv"]
    assert published.incomplete == ()
    assert (published.folder / "report.pdf").read_bytes().startswith(b"%PDF")
    assert published.pdf_pages >= 5


def test_manifest_records_inputs_outputs_versions_and_timings(published: RunResult) -> None:
    manifest = json.loads((published.folder / "manifest.json").read_text())
    assert manifest["unit"] == "demo" and manifest["period"] == "2024-12"
    assert manifest["analysis_date"] == "2025-01-01"
    data = Path(manifest["inputs"][0]["path"])
    assert manifest["inputs"][0]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    rows = manifest["rows"]
    assert rows["read"] == rows["purchase_lines"] + rows["return_lines"] + rows["removed"]
    rules = [entry["rule"] for entry in manifest["data_quality"]]
    assert "Exact duplicate lines" in rules and len(rules) >= 10
    unreadable = manifest["data_quality"][0]
    assert unreadable["rows"] == 3 and unreadable["removed"]
    for name in ("report.pdf", "report.html", "customers.csv"):
        content = (published.folder / name).read_bytes()
        assert manifest["outputs"][name]["sha256"] == hashlib.sha256(content).hexdigest()
    assert {"polars", "weasyprint", "python"} <= manifest["versions"].keys()
    assert {"load", "clean", "segments", "clv", "playbook", "charts", "html", "pdf", "email"} <= manifest[
        "timings_seconds"].keys()
    assert manifest["pdf_pages"] == published.pdf_pages


def test_customers_csv_has_one_row_per_customer(published: RunResult) -> None:
    customers = pl.read_csv(published.folder / "customers.csv", schema_overrides={
        "customer_id": pl.String})
    assert customers.columns[:8] == [
        "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
        "segment",
    ]
    assert customers["customer_id"].is_unique().all()
    # products to offer: for every customer who bought in the last 12 months, and only them
    active = customers["last_purchase"].str.to_date() >= datetime(2024, 1, 1).date()
    assert (customers["suggested_products"].is_not_null() == active).all()
    assert (customers["reorder_products"].is_not_null() == active).all()
    assert_only_single_day_buyers_lack_a_gap(customers.drop("suggested_products",
                                                            "reorder_products"))
    assert set(customers["segment"]) <= {
        "hibernating", "at_risk", "cant_lose", "about_to_sleep", "need_attention",
        "loyal_customers", "promising", "new_customers", "potential_loyalists", "champions",
    }
    assert customers["recency_days"].min() >= 1


def test_html_shows_every_section_without_missing_values(published: RunResult) -> None:
    html = (published.folder / "report.html").read_text()
    for heading in ("Executive summary", "Customer segments (RFM)", "Data quality",
                    "Segment profiles", "Glossary and method"):
        assert heading in html
    assert html.count("<svg") >= 2
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg)[\s\S]*?</\1>", " ", html))
    assert not re.search(r"\b(nan|NaN|None|inf|null)\b", text)


def test_titles_are_escaped(published: RunResult) -> None:
    html = (published.folder / "report.html").read_text()
    assert "Demo &lt;Unit&gt; &amp; Co" in html and "Demo <Unit>" not in html


def test_unreadable_rows_are_located_for_the_analyst(published: RunResult) -> None:
    html = (published.folder / "report.html").read_text()
    assert re.search(r"demo\.csv, row [\d,]+: \w+ &#39;#VALUE!&#39;", html)


def build_and_write(config_file: str, period: str, folder: str) -> None:
    """Build a unit's report as drafts and write its files to `folder`."""
    config = load_unit_config(Path(config_file))
    files = build_report(config, Period.parse(period), renderer=DraftRenderer()).files
    for name, content in files.items():
        (Path(folder) / name).parent.mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(content)


@pytest.mark.slow  # builds the whole CLV chapter (backtests, season, draws) twice
def test_same_input_gives_identical_outputs(tmp_path: Path) -> None:
    """Built here (one thread, one analysis at a time) and in a process on every core (the
    analyses side by side, `chapters.compute`): the same files, and every figure of the
    manifest to the last bit."""
    config_file = write_demo_unit(tmp_path)
    first = build_report(load_unit_config(config_file), PERIOD, renderer=DraftRenderer()).files
    on_every_core("from report.test_report import build_and_write; build_and_write(*sys.argv[1:])",
                  str(config_file), str(PERIOD), str(tmp_path / "again"))
    again = {str(path.relative_to(tmp_path / "again")): path.read_bytes()
             for path in (tmp_path / "again").rglob("*") if path.is_file()}
    for name in ("customers.csv", "report.html", "segment_moves.csv"):
        assert first[name] == again[name]
    assert sorted(first) == sorted(again)
    # Every figure of the manifest too, to the last bit; only the stage timings may differ.
    manifests = [json.loads(files["manifest.json"]) for files in (first, again)]
    for manifest in manifests:
        manifest.pop("timings_seconds")
    assert manifests[0] == manifests[1]


def test_charts_render_to_identical_svg(published: RunResult) -> None:
    from reportgen.chapters.summary.charts import revenue_trend_chart

    trend = pl.DataFrame({"month": [datetime(2024, 11, 1), datetime(2024, 12, 1)],
                          "revenue": [10.0, 20.0], "is_current": [False, True]})
    spec = revenue_trend_chart(trend, "£")
    assert Renderer().chart_svg(spec, "trend") == Renderer().chart_svg(spec, "trend")


def test_a_period_without_data_is_a_clear_error(published: RunResult) -> None:
    config = load_unit_config(published.folder.parent.parent.parent / "demo.yaml")
    with pytest.raises(NoDataError, match=r"no purchases in 2030-01 \(the data runs from"):
        build_report(config, Period(2030, 1), renderer=DraftRenderer())


def test_every_field_a_chapter_partial_reads_is_on_its_view() -> None:
    """`s.<name>` in templates/chapters/<key>.html.j2 names a field (or property) of the view
    class its chapter's section returns: a renamed field fails here, not in a month's run."""
    import typing

    from reportgen.chapters import CHAPTERS

    checked = 0
    for chapter in CHAPTERS:
        hints = typing.get_type_hints(type(chapter).section)
        view = typing.get_args(hints["return"])[0] if typing.get_args(hints["return"]) else None
        partial = TEMPLATES_DIR / "chapters" / f"{chapter.key}.html.j2"
        if view is None or not isinstance(view, type) or not partial.exists():
            continue
        text = partial.read_text()
        read = set(re.findall(r"\bs\.(\w+)", text))
        missing = {name for name in read if not hasattr(view, name)
                   and name not in {f.name for f in fields(view)}}
        assert not missing, (chapter.key, view.__name__, missing)
        # A part of the view handed to a macro under its field's name: `forecast.<name>`.
        for part, part_view in view_parts(view).items():
            read = set(re.findall(rf"\b{part}\.(\w+)", text)) - {"items"}
            missing = {name for name in read if not hasattr(part_view, name)
                       and name not in {f.name for f in fields(part_view)}}
            assert not missing, (chapter.key, part_view.__name__, missing)
        checked += 1
    assert checked >= 10


def view_parts(view: type) -> dict[str, type]:
    """The view's fields that hold a view of their own (a dataclass, or one or None)."""
    import types
    import typing

    parts = {}
    for name, hint in typing.get_type_hints(view).items():
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        found = [option for option in options if isinstance(option, type) and is_dataclass(option)]
        if found:
            parts[name] = found[0]
    return parts


def test_templates_use_only_what_the_context_provides() -> None:
    env = template_environment()
    provided = {f.name for f in fields(ReportContext)} | {"views"}
    used: set[str] = set()
    for path in [TEMPLATES_DIR / "report.html.j2", TEMPLATES_DIR / "email.html.j2",
                 TEMPLATES_DIR / "email.txt.j2", *sorted((TEMPLATES_DIR / "chapters").glob("*.j2"))]:
        used |= jinja2.meta.find_undeclared_variables(env.parse(path.read_text()))
    # A partial also sees its page and the page's view, `s`; the report its assets.
    local = {"page", "s", "chart", "chart_svgs", "font_faces", "stylesheet", "image_ids",
             "pages", "board", "detail"}
    assert used <= provided | local, used - provided - local
    # every page is `chapters`; the renderer passes the ones shown (all, or the board pack's)
    assert provided - used == {"chapters"}
    page_fields = {name for path in (TEMPLATES_DIR / "chapters").glob("*.j2")
                   for name in re.findall(r"page\.(\w+)", path.read_text())}
    page_fields |= set(re.findall(r"page\.(\w+)", (TEMPLATES_DIR / "report.html.j2").read_text()))
    # `board` is read by the renderer, which passes the board pack's pages as `pages`
    assert {f.name for f in fields(ChapterPage)} - {"key", "board"} <= page_fields


def test_undefined_names_fail_loudly() -> None:
    with pytest.raises(jinja2.UndefinedError):
        template_environment().from_string("{{ missing }}").render()


def test_pdf_fetcher_reads_only_report_assets(tmp_path: Path) -> None:
    fetcher = assets_only_fetcher()
    with pytest.raises(ValueError, match="no network"):
        fetcher.fetch("https://example.com/logo.png")
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    with pytest.raises(ValueError, match="outside the report assets"):
        fetcher.fetch(secret.as_uri())
    response = fetcher.fetch((TEMPLATES_DIR / "assets" / "report.css").as_uri())
    assert response is not None


def test_svg_ids_are_renumbered_per_chart() -> None:
    from reportgen.report.render import stable_svg_ids

    svg = '<clipPath id="clip14"/><g clip-path="url(#clip14)"/><use href="#clip7"/><p id="clip7"/>'
    assert stable_svg_ids(svg, "trend") == (
        '<clipPath id="trend-1"/><g clip-path="url(#trend-1)"/><use href="#trend-2"/>'
        '<p id="trend-2"/>'
    )


HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def small_unit(folder: Path, body: str) -> Path:
    (folder / "t.csv").write_text(HEADER + body)
    config = folder / "t.yaml"
    config.write_text(yaml.safe_dump({
        "unit": "small", "title": "Small", "currency": "GBP", "source": {"path": "t.csv"}}))
    return config


def draft_report(config: Path, period: Period, output: Path) -> RunResult:
    return run_report(load_unit_config(config), period, output, renderer=DraftRenderer())


def test_a_partial_month_is_flagged_on_the_summary(tmp_path: Path) -> None:
    config = small_unit(tmp_path, "1,22,MUG,2,2011-12-09 12:00:00,2.5,100,United Kingdom\n")
    result = draft_report(config, Period(2011, 12), tmp_path / "out")
    html = (result.folder / "report.html").read_text()
    assert "The data ends on 9 Dec 2011, before the end of December 2011" in html


def test_no_customer_ids_gives_a_clear_segment_section(tmp_path: Path) -> None:
    config = small_unit(tmp_path, "1,22,MUG,2,2011-11-09 12:00:00,2.5,,United Kingdom\n")
    result = draft_report(config, Period(2011, 11), tmp_path / "out")
    html = (result.folder / "report.html").read_text()
    assert "No purchase line has a customer id" in html
    assert "no segments to show" in html
    assert "Customers by recency and frequency score" not in html
    assert (result.folder / "customers.csv").read_text().startswith("customer_id,")


def test_customers_csv_carries_clv_for_everyone(published: RunResult) -> None:
    customers = pl.read_csv(published.folder / "customers.csv",
                            schema_overrides={"customer_id": pl.String})
    clv_columns = ["p_alive", "expected_purchases_1w", "expected_purchases_4w",
                   "expected_purchases_12w", "expected_avg_value", "clv", "clv_group"]
    assert set(clv_columns) <= set(customers.columns)
    assert customers.select(clv_columns).null_count().sum_horizontal().item() == 0
    numeric = customers.select(clv_columns[:-1])
    assert (numeric.min().row(0)[0] >= 0) and all(v >= 0 for v in numeric.min().row(0))
    assert set(customers["clv_group"]) == {"A", "B", "C", "D"}
    risky = pl.read_csv(published.folder / "high_value_at_risk.csv",
                        schema_overrides={"customer_id": pl.String})
    assert risky.columns[:3] == ["customer_id", "segment", "clv"]
    group_a = set(customers.filter(pl.col("clv_group") == "A")["customer_id"])
    assert set(risky["customer_id"]) <= group_a


def test_manifest_records_the_clv_fit_and_backtest(published: RunResult) -> None:
    clv = json.loads((published.folder / "manifest.json").read_text())["clv"]
    assert clv["available"] and clv["model"]["name"] in {"bgnbd", "mbgnbd", "paretonbd", "nbd"}
    assert clv["attempts"][-1]["outcome"] == "accepted"
    # Two years of demo data: the latest window, the one before, and the same weeks last year.
    assert [b["window"] for b in clv["backtests"]] == ["latest", "previous", "last_year"]
    assert all(b["available"] and b["actual"] > 0 for b in clv["backtests"])
    assert clv["backtests"][0]["holdout_end"] == "2024-12-31"
    # The forecast's first 12 weeks, 52 weeks earlier: 3 Jan - 26 Mar 2024.
    assert clv["backtests"][2]["calibration_end"] == "2024-01-02"
    assert clv["backtests"][2]["holdout_end"] == "2024-03-26"
    assert clv["season"]["available"] and len(clv["season"]["value_factors"]) == 12
    assert clv["grade"]["letter"] in "ABCD" and len(clv["grade"]["checks"]) == 4
    assert clv["total_clv"] > 0 and clv["horizon_months"] == 12


def test_clv_section_explains_the_forecast(published: RunResult) -> None:
    html = (published.folder / "report.html").read_text()
    assert "Customer lifetime value" in html and "How far to trust the forecast" in html
    assert "Forecast grade" in html and "Same weeks last year" in html
    # Two years of demo data, whose season last year's factors did not make worse: applied.
    clv = section_html(html, "clv-detail")  # the analyst's part, in the appendix
    assert "Expected value by coming month" in clv and "Season-blind" not in clv
    assert "Each month is scaled by the same month" in clv
    assert "Season-blind" not in section_html(html, "clv")
    assert html.count("<svg") >= 6


def test_report_without_clv_says_why(tmp_path: Path) -> None:
    body = "".join(
        f"{i},22,MUG,2,2011-11-{1 + i % 28:02d} 12:00:00,2.5,{100 + i % 7},United Kingdom\n"
        for i in range(30)
    )
    config = small_unit(tmp_path, body)
    result = draft_report(config, Period(2011, 11), tmp_path / "out")
    # Each of the 7 customers buys on 4 distinct days (lines 28 and 29 fall on days 1 and 2,
    # already purchase days of customers 100 and 101): 7 x 3 = 21 repeat purchases.
    assert result.incomplete == (
        "CLV not available: 7 identified customers with 21 repeat purchases between them; the "
        "models need at least 20 customers and 10 repeat purchases",
    )
    html = (result.folder / "report.html").read_text()
    assert "CLV not available: " in html
    customers = (result.folder / "customers.csv").read_text().splitlines()[0]
    assert "clv" not in customers.split(",")
    assert not (result.folder / "high_value_at_risk.csv").exists()


@pytest.mark.slow  # draws a whole report's charts
def test_charts_refuse_unaggregated_data() -> None:
    from reportgen.display.charts import MAX_POINTS, inline_data

    inline_data(pl.DataFrame({"x": range(MAX_POINTS)}))
    with pytest.raises(ValueError, match="aggregate it first"):
        inline_data(pl.DataFrame({"x": range(MAX_POINTS + 1)}))


def test_fired_recommendations_export_their_audiences(published: RunResult) -> None:
    manifest = json.loads((published.folder / "manifest.json").read_text())
    fired = manifest["recommendations"]
    assert fired and [r["priority"] for r in fired] == list(range(1, len(fired) + 1))
    urgent = [r["urgent"] for r in fired]
    assert urgent == sorted(urgent, reverse=True)  # urgent first
    for group in (True, False):  # then by expected profit; none recommended at a loss
        profits = [r["expected_incremental_profit"] for r in fired if r["urgent"] is group]
        assert profits == sorted(profits, reverse=True) and all(p >= 0 for p in profits)
    assert sum(r["audience_value"] for r in fired) <= manifest["facts"]["clv.total"] + 1e-6
    exported = sorted(p.stem for p in (published.folder / "actions").glob("*.csv"))
    assert exported == sorted([r["id"] for r in fired] + ["no_action"])
    lists = []
    for recommendation in fired:
        assert set(recommendation) >= {"priority", "id", "title", "audience_size",
                                       "audience_value", "expected_response",
                                       "expected_incremental_value", "action_file", "cost",
                                       "expected_incremental_profit", "break_even_response"}
        economics = recommendation["economics"]
        assert recommendation["expected_incremental_profit"] == pytest.approx(
            economics["gross_margin"] * recommendation["expected_incremental_value"]
            - recommendation["cost"])
        audience = pl.read_csv(published.folder / recommendation["action_file"],
                               schema_overrides={"customer_id": pl.String,
                                                 "also_eligible": pl.String})
        assert audience.height == recommendation["audience_size"]
        assert "also_eligible" in audience.columns
        lists.append(audience.select("customer_id"))
    assert pl.concat(lists)["customer_id"].is_unique().all()  # nobody in two lists
    # Everyone else is in no_action.csv, with a reason: every customer decided once.
    no_action = pl.read_csv(published.folder / "actions" / "no_action.csv",
                            schema_overrides={"customer_id": pl.String})
    assert no_action["reason"].null_count() == 0 and no_action.height == \
        manifest["no_action"]["customers"]
    customers = pl.read_csv(published.folder / "customers.csv",
                            schema_overrides={"customer_id": pl.String})
    decided = pl.concat([*lists, no_action.select("customer_id")])["customer_id"]
    assert decided.is_unique().all() and set(decided) == set(customers["customer_id"])
    html = (published.folder / "report.html").read_text()
    assert "Top recommendations" in html and "Segment migration since November 2024" in html
    # nothing measured yet: no measurement page, and no reference to one
    assert 'id="measurement"' not in html and "Did earlier actions work" not in html
    # the business profile and the costs every value rests on, labelled
    assert manifest["business"] == "wholesale" and "inferred wholesale from" in html
    assert "Gross margin" in html and "set the unit's own under" in html
    moves = pl.read_csv(published.folder / "segment_moves.csv")
    assert moves.columns == ["customer_id", "from_segment", "to_segment"]
    assert (moves["from_segment"] != moves["to_segment"]).all()


def test_the_emails_plain_text_part_is_text_not_markup(published: RunResult) -> None:
    text = (published.folder / "email" / "summary.txt").read_text()
    assert text.startswith("Demo <Unit> & Co · customer report · December 2024")
    assert "&amp;" not in text and "&#39;" not in text
    # One KPI a line, sections apart.
    assert re.search(r"^Revenue: £[\d,]+.*\nOrders: [\d,]+", text, re.MULTILINE)
    assert "\n\nWhat to do this month\n1. " in text


def months_in_chart(spec: dict) -> list[str]:  # type: ignore[type-arg]
    """The x labels a chart's inline data has (months as 'Sep 11')."""
    values = spec.get("data", {}).get("values") or [
        row for layer in spec.get("vconcat", []) for part in layer.get("hconcat", [])
        for row in part.get("data", {}).get("values", [])]
    return sorted({row["label"] for row in values})


@pytest.mark.slow  # builds a whole report
def test_months_before_the_data_are_left_out_and_said_once(tmp_path: Path) -> None:
    body = "".join([
        "1,22,MUG,2,2011-09-05 12:00:00,2.5,100,United Kingdom\n",
        "2,22,MUG,1,2011-10-03 12:00:00,2.5,100,United Kingdom\n",
        "3,22,MUG,4,2011-10-04 12:00:00,2.5,101,United Kingdom\n",
        "4,22,MUG,2,2011-11-02 12:00:00,2.5,101,United Kingdom\n",
        "5,22,MUG,3,2011-11-03 12:00:00,2.5,102,United Kingdom\n",
    ])
    config = load_unit_config(small_unit(tmp_path, body))
    report = build_report(config, Period(2011, 11), renderer=DraftRenderer())
    html = report.files["report.html"].decode()
    assert html.count("no November 2010 to compare with (the data start on 5 Sep 2011)") == 1
    assert "No comparison with November 2010" not in html
    assert "no data for" not in html
    assert "compared with October 2011." in html  # and not with November 2010
    for key in ("revenue_trend", "trends"):
        assert months_in_chart(report.context.charts[key].spec) == ["Nov 11", "Oct 11", "Sep 11"]
    trend_rows = re.findall(r'<td class="text">(\w{3} \d{4})', html.split('<section id="trends"')[1])
    assert trend_rows[:3] == ["Sep 2011", "Oct 2011", "Nov 2011"]
    assert "Sep 2011 <span class=\"tag\">data start</span>" in html


@pytest.mark.slow  # a whole report
def test_the_month_the_data_start_is_no_month_of_new_customers(tmp_path: Path) -> None:
    body = ("1,22,MUG,2,2011-09-05 12:00:00,2.5,100,United Kingdom\n"
            "2,22,MUG,1,2011-10-03 12:00:00,2.5,100,United Kingdom\n"
            "3,22,MUG,4,2011-10-04 12:00:00,2.5,101,United Kingdom\n")
    config = load_unit_config(small_unit(tmp_path, body))
    october = build_report(config, Period(2011, 10), renderer=DraftRenderer())
    kpis = {row.label: row for row in october.context.views["summary"].kpis}
    # Against September, where the data start, new customers cannot be compared.
    assert kpis["New customers"].value == 1 and kpis["New customers"].vs_previous.value is None
    assert kpis["New customers"].vs_previous.note == "data start"
    assert kpis["Revenue"].vs_previous.change == pytest.approx((2.5 + 10.0) / 5.0 - 1)
    september = build_report(config, Period(2011, 9), renderer=DraftRenderer())
    html = september.files["report.html"].decode()
    assert "The data start in September 2011: every customer who bought looks new" in html
    assert "the data start this month, so new and returning cannot be told apart" in html
    assert "kpi.new_customers" not in json.loads(september.files["manifest.json"])["facts"]


def section_html(html: str, key: str) -> str:
    """The HTML of one chapter's section."""
    start = html.index(f'<section id="{key}"')
    return html[start:html.index("</section>", start)]


def test_the_month_is_explained_and_compared_with_its_targets(published: RunResult) -> None:
    html = (published.folder / "report.html").read_text()
    manifest = json.loads((published.folder / "manifest.json").read_text())
    kpis, bridge = manifest["kpis"], manifest["revenue_bridge"]
    # The bridge's five parts add up to the KPIs' revenue change.
    parts = [bridge[part] for part in ("new", "reactivated", "retained", "lost", "anonymous")]
    assert bridge["revenue"] == pytest.approx(kpis["revenue"])
    assert sum(parts) == pytest.approx(bridge["change"])
    assert bridge["counts"]["new"] == kpis["new_customers"]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section_html(html, "movement")))
    # Targets: December's revenue (70,000) and new customers (20 every month).
    revenue_gap = kpis["revenue"] / 70_000 - 1
    assert re.search(rf"Revenue £{kpis['revenue']:,.0f} £70,000 [+−]{abs(revenue_gap):.1%}",
                     page), page[page.index("Targets"):][:300]
    assert re.search(rf"New customers {kpis['new_customers']} 20 ", page)
    # Next month's forecast against January's target, in the story and on the page.
    forecast = manifest["forecast"]
    assert forecast["period"] == "2025-01" and forecast["revenue"] > 0
    story = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section_html(html, "summary")))
    side = "above" if forecast["revenue"] >= 60_000 else "below"
    assert f"{side} the target of £60,000" in story
    assert "against a target of £60,000" in page


def test_the_new_and_returning_panel_has_its_legend(published: RunResult) -> None:
    trends = section_html((published.folder / "report.html").read_text(), "trends")
    assert ">New</text>" in trends and ">Returning</text>" in trends


def test_a_weekday_without_orders_is_labelled_so() -> None:
    from reportgen.chapters.behaviour.charts import weekday_hour_chart

    orders = pl.DataFrame({"weekday": [1, 2, 3, 4, 5, 7], "hour": [9] * 6, "orders": [5] * 6},
                          schema={"weekday": pl.Int64, "hour": pl.Int64, "orders": pl.Int64})
    spec = weekday_hour_chart(orders)
    days = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert days[5] == "Saturday (no orders)" and days[6] == "Sunday"


@pytest.mark.slow  # builds a whole report
def test_a_one_country_unit_shows_no_country_breakdowns(tmp_path: Path) -> None:
    body = "".join(f"{i},22,MUG,2,2011-11-{1 + i % 28:02d} 12:00:00,2.5,{100 + i % 7},"
                   "United Kingdom\n" for i in range(40))
    body += "C99,22,MUG,-1,2011-11-20 12:00:00,2.5,100,United Kingdom\n"
    config = load_unit_config(small_unit(tmp_path, body))
    html = build_report(config, Period(2011, 11), renderer=DraftRenderer()).files[
        "report.html"].decode()
    assert "<h3>By country</h3>" not in html and 'id="countries"' not in html
    assert "Returns and cancellations" in html


def test_the_forecast_is_explained_in_plain_words_before_any_parameter(
    published: RunResult,
) -> None:
    clv = section_html((published.folder / "report.html").read_text(), "clv-detail")
    plain = clv.index("Each customer&#39;s purchases over the next 12 months are predicted")
    assert plain < clv.index("How the forecast is made</h3>") + 200
    assert plain < clv.index("Purchase model</dt>")  # where the parameters are, r = ...


def test_segments_say_what_their_rules_mean_in_days_and_orders(published: RunResult) -> None:
    segments = section_html((published.folder / "report.html").read_text(), "segments-detail")
    assert "What the scores mean this month" in segments
    assert re.search(r"<dt>Hibernating</dt><dd>[^<]* This month: last order [\d,]+–[\d,]+ days "
                     r"ago, [\d–]+ orders?\.</dd>", segments)
    # The segment of one recent order does not borrow the KPI's name.
    main = section_html((published.folder / "report.html").read_text(), "segments")
    assert "swatch-new_customers\"></span>Recent, fewest orders</td>" in main


def test_the_glossary_defines_every_term_a_manager_meets(published: RunResult) -> None:
    glossary = section_html((published.folder / "report.html").read_text(), "method")
    for term in ("RFM scores", "Segments", "CLV (customer lifetime value)", "P(alive)",
                 "Cohort", "Retention", "Backtest error", "Error per customer", "New customers",
                 "Champions", "Hibernating", "Recent, fewest orders", "Can&#39;t lose"):
        assert f"<dt>{term}</dt>" in glossary, term


def test_the_email_fits_a_phone_screen(published: RunResult) -> None:
    html = (published.folder / "email" / "summary.html").read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "width: 100%;max-width: 600px" in html and 'width="600"' not in html
    images = re.findall(r"<img [^>]*>", html)
    assert images and all("width: 100%;max-width: 560px;height: auto" in img
                          for img in images)
    # Nothing wider than a 375-px screen but the fluid container: KPI blocks wrap two a row.
    fixed = [int(w) for w in re.findall(r"(?<![-\w])width:\s*(\d+)px", html)]
    assert fixed and max(fixed) <= 2 * 132 and 2 * (132 + 12) <= 375 - 2 * 8 - 2 * 20


def test_the_email_shows_the_same_comparisons_as_the_summary(published: RunResult) -> None:
    html = (published.folder / "report.html").read_text()
    email = (published.folder / "email" / "summary.html").read_text()
    text = (published.folder / "email" / "summary.txt").read_text()
    summary = section_html(html, "summary")
    for label in ("Nov 2024", "Dec 2023"):
        shown = re.findall(rf"([+−]?[\d.]+%|–) <span>vs {label}</span>", summary)
        assert len(shown) == len(KPIS) == 9, label  # every KPI of the PDF's summary
        in_email = re.findall(rf"([+−]?[\d.]+%|–) vs {label}</div>", email)
        # The KPIs the catalogue puts in the email, with the same figures.
        assert in_email == [change for change, kpi in zip(shown, KPIS, strict=True)
                            if kpi.in_email], label
        assert len(in_email) == sum(kpi.in_email for kpi in KPIS) == 8
        assert all(f"{change} vs {label}" in text for change in in_email)


@pytest.mark.slow  # builds two months' reports
def test_next_months_report_marks_the_actions_that_continue(tmp_path: Path) -> None:
    from conftest import run_report

    from reportgen.outputs.previous import published_history

    config = load_unit_config(write_demo_unit(tmp_path, clv={"enabled": False}))
    assert published_history(tmp_path / "output", config, PERIOD).previous_actions is None
    run_report(config, Period(2024, 11), tmp_path / "output", renderer=DraftRenderer())
    november = published_history(tmp_path / "output", config, PERIOD).previous_actions
    assert november and all(november.values())
    marked = sorted(november)[0]
    assert run_cli("campaigns", "mark", "demo", "2024-11", marked, "--sent", "2024-12-02",
                   "--output", str(tmp_path / "output")).returncode == 0
    december = run_report(config, Period(2024, 12), tmp_path / "output",
                          renderer=DraftRenderer())
    # December measures every November list, from the campaign date or from 1 December
    results = json.loads((december.folder / "manifest.json").read_text())["action_results"]
    assert sorted(r["play"] for r in results) == sorted(november)
    for result in results:
        assert result["carried_out"] == (result["play"] == marked)
        assert result["measured_from"] == ("2024-12-02" if result["play"] == marked
                                           else "2024-12-01")
        listed = pl.read_csv(tmp_path / "output" / "demo" / "2024-11" / "actions"
                             / f"{result['play']}.csv")
        assert result["contact"] + result["control"] == listed.height
        assert result["control"] == int((listed["group"] == "control").sum())
        assert 0 <= result["response_contact"] <= 1
    fired = json.loads((december.folder / "manifest.json").read_text())["recommendations"]
    continuing = [r for r in fired if r["continuing"]]
    assert continuing, [(r["id"], r["new_to_action"]) for r in fired]
    for r in fired:
        now = set(pl.read_csv(december.folder / r["action_file"],
                              schema_overrides={"customer_id": pl.String})["customer_id"])
        assert r["new_to_action"] == len(now - november.get(r["id"], frozenset()))
        assert r["continuing"] == (len(now & november.get(r["id"], frozenset()))
                                   >= 0.5 * len(now) and r["id"] in november)
    html = (december.folder / "report.html").read_text()
    assert "continuing from last month" in html
    assert "Did earlier actions work?" in html and "Actions proposed in November 2024" in html


def test_suggestions_are_published_beside_the_customers(published: RunResult) -> None:
    folder = published.folder
    suggestions = pl.read_csv(folder / "suggestions.csv",
                              schema_overrides={"customer_id": pl.String})
    assert suggestions.columns == ["customer_id", "rank", "stock_code", "description", "score",
                                   "because_stock_code", "because_description"]
    manifest = json.loads((folder / "manifest.json").read_text())["suggestions"]
    assert suggestions["customer_id"].n_unique() == manifest["customers"] > 0
    ranks = suggestions.group_by("customer_id").agg(pl.col("rank").sort())
    assert all(r == list(range(1, len(r) + 1)) and len(r) <= 10
               for r in ranks["rank"].to_list())
    # no suggestion is a product the customer kept in their buy-again list
    buy_again = pl.read_csv(folder / "buy_again.csv", schema_overrides={"customer_id": pl.String})
    assert buy_again.columns == ["customer_id", "rank", "stock_code", "description",
                                 "days_bought", "last_bought"]
    assert suggestions.join(buy_again, on=["customer_id", "stock_code"]).is_empty()
    if manifest["method"] != "popularity":
        assert suggestions["because_stock_code"].null_count() < suggestions.height
    first_three = (suggestions.filter(pl.col("rank") <= 3).sort("customer_id", "rank")
                   .group_by("customer_id", maintain_order=True)
                   .agg(pl.col("description").str.join("; ").alias("expected")))
    customers = pl.read_csv(folder / "customers.csv", schema_overrides={"customer_id": pl.String})
    joined = customers.join(first_three, on="customer_id", how="left")
    assert (joined["suggested_products"].fill_null("") == joined["expected"].fill_null("")).all()
    for action_list in (folder / "actions").glob("*.csv"):
        if action_list.stem != "no_action":  # to contact: with what to offer
            assert "suggested_products" in pl.read_csv(action_list).columns, action_list.name
    assert set(manifest) >= {"method", "tested_method", "fallback", "backtest"}
    html = (folder / "report.html").read_text()
    assert "Product affinity and suggestions" in html and "For buyers and merchandisers" in html


def test_suggestions_can_be_switched_off(tmp_path: Path) -> None:
    body = "".join(
        f"{i},{20 + i % 5},MUG,2,2011-11-{1 + i % 28:02d} 12:00:00,2.5,{100 + i % 7},"
        "United Kingdom\n" for i in range(30))
    config = small_unit(tmp_path, body)
    config.write_text(config.read_text() + "suggestions:\n  enabled: false\n")
    result = draft_report(config, Period(2011, 11), tmp_path / "out")
    assert not (result.folder / "suggestions.csv").exists()
    header = (result.folder / "customers.csv").read_text().splitlines()[0]
    assert "suggested_products" not in header.split(",")
    assert json.loads((result.folder / "manifest.json").read_text())["suggestions"] is None
    assert "Product affinity and suggestions" not in (result.folder / "report.html").read_text()


@pytest.mark.slow  # builds three months' reports
def test_two_measured_campaigns_replace_the_assumed_response(tmp_path: Path) -> None:
    from reportgen.outputs.campaigns import EarlierLists, PublishedList
    from reportgen.outputs.previous import PublishedHistory
    from reportgen.playbook.control import with_groups

    config = load_unit_config(write_demo_unit(tmp_path, clv={"enabled": False}))
    customers = pl.read_csv(tmp_path / "demo.csv", infer_schema=False)[
        "CustomerID"].drop_nulls().unique().sort()
    audience = pl.DataFrame({"customer_id": customers})
    campaigns = tuple(
        PublishedList(Period(2024, month), "nurture_potential_loyalists", "Nurture",
                      with_groups(audience, "demo", f"2024-0{month}", "nurture", 0.3)
                      .select("customer_id", "group"), True, date(2024, month + 1, 1))
        for month in (5, 6))
    report = build_report(config, PERIOD, renderer=DraftRenderer(),
                          history=PublishedHistory(earlier=EarlierLists(campaigns)))
    manifest = json.loads(report.files["manifest.json"])
    measured = manifest["measured_responses"]["nurture_potential_loyalists"]
    assert measured["campaigns"] == 2 and 0 <= measured["response"] <= 1
    fired = {r["id"]: r for r in manifest["recommendations"]}
    nurture = fired["nurture_potential_loyalists"]
    assert nurture["expected_response"] == pytest.approx(measured["response"])
    assert nurture["response_basis"] == "measured" and nurture["measured_campaigns"] == 2
    html = report.files["report.html"].decode()
    assert "Expected responses now measured" in html
    assert f"Turn potential loyalists into regulars: {measured['response']:.1%}" in html
    # the recommendations cite the measurement page, which this report has
    assert 'id="measurement"' in html and '(see <a href="#measurement">Did earlier actions work?</a>)' in html
    others = [r for r in fired.values() if r["id"] != "nurture_potential_loyalists"]
    assert others and all(r["response_basis"] == "assumed" for r in others)
    # the May and June campaigns' windows ended before December: not shown again
    assert manifest["action_results"] == []


def test_the_pdf_is_a_board_pack_and_the_html_has_everything(published: RunResult) -> None:
    pdf = (published.folder / "report.pdf").read_bytes()
    pages = pdf_pages(pdf)
    manifest = json.loads((published.folder / "manifest.json").read_text())
    assert len(pages) == manifest["pdf_pages"] <= 16
    main = before_the_appendix(pages)
    assert "Recommendations" in main and "Customer lifetime value" in main
    assert not JARGON.search(main), JARGON.search(main)
    # the appendix holds data quality and the glossary; the analyst's parts are not printed
    text = "".join(pages)
    assert "Appendix: Data quality" in text and "Appendix: Glossary and method" in text
    assert not re.search(r"^Appendix: .* in detail", text, re.MULTILINE)
    assert "Customer clusters" not in text
    # at most one page besides the cover is mostly blank
    assert sum(share < LOW_INK for share in inked_shares(pdf)[1:]) <= 1
    # report.html is complete: every chapter, and every analyst's part in the appendix
    html = (published.folder / "report.html").read_text()
    for anchor in ("clv-detail", "suggestions-detail", "segments-detail", "clusters",
                   "data-quality", "method"):
        assert f'<section id="{anchor}"' in html, anchor
    assert html.index('id="clv-detail"') > html.index('id="returns"')  # after the main pages


class PdfHtml(DraftRenderer):
    """A draft renderer that keeps the HTML it was asked to lay out as the PDF."""

    laid_out: str = ""

    def pdf(self, html: str) -> tuple[bytes, int]:
        PdfHtml.laid_out = html
        return super().pdf(html)


@pytest.mark.slow  # lays out the full report (30 pages) for real
def test_report_pdf_full_lays_out_every_chapter_and_board_the_pack(tmp_path: Path) -> None:
    config = load_unit_config(write_demo_unit(tmp_path))
    renderer = PdfHtml()
    report = build_report(config.model_copy(update={"report": config.report.model_copy(
        update={"pdf": "full"})}), PERIOD, renderer=renderer)
    full = PdfHtml.laid_out
    assert full == report.files["report.html"].decode()
    assert 'id="clv-detail"' in full and 'id="clusters"' in full
    # the default, board: the same pages less the analysts' (one build, both renderings)
    board = renderer.html(report.context, renderer.chart_svgs(report.context), board=True)
    assert 'class="board"' in board and 'id="clv-detail"' not in board
    assert 'id="clusters"' not in board and 'id="method"' in board
    # Every chart of every chapter is a valid Vega-Lite spec, with the report's look (runs skip
    # Altair's own validation, which cost a second a report).
    import jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    validator = jsonschema.Draft7Validator(load_schema())
    assert len(report.context.charts) > 15
    for key, chart in report.context.charts.items():
        assert not [error.message for error in validator.iter_errors(chart.spec)], key


def test_the_email_links_the_report_and_reads_on_a_phone(published: RunResult) -> None:
    config = load_unit_config(published.folder.parents[2] / "demo.yaml")
    html, fits = render_email_at(published.folder, config, PERIOD, width=375)
    link = DEMO_REPORT_URL.format(unit="demo", period="2024-12")
    assert f'href="{link}"' in html
    assert len(html.encode("utf-8")) < 100_000  # Gmail clips a message's HTML at 102 KB
    assert "<style>" in html and 'style="' in html  # inlined, the phone rules kept
    assert re.search(r'src="cid:revenue_trend\.png"', html)
    # the story, the KPIs with the anonymous share, net revenue and returns
    for words in ("What happened", "What to do first", "Revenue without a customer id",
                  "Net revenue", "Returns", "expected profit"):
        assert words in html, words
    assert fits  # no sideways scrolling at 375 px, and every image shown inline
    text = (published.folder / "email" / "summary.txt").read_text()
    assert f"The full report: {link}" in text


def test_the_warm_up_starts_rendering_and_records_no_chart(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm-up beside the analyses (run where the process has more than one core) starts
    vl-convert and WeasyPrint and leaves nothing behind: no failed chart, and a chart drawn
    after it is the same as one drawn cold."""
    import sys

    spec = {"data": {"values": [{"month": "2024-01", "revenue": 5.0}]}, "mark": "bar",
            "encoding": {"x": {"field": "month", "type": "nominal"},
                         "y": {"field": "revenue", "type": "quantitative"}}}
    cold = Renderer().chart_svg(spec, "c")
    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    warm = Renderer()
    warm.warm_up()
    assert "weasyprint" in sys.modules and warm.failed_charts == {}
    assert warm.chart_svg(spec, "c") == cold
