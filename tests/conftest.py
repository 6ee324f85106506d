"""Shared fixtures: small transaction tables with the hard cases, and unit configs on disk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data" / "online_retail.parquet"

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID", "Country"]


def lines(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """Transactions in the Online Retail schema from (invoice, code, qty, when, price, customer[,
    country[, description]]) tuples."""
    records = []
    for row in rows:
        invoice, code, qty, when, price, customer, *rest = row
        country = rest[0] if rest else "United Kingdom"
        description = rest[1] if len(rest) > 1 else f"PRODUCT {code}"
        records.append({
            "InvoiceNo": invoice, "StockCode": code, "Description": description,
            "Quantity": qty, "InvoiceDate": datetime.fromisoformat(when), "UnitPrice": price,
            "CustomerID": customer, "Country": country,
        })
    return pl.DataFrame(records, schema={
        "InvoiceNo": pl.String, "StockCode": pl.String, "Description": pl.String,
        "Quantity": pl.Int64, "InvoiceDate": pl.Datetime("us"), "UnitPrice": pl.Float64,
        "CustomerID": pl.String, "Country": pl.String,
    })


UnitFactory = Callable[..., Path]


@pytest.fixture
def write_unit(tmp_path: Path) -> UnitFactory:
    """Write a unit YAML (and optionally its data) into tmp_path; return the YAML's path."""

    def factory(
        data: pl.DataFrame | None = None,
        data_name: str = "transactions.parquet",
        defaults: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Path:
        if data is not None:
            target = tmp_path / data_name
            if data_name.endswith(".csv"):
                data.write_csv(target)
            elif data_name.endswith(".xlsx"):
                data.write_excel(target)
            else:
                data.write_parquet(target)
        unit: dict[str, Any] = {
            "unit": "test", "title": "Test Unit", "currency": "GBP",
            "source": {"path": data_name},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(unit.get(key), dict):
                unit[key] = {**unit[key], **value}
            else:
                unit[key] = value
        if defaults is not None:
            (tmp_path / "defaults.yaml").write_text(yaml.safe_dump(defaults))
        path = tmp_path / "test.yaml"
        path.write_text(yaml.safe_dump(unit))
        return path

    return factory


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public UCI Online Retail parquet; tests using it are skipped when it is absent."""
    if not SHARED_DATA.is_file():
        pytest.skip("../shared/data/online_retail.parquet is not available")
    return SHARED_DATA


def cdnow_purchases() -> pl.DataFrame:
    """CDNOW sample shipped with lifetimes (2,357 customers) as purchase lines."""
    import lifetimes.datasets

    return _read_cdnow(Path(lifetimes.datasets.__file__).parent / "CDNOW_sample.txt")


def _read_cdnow(path: Path) -> pl.DataFrame:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "invoice": [f"{r[0]}-{r[2]}" for r in rows],
            "invoice_date": [datetime.strptime(r[2], "%Y%m%d") for r in rows],
            "revenue": [float(r[4]) for r in rows],
        },
        schema_overrides={"invoice_date": pl.Datetime("us")},
    )


def purchases(*rows: tuple[str, str | None, str, float]) -> pl.DataFrame:
    """Cleaned purchase lines from (invoice, customer, timestamp, revenue)."""
    return pl.DataFrame(
        [{"invoice": i, "customer_id": c, "invoice_date": datetime.fromisoformat(t), "revenue": r}
         for i, c, t, r in rows],
        schema={"invoice": pl.String, "customer_id": pl.String,
                "invoice_date": pl.Datetime("us"), "revenue": pl.Float64},
    )
