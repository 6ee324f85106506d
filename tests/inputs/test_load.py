"""Reading transactions: formats, encodings, column mapping, types, and clear input errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import UnitFactory, lines

from reportgen.config import ConfigErrors, load_unit_config
from reportgen.errors import EncodingError, InputError
from reportgen.inputs.clean import clean_transactions
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
    body = ("536365,22,MUG,1,12/1/2010 8:26,2.5,17850.0,United Kingdom\n"
            "536366,22,MUG,1,12/13/2010 9:01,2.5,17850.0,United Kingdom\n")
    (tmp_path / "t.csv").write_text(HEADER + body)
    source = read_transactions(load_unit_config(path))
    frame = source.transactions
    assert frame["invoice_date"][0] == datetime(2010, 12, 1, 8, 26)
    assert frame["customer_id"][0] == "17850"
    # 12/13/2010 cannot be day-first: the data decided the order, and the run says so
    [reading] = source.date_readings
    assert (reading.order, reading.example) == ("month-first", "12/13/2010 9:01")
    # with only 12/1/2010 the file could mean 1 December or 12 January: refused
    (tmp_path / "t.csv").write_text(HEADER + body.splitlines(keepends=True)[0])
    with pytest.raises(InputError, match="read both day-first and month-first"):
        read_transactions(load_unit_config(path))


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


def test_files_of_other_years_and_exports_are_stacked_and_overlaps_kept_once(
        tmp_path: Path, write_unit: UnitFactory) -> None:
    # Last year's export: Online Retail II names, latin-1, semicolons, day-first dates. Its
    # last two lines (10-11 Dec 2010) are in this year's file too, one with another spelling.
    older = ("Invoice;StockCode;Description;Quantity;InvoiceDate;Price;Customer ID;Country\n"
             "489434;85048;CAFÉ LIGHTS;12;01/12/2009 07:45;6.95;13085;United Kingdom\n"
             "489435;22350;CAT BOWL;12;01/12/2009 07:46;2.55;13085;United Kingdom\n"
             "536370;22728;ALARM CLOCK;24;10/12/2010 08:45;3.75;12583;France\n"
             "536371;22086;PAPER CHAIN;80;11/12/2010 09:00;2.55;13748;United Kingdom\n")
    (tmp_path / "2010.csv").write_bytes(older.encode("latin-1"))
    lines(("536370", "22728", 24, "2010-12-10 08:45:00", 3.75, "12583", "France",
           "ALARM CLOCK BAKELIKE PINK"),
          ("536371", "22086", 80, "2010-12-11 09:00:00", 2.55, "13748"),
          ("536371", "22086", 80, "2010-12-11 09:00:00", 2.55, "13748"),  # a within-file copy
          ("536372", "22632", 6, "2010-12-12 09:01:00", 1.85, "17850"),
          ).write_csv(tmp_path / "2011.csv")
    path = write_unit(data_name="2011.csv", source={"files": [{
        "path": "2010.csv", "encoding": "latin-1", "delimiter": ";", "date_format": "%d/%m/%Y %H:%M",
        "columns": {"invoice": "Invoice", "unit_price": "Price", "customer_id": "Customer ID"}}]})
    config = load_unit_config(path)
    assert config.source.files[0].path == tmp_path / "2010.csv"  # resolved from the YAML
    loaded = read_transactions(config)
    assert [Path(f.path).name for f in loaded.files] == ["2011.csv", "2010.csv"]
    assert loaded.rows_read == 8
    # The two shared lines are kept from the first file; its own copy is left for cleaning.
    assert loaded.overlap_rows == 2
    assert loaded.overlap_revenue == pytest.approx(24 * 3.75 + 80 * 2.55)
    frame = loaded.transactions.sort("invoice_date")
    assert frame.height == 6
    assert frame["invoice"].to_list() == ["489434", "489435", "536370", "536371", "536371",
                                          "536372"]
    assert frame["description"][0] == "CAFÉ LIGHTS"
    assert frame["description"][2] == "ALARM CLOCK BAKELIKE PINK"  # the first file's
    clean = clean_transactions(loaded, datetime(2011, 1, 1), config.cleaning)
    log = {entry.rule: entry for entry in clean.log}
    overlap = log["Line held by an earlier input file too (files overlap)"]
    assert (overlap.rows, overlap.action) == (2, "duplicate dropped")
    assert log["Exact duplicate lines"].rows == 1
    assert clean.purchase_lines == 5
    removed = sum(entry.revenue for entry in clean.log if entry.removed)
    assert clean.revenue_out + removed == pytest.approx(clean.revenue_in)


def test_a_source_needs_a_path_or_files(write_unit: UnitFactory) -> None:
    path = write_unit(SAMPLE, source={"path": None})
    with pytest.raises(ConfigErrors, match=r"give source\.path, or list the files under "
                                           r"source\.files"):
        load_unit_config(path)


# Issue 35: a file's lines after the period are counted, not read; a Parquet file is scanned,
# and only its mapped columns are read.

UNTIL = datetime(2011, 2, 1)  # the analysis date of period 2011-01
PERIOD_AND_AFTER = lines(
    ("536365", "A", 6, "2011-01-03 08:26:00", 2.55, "17850"),
    ("536366", "A", 2, "2011-01-31 23:59:00", 2.55, "13047"),
    ("536367", "C", 3, "2011-02-01 00:00:00", 4.25, "12583", "France"),
    ("536368", "A", 4, "2011-02-01 00:00:00", 2.55, "17850"),
    ("536368", "A", 4, "2011-02-01 00:00:00", 2.55, "17850"),  # a duplicate, after the period
    ("536369", "B", None, "2011-02-20 15:00:00", 3.39, "13047"),  # unreadable, after it
    ("536370", "B", 5, "2011-03-20 15:00:00", 3.39, "13047"),
)


@pytest.mark.parametrize("data_name", ["t.parquet", "t.csv"])
def test_lines_after_the_period_are_counted_not_read(write_unit: UnitFactory,
                                                     data_name: str) -> None:
    config = load_unit_config(write_unit(PERIOD_AND_AFTER, data_name=data_name,
                                         filters={"countries": ["United Kingdom"]}))
    read = read_transactions(config, UNTIL)
    assert read.transactions["invoice"].to_list() == ["536365", "536366"]
    # France's line is of another country whatever its date; the unreadable line is unreadable.
    assert (read.later_rows, read.rows_other_countries, read.malformed_rows) == (3, 1, 1)
    assert read.later_revenue == pytest.approx(2 * 4 * 2.55 + 5 * 3.39)
    assert read.time_range == (datetime(2011, 2, 1), datetime(2011, 3, 20, 15, 0))
    assert read.rows_read == 7 and read.files[0].rows == 7
    assert read.revenue_read == pytest.approx(8 * 2.55 + 3 * 4.25 + 8 * 2.55 + 5 * 3.39)
    clean = clean_transactions(read, UNTIL, config.cleaning)
    future = next(e for e in clean.log if e.rule.startswith("Dated on or after"))
    assert (future.rows, future.revenue) == (3, pytest.approx(read.later_revenue))
    assert clean.last_line == datetime(2011, 3, 20, 15, 0)  # the data's last line, though unread
    # Without a bound (validate reads everything), every readable line is read.
    assert read_transactions(config).transactions.height == 5


def test_a_parquet_file_reads_only_its_mapped_columns(write_unit: UnitFactory,
                                                      tmp_path: Path) -> None:
    """An unmapped column that cannot be read (its pages damaged) does not stop the reading:
    only the mapped columns are read from the file."""
    import pyarrow.parquet as pq

    data = SAMPLE.with_columns(pl.lit("x" * 200).alias("Notes"))
    config = load_unit_config(write_unit(data, data_name="t.parquet"))
    path = tmp_path / "t.parquet"
    pq.write_table(data.to_arrow(), path, compression="none", use_dictionary=False)
    notes = pq.ParquetFile(path).metadata.row_group(0).column(data.columns.index("Notes"))
    damaged = bytearray(path.read_bytes())
    start = notes.data_page_offset
    damaged[start:start + notes.total_compressed_size] = b"\xff" * notes.total_compressed_size
    path.write_bytes(bytes(damaged))
    with pytest.raises(pl.exceptions.ComputeError):
        pl.read_parquet(path)  # the whole file cannot be read
    read = read_transactions(config)
    assert read.transactions["invoice"].to_list() == ["536365", "536366", "C536367"]
    assert read.rows_read == 3


def test_once_cleaned_the_lines_are_let_go(write_unit: UnitFactory) -> None:
    """The report's build keeps what reading found, not the lines (2 GiB per 10 M): the
    chapters read the clean tables."""
    from reportgen.inputs.load import InputReading
    from reportgen.period import Period
    from reportgen.pipeline import StageTimer, read_and_clean

    config = load_unit_config(write_unit(PERIOD_AND_AFTER, data_name="t.parquet"))
    source, clean = read_and_clean(config, Period(2011, 1), StageTimer())
    assert type(source) is InputReading and not hasattr(source, "transactions")
    read = read_transactions(config, UNTIL)
    assert source == read.without_lines()
    assert (source.rows_read, source.later_rows, source.files) == (7, 4, read.files)
    assert clean.purchase_lines == 2
