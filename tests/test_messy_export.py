"""A messy real-world export renders in full: Online Retail II column names, latin-1 bytes,
blank descriptions on cancellation lines, returns of goods never sold in the window and
returns larger than the purchases they come from."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from reportgen.cli import app
from reportgen.demo_data import DemoSpec, generate_transactions

pytestmark = pytest.mark.slow  # a full report, PDF and email included, of its own
PERIOD = "2024-12"
II_NAMES = {"InvoiceNo": "Invoice", "UnitPrice": "Price", "CustomerID": "Customer ID"}
NOT_PRINTABLE = re.compile(r"\b(None|nan|NaN|inf|-inf)\b")


def messy_lines() -> pl.DataFrame:
    """Demo transactions made messy the ways other exports of the same shop are."""
    demo = generate_transactions(DemoSpec(customers=500, seed=7)).transactions
    cancellation = pl.col("InvoiceNo").str.starts_with("C")
    demo = demo.with_columns(
        # Cancellation lines arrive without a description; one product gets an accent.
        pl.when(cancellation).then(pl.lit("")).otherwise(pl.col("Description"))
        .alias("Description"),
    )
    best_seller = (demo.filter(~cancellation).group_by("StockCode").agg(pl.col("Quantity").sum())
                   .sort(["Quantity", "StockCode"], descending=[True, False])["StockCode"][0])
    demo = demo.with_columns(
        pl.when((pl.col("StockCode") == best_seller) & ~cancellation).then(pl.lit("CAFÉ MUG £5"))
        .otherwise(pl.col("Description")).alias("Description"))
    customer = demo.filter(pl.col("CustomerID").is_not_null())["CustomerID"][0]
    extra = pl.DataFrame(
        [
            # Returned in the window, bought before the data starts: no purchase anywhere.
            ("C900001", "NEVERSOLD", "", -150, "2024-11-03 10:00:00", 2.5, customer,
             "United Kingdom"),
            # Bought early in the data (outside the window), returned in it, more than bought.
            ("900002", "OLDBUY", "OLD BUY", 2, "2023-01-10 10:00:00", 4.0, customer,
             "United Kingdom"),
            ("C900003", "OLDBUY", "", -9, "2024-12-05 10:00:00", 4.0, customer,
             "United Kingdom"),
            # Only on a purchase and its same-day cancellation, both without a description:
            # the product exists in the window on cancellation lines alone.
            ("900004", "ONLYCANCEL", "", 300, "2024-12-06 10:00:00", 1.0, customer,
             "United Kingdom"),
            ("C900005", "ONLYCANCEL", "", -300, "2024-12-06 10:30:00", 1.0, customer,
             "United Kingdom"),
        ],
        schema={name: pl.String if name == "InvoiceDate" else dtype
                for name, dtype in demo.schema.items()},
        orient="row",
    )
    return pl.concat([demo, extra.with_columns(
        pl.col("InvoiceDate").str.to_datetime().cast(demo.schema["InvoiceDate"]))])


def write_latin1_csv(frame: pl.DataFrame, path: Path) -> None:
    text = frame.rename(II_NAMES).with_columns(
        pl.col("InvoiceDate").dt.strftime("%Y-%m-%d %H:%M:%S")).write_csv()
    path.write_bytes(text.encode("latin-1"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the messy unit through the CLI once: report, exports and the email (dry run)."""
    folder = tmp_path_factory.mktemp("messy")
    write_latin1_csv(messy_lines(), folder / "export.csv")
    unit = {
        "unit": "messy", "title": "Messy Export", "currency": "GBP",
        "source": {"path": "export.csv", "encoding": "latin-1", "columns": {
            "invoice": "Invoice", "unit_price": "Price", "customer_id": "Customer ID"}},
        "delivery": {"to": ["board@example.com"]},
        "clusters": {"k_max": 5, "n_init": 3},
    }
    (folder / "messy.yaml").write_text(yaml.safe_dump(unit))
    result = CliRunner().invoke(app, ["run", str(folder / "messy.yaml"), "--period", PERIOD,
                                      "--output", str(folder / "out"), "--dry-run"])
    assert result.exit_code == 0, result.output
    return folder / "out" / "messy" / PERIOD


def test_the_full_report_and_email_are_written(published: Path) -> None:
    pdf = (published / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    assert (published / "summary.eml").stat().st_size > len(pdf)
    html = (published / "report.html").read_text(encoding="utf-8")
    assert "CAFÉ MUG £5" in html  # latin-1 bytes decoded, not mangled
    assert "NEVERSOLD" in html
    # ONLYCANCEL's one order was cancelled within the hour: in neither revenue nor returns,
    # counted once among the cancelled orders.
    manifest = json.loads((published / "manifest.json").read_text())
    assert manifest["returns"]["cancelled_orders"]["value"] >= 300.0
    assert "ONLYCANCEL" not in html.split('id="returns"')[1].split("</section>")[0]


def test_every_return_rate_lies_between_0_and_1(published: Path) -> None:
    customers = pl.read_csv(published / "customers.csv")
    rates = customers["return_rate"]
    assert rates.null_count() == 0
    assert rates.min() >= 0 and rates.max() <= 1  # type: ignore[operator]
    # The customer who returned more than they bought has a rate, capped by what they bought.
    assert rates.max() > 0  # type: ignore[operator]


def test_no_page_or_export_prints_a_missing_number(published: Path) -> None:
    text = re.sub(r"<[^>]+>", " ", (published / "report.html").read_text(encoding="utf-8"))
    text = re.sub(r"@font-face[^}]*}", " ", text)
    assert not NOT_PRINTABLE.search(text.split("</style>")[-1])
    for email_part in ("summary.html", "summary.txt"):
        assert not NOT_PRINTABLE.search((published / "email" / email_part).read_text())
    for export in [published / "customers.csv", *sorted((published / "actions").glob("*.csv"))]:
        for row in csv.reader(io.StringIO(export.read_text(encoding="utf-8"))):
            assert not any(NOT_PRINTABLE.fullmatch(cell) for cell in row), (export.name, row)


def test_unmatched_returns_are_in_the_cleaning_log(published: Path) -> None:
    html = (published / "report.html").read_text(encoding="utf-8")
    assert "Returns with no earlier purchase to match in the data" in html
