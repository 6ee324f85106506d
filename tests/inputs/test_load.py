"""Reading transactions: formats, encodings, column mapping, types, and clear input errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import UnitFactory, lines

from reportgen.config import load_unit_config
from reportgen.errors import EncodingError, InputError
from reportgen.inputs.load import read_transactions

SAMPLE = lines(
    ("536365", "85123A", 6, "2010-12-01 08:26:00", 2.55, "17850"),
    ("536366", "71053", 2, "2010-12-02 09:00:00", 3.39, None),
    ("C536367", "71053", -2, "2010-12-03 10:00:00", 3.39, "17850", "France"),
)
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


@pytest.mark.parametrize("data_name", ["t.parquet", "t.csv", "t.xlsx"])
def test_every_format_gives_the_same_canonical_table(
    write_unit: UnitFactory, data_name: str
) -> None:
    loaded = read_transactions(load_unit_config(write_unit(SAMPLE, data_name=data_name)))
    frame = loaded.transactions
    assert frame.columns == [
        "invoice", "stock_code", "description", "quantity", "invoice_date", "unit_price",
        "customer_id", "country",
    ]
    assert frame["invoice"].to_list() == ["536365", "536366", "C536367"]
    assert frame["quantity"].to_list() == [6, 2, -2]
    assert frame["customer_id"].to_list() == ["17850", None, "17850"]
    assert frame["invoice_date"][0] == datetime(2010, 12, 1, 8, 26)
    assert frame["unit_price"].to_list() == [2.55, 3.39, 3.39]
    assert loaded.rows_read == 3 and loaded.malformed_rows == 0
    assert len(loaded.files[0].sha256) == 64


def test_float_customer_ids_become_plain_identifiers(write_unit: UnitFactory) -> None:
    data = SAMPLE.with_columns(pl.col("CustomerID").cast(pl.Float64))
    loaded = read_transactions(load_unit_config(write_unit(data)))
    assert loaded.transactions["customer_id"].to_list() == ["17850", None, "17850"]


def test_column_mapping_reads_online_retail_ii_names(write_unit: UnitFactory) -> None:
    data = SAMPLE.rename({"InvoiceNo": "Invoice", "UnitPrice": "Price", "CustomerID": "Customer ID"})
    path = write_unit(data, source={"columns": {
        "invoice": "Invoice", "unit_price": "Price", "customer_id": "Customer ID"}})
    assert read_transactions(load_unit_config(path)).transactions.height == 3


def test_latin1_csv_reads_when_declared(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(data_name="t.csv", source={"encoding": "latin-1"})
    body = '536365,22,CAFÉ SET,1,2010-12-01 08:26:00,2.5,17850,United Kingdom\n'
    (tmp_path / "t.csv").write_bytes((HEADER + body).encode("latin-1"))
    loaded = read_transactions(load_unit_config(path))
    assert loaded.transactions["description"][0] == "CAFÉ SET"


def test_utf8_byte_order_mark_is_not_part_of_the_header(
    tmp_path: Path, write_unit: UnitFactory
) -> None:
    path = write_unit(data_name="t.csv")
    body = "536365,22,MUG,1,2010-12-01 08:26:00,2.5,17850,United Kingdom\n"
    (tmp_path / "t.csv").write_bytes(b"\xef\xbb\xbf" + (HEADER + body).encode())
    assert read_transactions(load_unit_config(path)).transactions["invoice"][0] == "536365"


def test_wrong_encoding_says_which_encoding_to_declare(
    tmp_path: Path, write_unit: UnitFactory
) -> None:
    path = write_unit(data_name="t.csv")
    body = '536365,22,CAFÉ SET,1,2010-12-01 08:26:00,2.5,17850,United Kingdom\n'
    (tmp_path / "t.csv").write_bytes((HEADER + body).encode("latin-1"))
    with pytest.raises(EncodingError) as caught:
        read_transactions(load_unit_config(path))
    line = caught.value.one_line()
    assert "test:" in line and "t.csv" in line and "line 2" in line
    assert "declare source.encoding: cp1252" in line


def test_online_retail_csv_dates_are_recognised(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(data_name="t.csv")
    body = "536365,22,MUG,1,12/1/2010 8:26,2.5,17850.0,United Kingdom\n"
    (tmp_path / "t.csv").write_text(HEADER + body)
    frame = read_transactions(load_unit_config(path)).transactions
    assert frame["invoice_date"][0] == datetime(2010, 12, 1, 8, 26)
    assert frame["customer_id"][0] == "17850"


def test_a_few_unreadable_rows_are_dropped_and_counted(
    tmp_path: Path, write_unit: UnitFactory
) -> None:
    path = write_unit(data_name="t.csv")
    good = "536365,22,MUG,2,2010-12-01 08:26:00,2.5,17850,United Kingdom\n"
    rows = [good] * 8 + [
        "536366,22,MUG,two,2010-12-01 09:00:00,2.5,17850,United Kingdom\n",
        "536367,22,MUG,1,yesterday,2.5,17850,United Kingdom\n",
    ]
    (tmp_path / "t.csv").write_text(HEADER + "".join(rows))
    loaded = read_transactions(load_unit_config(path))
    assert loaded.transactions.height == 8
    assert loaded.malformed_rows == 2
    assert [(e.row, e.column, e.value) for e in loaded.malformed_examples] == [
        (10, "quantity", "two"), (11, "invoice_date", "yesterday")
    ]


def test_a_mostly_unreadable_column_is_a_mapping_error(
    tmp_path: Path, write_unit: UnitFactory
) -> None:
    path = write_unit(data_name="t.csv", source={"columns": {"unit_price": "Country"}})
    (tmp_path / "t.csv").write_text(
        HEADER + "536365,22,MUG,2,2010-12-01 08:26:00,2.5,17850,United Kingdom\n"
    )
    with pytest.raises(InputError, match="column 'Country': 1 of 1 values are not a valid unit_price"):
        read_transactions(load_unit_config(path))


def test_missing_column_names_unit_file_and_column(write_unit: UnitFactory) -> None:
    path = write_unit(SAMPLE.drop("CustomerID"))
    with pytest.raises(InputError) as caught:
        read_transactions(load_unit_config(path))
    line = caught.value.one_line()
    assert line.startswith("test: ") and "transactions.parquet" in line
    assert "column 'CustomerID'" in line and "source.columns.customer_id" in line


def test_missing_file_is_named(write_unit: UnitFactory) -> None:
    with pytest.raises(InputError, match="input file not found"):
        read_transactions(load_unit_config(write_unit(data_name="absent.csv")))


@pytest.mark.parametrize("content", ["", HEADER])
def test_empty_input_is_an_error(tmp_path: Path, write_unit: UnitFactory, content: str) -> None:
    path = write_unit(data_name="t.csv")
    (tmp_path / "t.csv").write_text(content)
    with pytest.raises(InputError, match=r"empty|no rows"):
        read_transactions(load_unit_config(path))


def test_glob_reads_every_matching_file(tmp_path: Path, write_unit: UnitFactory) -> None:
    SAMPLE.head(2).write_parquet(tmp_path / "part-1.parquet")
    SAMPLE.tail(1).write_parquet(tmp_path / "part-2.parquet")
    loaded = read_transactions(load_unit_config(write_unit(data_name="part-*.parquet")))
    assert loaded.transactions.height == 3 and len(loaded.files) == 2


def test_country_filter_keeps_the_unit_countries(write_unit: UnitFactory) -> None:
    path = write_unit(SAMPLE, filters={"countries": ["United Kingdom"]})
    loaded = read_transactions(load_unit_config(path))
    assert loaded.transactions.height == 2 and loaded.rows_other_countries == 1


def test_unknown_country_in_filter_is_an_error(write_unit: UnitFactory) -> None:
    path = write_unit(SAMPLE, filters={"countries": ["Untied Kingdom"]})
    with pytest.raises(InputError, match="country 'Untied Kingdom' does not appear"):
        read_transactions(load_unit_config(path))
