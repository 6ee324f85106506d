"""Issue 34: transactions read straight from a database (source.url) — DuckDB and SQLite files
here, PostgreSQL and MariaDB servers in test_database_servers.py. The same lines read from a
Parquet file are the reference: reading from a database must give the same typed lines, the
same cleaning tables and a cleaning log that still accounts for every row."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import yaml
from conftest import lines, run_cli
from polars.testing import assert_frame_equal

from reportgen.config import CleaningConfig, ConfigErrors, load_unit_config, masked_url
from reportgen.errors import InputError
from reportgen.inputs.clean import clean_transactions
from reportgen.inputs.load import read_transactions

UNTIL = datetime(2011, 2, 1)  # the analysis date of period 2011-01

# Three customers in two countries over two months, with a return, a line without a customer
# and lines after the period (February) that a run for January must not read but must count.
LINES = lines(
    ("536365", "A", 6, "2011-01-03 08:26:00", 2.55, "17850"),
    ("536365", "B", 8, "2011-01-03 08:26:00", 3.39, "17850"),
    ("536366", "A", 2, "2011-01-05 09:00:00", 2.55, "13047"),
    ("C536367", "A", -1, "2011-01-09 10:00:00", 2.55, "13047"),
    ("536368", "C", 3, "2011-01-12 11:30:00", 4.25, "12583", "France"),
    ("536369", "B", 1, "2011-01-31 23:30:00", 3.39, None),
    ("536370", "A", 4, "2011-02-01 00:00:00", 2.55, "17850"),
    ("536371", "C", 2, "2011-02-14 12:00:00", 4.25, "12583", "France"),
    ("536372", "B", 5, "2011-02-20 15:00:00", 3.39, "13047"),
)


def typed_for_database(frame: pl.DataFrame) -> pl.DataFrame:
    """The lines as a database keeps them: money as exact decimals, customer ids as integers."""
    return frame.with_columns(pl.col("UnitPrice").cast(pl.Decimal(12, 3)),
                              pl.col("CustomerID").cast(pl.Int64))


def write_duckdb(path: Path, frame: pl.DataFrame, table: str = "order_lines",
                 zone_column: bool = False) -> None:
    """A DuckDB file with the lines (`zone_column`: times stored as TIMESTAMPTZ at UTC)."""
    stored = typed_for_database(frame)  # noqa: F841 (read by DuckDB's replacement scan)
    with duckdb.connect(str(path)) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        date_type = "TIMESTAMPTZ" if zone_column else "TIMESTAMP"
        connection.execute(
            f'CREATE TABLE {table} AS SELECT * REPLACE (CAST("InvoiceDate" AS {date_type}) '
            'AS "InvoiceDate") FROM stored')


def unit_file(folder: Path, source: dict[str, Any], **overrides: Any) -> Path:
    unit = {"unit": "shop", "title": "Shop", "currency": "GBP", "source": source, **overrides}
    path = folder / "shop.yaml"
    path.write_text(yaml.safe_dump(unit))
    return path


def reference(folder: Path, frame: pl.DataFrame, source: dict[str, Any] | None = None,
              **overrides: Any) -> Any:
    """The same lines read from a Parquet file (the reference every database must match)."""
    (folder / "ref").mkdir(exist_ok=True)
    frame.write_parquet(folder / "ref" / "lines.parquet")
    config = load_unit_config(unit_file(folder / "ref", {"path": "lines.parquet", **(source or {})},
                                        **overrides))
    return read_transactions(config, UNTIL)


def assert_same_reading(database: Any, parquet: Any) -> None:
    """The same lines, the same cleaning tables, the same counts of what was set aside."""
    order = ["invoice", "stock_code", "invoice_date"]
    assert_frame_equal(database.transactions.filter(pl.col("invoice_date") < UNTIL).sort(order),
                       parquet.transactions.filter(pl.col("invoice_date") < UNTIL).sort(order))
    assert database.rows_read == parquet.rows_read
    assert database.rows_other_countries == parquet.rows_other_countries
    assert database.revenue_read == pytest.approx(parquet.revenue_read)
    assert database.revenue_other_countries == pytest.approx(parquet.revenue_other_countries)
    cleaning = [clean_transactions(reading, UNTIL, CleaningConfig())
                for reading in (database, parquet)]
    for name in ("orders", "customer_months", "customer_products", "return_orders"):
        assert_frame_equal(getattr(cleaning[0], name), getattr(cleaning[1], name))
    logged = [{entry.rule: (entry.rows, entry.revenue and round(entry.revenue, 6))
               for entry in c.log if entry.action != "converted"} for c in cleaning]
    assert logged[0] == logged[1]
    assert cleaning[0].first_line == cleaning[1].first_line
    assert cleaning[0].last_line == cleaning[1].last_line


def test_a_duckdb_table_reads_as_the_parquet_file_does(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "shop.duckdb", LINES)
    config = load_unit_config(unit_file(
        tmp_path, {"url": "duckdb:///shop.duckdb", "table": "order_lines"},
        filters={"countries": ["United Kingdom"]}))
    assert config.source.url == f"duckdb:///{tmp_path / 'shop.duckdb'}"  # resolved from the YAML
    read = read_transactions(config, UNTIL)
    # Only the period's UK lines were read; February's and France's were counted, not read.
    assert read.transactions.height == 5
    assert read.transactions["invoice_date"].max() < UNTIL
    assert (read.later_rows, read.rows_other_countries) == (2, 2)
    assert read.later_revenue == pytest.approx(4 * 2.55 + 5 * 3.39)
    assert_same_reading(read, reference(tmp_path, LINES,
                                        filters={"countries": ["United Kingdom"]}))
    conversions = {c.column: c for c in read.conversions}
    assert set(conversions) == {"unit_price", "customer_id"}
    assert conversions["unit_price"].rows == 5 and "DECIMAL" in conversions["unit_price"].rule
    clean = clean_transactions(read, UNTIL, config.cleaning)
    future = next(e for e in clean.log if e.rule.startswith("Dated on or after"))
    assert future.rows == 2  # counted in the database
    assert any(e.action == "converted" and "customer_id" in e.rule for e in clean.log)


def test_times_with_a_zone_become_the_units_local_times(tmp_path: Path) -> None:
    """TIMESTAMPTZ at UTC read for a unit in New York: the same local times as a Parquet file
    of UTC times declared with source.timezone, and the period's bound in New York time."""
    write_duckdb(tmp_path / "shop.duckdb", LINES, zone_column=True)
    config = load_unit_config(unit_file(
        tmp_path, {"url": "duckdb:///shop.duckdb", "table": "order_lines"},
        report={"timezone": "America/New_York"}))
    read = read_transactions(config, UNTIL)
    expected = reference(tmp_path, LINES, source={"path": "lines.parquet", "timezone": "UTC"},
                         report={"timezone": "America/New_York"})
    assert_same_reading(read, expected)
    # 1 Feb 00:00 UTC is 31 Jan 19:00 in New York: inside January, so it was read.
    assert read.transactions["invoice_date"].max() == datetime(2011, 1, 31, 19, 0)
    assert any("times with a zone" in c.rule and "America/New_York" in c.rule
               for c in read.conversions)


