"""Issue 28: whole reports of units of other shapes than the gift wholesaler, read as their
managers would: a US grocery loyalty panel (USD, UTC times, no returns, fuel by volume, coupon
lines) and a European web shop where most customers buy once (EUR, refunds as lines of
negative quantity). Drafted (real templates, no chart drawing, no PDF layout); the PDF is laid
out from the same HTML."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import PROJECT_DIR, DraftRenderer, run_report

from reportgen.chapters import fact_specs
from reportgen.config import load_unit_config
from reportgen.demo_shapes import ShapeSpec, simulate_shape
from reportgen.period import Period
from reportgen.playbook.audience import select_audience
from reportgen.playbook.entries import load_playbook

pytestmark = pytest.mark.slow  # two whole reports
PERIOD = Period(2024, 12)
OTHER_SIGNS = {"grocery": ("£", "€", "GBP", "EUR"), "shop": ("£", "$", "GBP", "USD")}


def published(folder: Path, shape: str, customers: int) -> Path:
    """The shape's unit (its config/<shape>.yaml over a small simulated export), reported."""
    export = simulate_shape(ShapeSpec(shape, customers, seed=5, start=datetime(2023, 7, 1)))  # type: ignore[arg-type]
    export.write_csv(folder / "export.csv")
    unit = yaml.safe_load((PROJECT_DIR / "config" / f"{shape}.yaml").read_text())
    unit["source"]["path"] = "export.csv"
    unit["clusters"] = {"k_max": 4, "n_init": 2}
    (folder / "unit.yaml").write_text(yaml.safe_dump(unit))
    result = run_report(load_unit_config(folder / "unit.yaml"), PERIOD, folder / "out",
                        renderer=DraftRenderer())
    return result.folder


@pytest.fixture(scope="module")
def grocery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published(tmp_path_factory.mktemp("grocery"), "grocery", 50)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published(tmp_path_factory.mktemp("shop"), "shop", 700)


def texts(folder: Path) -> dict[str, str]:
    """What a reader sees: the report, the email, and the header of every CSV."""
    found = {name: (folder / name).read_text(encoding="utf-8")
             for name in ("report.html", "email/summary.html", "email/summary.txt")}
    for table in [*folder.glob("*.csv"), *folder.glob("actions/*.csv")]:
        found[table.name] = table.read_text(encoding="utf-8").splitlines()[0]
    return found


@pytest.mark.parametrize("shape", ["grocery", "shop"])
def test_every_amount_is_in_the_units_currency(shape: str, request: pytest.FixtureRequest
                                               ) -> None:
    folder: Path = request.getfixturevalue(shape)
    sign = {"grocery": "$", "shop": "€"}[shape]
    shown = texts(folder)
    assert sign in shown["report.html"] and sign in shown["email/summary.txt"]
    for name, text in shown.items():
        visible = re.sub(r"<(style|script)[\s\S]*?</\1>", " ", text)
        for other in OTHER_SIGNS[shape]:
            assert other not in visible, (name, other)


def test_a_unit_without_returns_has_no_returns_page_and_no_return_rates(grocery: Path) -> None:
    manifest = json.loads((grocery / "manifest.json").read_text())
    html = (grocery / "report.html").read_text()
    assert manifest["returns"] is None
    assert 'id="returns"' not in html
    assert "The data hold no returns or cancellations" in html
    assert "return_rate" not in manifest["clusters"]["features"]
    assert "return_rate" not in pl.read_csv(grocery / "customers.csv").columns
    for action in (grocery / "actions").glob("*.csv"):
        assert "return_rate" not in pl.read_csv(action).columns, action.name
    summary = html.split('id="summary"')[1].split("</section>")[0]
    assert ">Returns<" not in summary and ">Net revenue<" not in summary
    products = html.split('id="products"')[1].split("</section>")[0]
    assert "Highest return rates" not in products
    glossary = html.split('id="method"')[1]
    assert "Return rate" not in glossary and "Cancelled order" not in glossary


def test_local_times_and_goods_by_volume_in_the_grocery_report(grocery: Path) -> None:
    manifest = json.loads((grocery / "manifest.json").read_text())
    # Baskets are placed between 06:00 and 23:00 in Chicago, most at 17:00-18:00 local time.
    assert 15 <= manifest["facts"]["peak_hour"] <= 19
    html = (grocery / "report.html").read_text()
    products = html.split('id="products"')[1].split("</section>")[0]
    units_table = products.split("Top products by units")[1].split("</table>")[0]
    assert "GASOLINE" not in units_table and "BANANAS" not in units_table
    assert "Sold by volume or weight" in products and "GASOLINE-REG UNLEADED" in products
    for name in ("suggestions.csv", "buy_again.csv"):
        codes = pl.read_csv(grocery / name, schema_overrides={"stock_code": pl.String})
        assert not codes["stock_code"].is_in(["6534178", "5004"]).any(), name
    rules = {entry["rule"]: entry["rows"] for entry in manifest["data_quality"]}
    assert rules["Not a product: Coupons and promotions"] > 0
    assert rules["Not a product: Gift vouchers and gift cards"] > 0


def test_countries_of_customers_in_every_list(shop: Path) -> None:
    customers = pl.read_csv(shop / "customers.csv")
    assert customers["country"].null_count() == 0
    assert set(customers["country"]) <= {"Germany", "France", "Netherlands", "Austria",
                                         "Belgium"}
    for action in (shop / "actions").glob("*.csv"):
        assert "country" in pl.read_csv(action).columns, action.name


def test_the_shops_returns_are_one_figure_everywhere(shop: Path) -> None:
    manifest = json.loads((shop / "manifest.json").read_text())
    returns = manifest["returns"]
    by_month = {row["month"]: row["value"] for row in returns["by_month"]}
    # Refunds come days after the order: returns, not cancelled orders.
    assert returns["value_12m"] > 0 and returns["cancelled_orders"]["invoices"] == 0
    assert sum(by_month.values()) == pytest.approx(returns["value_12m"])
    assert sum(row["value"] for row in returns["by_segment"]) == pytest.approx(
        returns["value_12m"])
    assert manifest["kpis"]["returns_value"] == pytest.approx(by_month["2024-12"])


def test_the_grocery_panel_is_consumer_and_urges_no_one_inside_their_rhythm(
        grocery: Path) -> None:
    manifest = json.loads((grocery / "manifest.json").read_text())
    assert manifest["business"] == "consumer"
    assert manifest["business_profile"]["rhythm_days"] <= 10
    customers = pl.read_csv(grocery / "customers.csv", schema_overrides={"customer_id": pl.String})
    inside = customers.filter(pl.col("recency_days") <= 1.5 * pl.col("usual_gap_days"))
    assert inside.height > 0
    for recommendation in manifest["recommendations"]:
        assert recommendation["channel"] != "call"  # no household is called personally
        if recommendation["urgent"]:
            listed = pl.read_csv(grocery / recommendation["action_file"],
                                 schema_overrides={"customer_id": pl.String})
            assert not listed["customer_id"].is_in(inside["customer_id"].implode()).any()
    # and no urgent play of the shipped playbook would take any of them
    config = load_unit_config(grocery.parents[2] / "unit.yaml")
    for entry in load_playbook(config, fact_specs()).entries:
        if entry.urgent:
            chosen = select_audience(customers, entry.audience, config.rfm.lapsing_segments,
                                     config.playbook.overdue_factor)
            assert not chosen["customer_id"].is_in(inside["customer_id"].implode()).any()