def test_a_query_and_sqlite_text_dates(tmp_path: Path) -> None:
    """A query instead of a table, on SQLite, whose dates are text: the bound cannot be pushed
    into the SQL (text does not compare as time), so every row is read and cleaning sets the
    later ones aside, with the same result."""
    frame = LINES.with_columns(pl.col("InvoiceDate").dt.strftime("%Y-%m-%d %H:%M:%S"))
    with sqlite3.connect(tmp_path / "shop.db") as connection:
        connection.execute("CREATE TABLE sales (InvoiceNo, StockCode, Description, Quantity, "
                           "InvoiceDate, UnitPrice, CustomerID, Country, Channel)")
        connection.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'web')",
                               frame.rows())
    config = load_unit_config(unit_file(tmp_path, {
        "url": "sqlite:///shop.db", "query": "select * from sales where Channel = 'web';"}))
    read = read_transactions(config, UNTIL)
    assert read.later_rows == 0 and read.transactions.height == LINES.height
    assert_same_reading(read, reference(tmp_path, LINES))
    # With a country filter the countries are still pushed (quantity and price are numbers),
    # and the other countries' lines are counted with their value.
    uk = {"filters": {"countries": ["United Kingdom"]}}
    config = load_unit_config(unit_file(tmp_path, {
        "url": "sqlite:///shop.db", "table": "sales"}, **uk))
    read = read_transactions(config, UNTIL)
    assert read.rows_other_countries == 2
    assert read.revenue_other_countries == pytest.approx(3 * 4.25 + 2 * 4.25)
    assert_same_reading(read, reference(tmp_path, LINES, **uk))


def test_the_fingerprint_changes_with_the_period_not_after_it(tmp_path: Path) -> None:
    """A row added after the period leaves the period's published report up to date; a row
    changed within it does not."""
    from reportgen.jobs.ledger import fingerprint

    path = tmp_path / "shop.duckdb"
    write_duckdb(path, LINES)
    config = load_unit_config(unit_file(tmp_path, {"url": "duckdb:///shop.duckdb",
                                                   "table": "order_lines"}))
    before = fingerprint(config, None, UNTIL)
    assert list(before["inputs"]) == [config.source.label]
    with duckdb.connect(str(path)) as connection:
        connection.execute("INSERT INTO order_lines SELECT * REPLACE (TIMESTAMP '2011-03-02' AS "
                           "\"InvoiceDate\") FROM order_lines LIMIT 1")
    assert fingerprint(config, None, UNTIL) == before
    with duckdb.connect(str(path)) as connection:
        connection.execute("UPDATE order_lines SET \"Quantity\" = 7 WHERE \"InvoiceNo\" = '536366'")
    assert fingerprint(config, None, UNTIL) != before


def test_database_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_duckdb(tmp_path / "shop.duckdb", LINES)

    def problems(source: dict[str, Any], **overrides: Any) -> str:
        ran = run_cli("validate", unit_file(tmp_path, source, **overrides))
        assert ran.returncode == 3, ran.stdout + ran.stderr
        assert "Traceback" not in ran.stdout + ran.stderr
        return ran.stdout + ran.stderr

    url = "duckdb:///shop.duckdb"
    said = problems({"url": url, "table": "orders"})
    assert "table 'orders' cannot be read" in said and "one of: order_lines" in said
    said = problems({"url": url, "table": "order_lines", "columns": {"invoice": "Invoice"}})
    assert "column 'Invoice': not found (mapped from invoice); the table has: InvoiceNo, " \
        "StockCode" in said
    said = problems({"url": url, "query": "select * from order_lines where nonsense > 1"})
    assert "the query failed: " in said and "nonsense" in said and "check source.query" in said
    said = problems({"url": "duckdb:///missing.duckdb", "table": "order_lines"})
    assert "database file not found" in said
    said = problems({"url": url, "table": "order_lines"},
                    filters={"countries": ["Atlantis"]})
    assert "country 'Atlantis' does not appear in the data" in said

    real_import = __import__("importlib").import_module

    def without_psycopg(name: str, *args: Any) -> Any:
        if name == "psycopg":
            raise ModuleNotFoundError("No module named 'psycopg'", name="psycopg")
        return real_import(name, *args)

    monkeypatch.setattr("reportgen.inputs.database.importlib.import_module", without_psycopg)
    said = problems({"url": "postgresql://reports:pw@127.0.0.1:1/shop", "table": "t"})
    assert "the postgresql driver is not installed" in said and "psycopg[binary]" in said
    assert ":pw@" not in said


def test_the_password_is_masked_in_every_form(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert masked_url("postgresql://reports:pa@ss@db:5432/shop") == \
        "postgresql://reports:***@db:5432/shop"
    assert masked_url("mysql://u:x@h/db?password=y&ssl=1") == "mysql://u:***@h/db?password=***&ssl=1"
    assert masked_url("duckdb:///data/shop.duckdb") == "duckdb:///data/shop.duckdb"
    source = {"url": "postgresql://reports@db/shop", "table": "order_lines"}
    monkeypatch.setenv("REPORTGEN_SOURCE__URL", "postgresql://reports:from-env@db:5432/shop")
    config = load_unit_config(unit_file(tmp_path, source))
    assert config.source.url == "postgresql://reports:from-env@db:5432/shop"  # the variable wins
    dumped = yaml.safe_dump(config.model_dump(mode="json"))  # what the manifest records
    assert "from-env" not in dumped and "reports:***@db" in dumped
    assert "from-env" not in config.source.label
    monkeypatch.setenv("REPORTGEN_SOURCE__URL", "postgresql://reports:rotated@db:5432/shop")
    rotated = load_unit_config(unit_file(tmp_path, source))
    assert rotated.model_dump(mode="json") == config.model_dump(mode="json")  # same config hash


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    from servers import free_port

    url = f"postgresql://reports:hidden-pw@127.0.0.1:{free_port()}/shop"
    ran = run_cli("validate", unit_file(tmp_path, {"url": url, "table": "order_lines"}))
    assert ran.returncode == 3
    said = ran.stdout + ran.stderr
    assert "cannot connect to the database" in said and "check the host, port" in said
    assert "hidden-pw" not in said and "Traceback" not in said


@pytest.mark.parametrize(("source", "message"), [
    ({"url": "postgresql://u:pw@h/db", "path": "x.csv", "table": "t"}, "not both"),
    ({"url": "postgresql://u:pw@h/db"}, "give source.table or source.query"),
    ({"url": "postgresql://u:pw@h/db", "table": "t", "query": "select 1"}, "one of them"),
    ({"path": "x.csv", "table": "t"}, "go with source.url"),
    ({"url": "oracle://u:pw@h/db", "table": "t"}, "a database URL starts with"),
])
def test_source_settings_that_do_not_fit(tmp_path: Path, source: dict[str, Any],
                                         message: str) -> None:
    with pytest.raises(ConfigErrors) as raised:
        load_unit_config(unit_file(tmp_path, source))
    said = " ".join(problem.one_line() for problem in raised.value.problems)
    assert message in said and ":pw@" not in said


def test_spark_says_it_reads_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as raised:
        load_unit_config(unit_file(tmp_path, {"url": "duckdb:///shop.duckdb", "table": "t"},
                                   engine="spark"))
    assert "engine: spark reads files" in raised.value.problems[0].one_line()


def test_an_empty_table(tmp_path: Path) -> None:
    write_duckdb(tmp_path / "shop.duckdb", LINES.clear())
    config = load_unit_config(unit_file(tmp_path, {"url": "duckdb:///shop.duckdb",
                                                   "table": "order_lines"}))
    with pytest.raises(InputError, match="the table has no rows"):
        read_transactions(config, UNTIL)
