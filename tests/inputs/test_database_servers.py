"""Issue 34 on real servers: PostgreSQL and MariaDB started for this module on loopback ports
(tests/servers.py). UCI lines stored as a shop's database keeps them (money NUMERIC, customer
id BIGINT) give the same customers.csv and KPIs as the Parquet file; a wrong password is one
line and exit 3; the password appears in no output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import DraftRenderer, run_cli
from servers import PASSWORD, Server, mariadb_binaries, mariadb_server, postgres_bin, postgres_server
from test_database_sources import (
    LINES,
    UNTIL,
    assert_same_reading,
    reference,
    typed_for_database,
    unit_file,
)

from reportgen.config import load_unit_config
from reportgen.inputs.load import read_transactions
from reportgen.period import Period

# Each module starts its own servers (seconds): make test runs them, make test-fast does not.
pytestmark = pytest.mark.slow

# The database's own names for the columns, as a shop's schema would have them.
COLUMNS = {"invoice": "invoice_no", "stock_code": "stock_code", "description": "description",
           "quantity": "quantity", "invoice_date": "invoice_date", "unit_price": "unit_price",
           "customer_id": "customer_id", "country": "country"}
RENAMED = dict(zip(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                    "UnitPrice", "CustomerID", "Country"], COLUMNS.values(), strict=True))
TABLE = """CREATE TABLE {name} (invoice_no VARCHAR(20), stock_code VARCHAR(20),
    description VARCHAR(200), quantity INTEGER, invoice_date {time}, unit_price NUMERIC(12, 3),
    customer_id BIGINT, country VARCHAR(40))"""


def load_postgres(server: Server, name: str, frame: pl.DataFrame, time: str = "TIMESTAMP") -> None:
    import psycopg

    with psycopg.connect(server.url()) as connection:
        connection.execute(TABLE.format(name=name, time=time))
        with connection.cursor().copy(f"COPY {name} FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(typed_for_database(frame).rename(RENAMED).write_csv())


def load_mariadb(server: Server, name: str, frame: pl.DataFrame) -> None:
    import pymysql

    connection = pymysql.connect(host="127.0.0.1", port=server.port, user=server.user,
                                 password=PASSWORD, database=server.database)
    with connection.cursor() as cursor:
        cursor.execute(TABLE.format(name=name, time="DATETIME"))
        cursor.executemany(f"INSERT INTO {name} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                           typed_for_database(frame).rows())
    connection.commit()
    connection.close()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    if postgres_bin() is None:
        pytest.skip("the PostgreSQL server is not installed (.ci/run installs postgresql-15)")
    with postgres_server() as server:
        load_postgres(server, "order_lines", LINES)
        yield server


def database_unit(folder: Path, url: str, **overrides: Any) -> Path:
    return unit_file(folder, {"url": url, "table": "order_lines", "columns": COLUMNS},
                     **overrides)


def test_postgres_reads_as_the_parquet_file_does(postgres: Server, tmp_path: Path) -> None:
    config = load_unit_config(database_unit(tmp_path, postgres.url(),
                                            filters={"countries": ["United Kingdom"]}))
    read = read_transactions(config, UNTIL)
    assert (read.later_rows, read.rows_other_countries) == (2, 2)
    assert_same_reading(read, reference(tmp_path, LINES,
                                        filters={"countries": ["United Kingdom"]}))
    assert {c.column for c in read.conversions} == {"unit_price", "customer_id"}


def test_postgres_times_with_a_zone(postgres: Server, tmp_path: Path) -> None:
    load_postgres(postgres, "zoned_lines", LINES.with_columns(
        pl.col("InvoiceDate").dt.replace_time_zone("UTC")), time="TIMESTAMPTZ")
    config = load_unit_config(unit_file(
        tmp_path, {"url": postgres.url(), "table": "zoned_lines", "columns": COLUMNS},
        report={"timezone": "America/New_York"}))
    read = read_transactions(config, UNTIL)
    assert_same_reading(read, reference(tmp_path, LINES,
                                        source={"path": "lines.parquet", "timezone": "UTC"},
                                        report={"timezone": "America/New_York"}))
    assert read.transactions["invoice_date"].max() < UNTIL


def test_a_wrong_password_is_one_line_and_exit_3(postgres: Server, tmp_path: Path) -> None:
    unit = database_unit(tmp_path, postgres.url(password="not-" + PASSWORD))
    for args in (["run", unit, "--period", "2011-01", "--output", tmp_path / "out"],
                 ["--log-format", "json", "run", unit, "--period", "2011-01", "--output",
                  tmp_path / "out"],
                 ["validate", unit]):
        ran = run_cli(*args)
        assert ran.returncode == 3, ran.stderr
        said = ran.stdout + ran.stderr
        assert PASSWORD not in said and "Traceback" not in said
        assert "password authentication failed" in said and "reports:***@127.0.0.1" in said
        if args[0] == "run":
            assert len(ran.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "shop" / "2011-01" / "report.pdf").exists()


def test_an_unknown_table_lists_the_tables_there(postgres: Server, tmp_path: Path) -> None:
    unit = unit_file(tmp_path, {"url": postgres.url(), "table": "orders", "columns": COLUMNS})
    ran = run_cli("validate", unit)
    assert ran.returncode == 3
    assert "table 'orders' cannot be read" in ran.stderr and "order_lines" in ran.stderr
    assert PASSWORD not in ran.stdout + ran.stderr


def test_the_password_is_in_no_output(postgres: Server, tmp_path: Path,
                                      draft_rendering: None) -> None:
    """A published run from PostgreSQL: the password is in no file, log line or summary."""
    unit = database_unit(tmp_path, postgres.url(), clv={"enabled": False},
                         clusters={"enabled": False}, suggestions={"enabled": False})
    output = tmp_path / "out"
    ran = run_cli("--log-format", "json", "run", unit, "--period", "2011-01", "--output", output)
    assert ran.returncode in (0, 6), ran.stderr
    assert PASSWORD not in ran.stdout + ran.stderr
    summary = json.loads(ran.stdout.strip().splitlines()[-1])
    assert summary["status"] == "published"
    written = [path for path in output.rglob("*") if path.is_file()]
    assert {"manifest.json", "ledger.json", "customers.csv"} <= {p.name for p in written}
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path
    manifest = json.loads((output / "shop" / "2011-01" / "manifest.json").read_text())
    assert manifest["config"]["source"]["url"] == postgres.url(password="***")
    assert manifest["inputs"][0]["path"].startswith("postgresql://reports:***@127.0.0.1")
    # The same run again: its fingerprint (database counts) is unchanged, so nothing to do.
    again = run_cli("run", unit, "--period", "2011-01", "--output", output, "--skip-exit-code",
                    "99")
    assert again.returncode == 99, again.stderr


@pytest.mark.real_data
@pytest.mark.slow
def test_uci_uk_from_postgres_and_duckdb_gives_the_same_report(
        postgres: Server, shared_data: Path, tmp_path: Path) -> None:
    """UCI lines of every country, December 2010 to February 2011, stored with NUMERIC money
    and BIGINT customer ids in PostgreSQL and DuckDB; the UK unit's January report from each
    has the same customers.csv and KPIs as from the Parquet file (February's lines and the
    other countries left in the database, counted there)."""
    import duckdb

    from reportgen.pipeline import build_report

    lines = pl.read_parquet(shared_data).filter(pl.col("InvoiceDate") < pl.datetime(2011, 3, 1))
    load_postgres(postgres, "uci_lines", lines.with_columns(pl.col("CustomerID").cast(pl.Int64)))
    stored = typed_for_database(lines.with_columns(  # noqa: F841 (DuckDB's replacement scan)
        pl.col("CustomerID").cast(pl.Int64))).rename(RENAMED)
    with duckdb.connect(str(tmp_path / "shop.duckdb")) as connection:
        connection.execute("CREATE TABLE uci_lines AS SELECT * FROM stored")
    lines.write_parquet(tmp_path / "uci.parquet")
    uk = {"filters": {"countries": ["United Kingdom"]},
          "cleaning": {"non_product_codes": ["DOT", "C2", "M", "D", "S", "B", "CRUK", "PADS"]}}
    sources = {
        "parquet": {"path": str(tmp_path / "uci.parquet")},
        "postgresql": {"url": postgres.url(), "table": "uci_lines", "columns": COLUMNS},
        "duckdb": {"url": f"duckdb:///{tmp_path / 'shop.duckdb'}", "table": "uci_lines",
                   "columns": COLUMNS},
    }
    reports = {}
    for name, source in sources.items():
        (tmp_path / name).mkdir()
        config = load_unit_config(unit_file(tmp_path / name, source, **uk))
        reports[name] = build_report(config, Period.parse("2011-01"), renderer=DraftRenderer())
    parquet = reports.pop("parquet")
    manifest = json.loads(parquet.files["manifest.json"])
    assert manifest["rows"]["read"] == lines.height
    for name, report in reports.items():
        assert report.files["customers.csv"] == parquet.files["customers.csv"], name
        read = json.loads(report.files["manifest.json"])
        assert read["kpis"] == manifest["kpis"], name
        assert read["segments"] == manifest["segments"], name
        assert read["rows"] == manifest["rows"], name


@pytest.fixture(scope="module")
def mariadb() -> Iterator[Server]:
    if mariadb_binaries() is None:
        pytest.skip("the MariaDB server is not installed (.ci/run installs mariadb-server)")
    with mariadb_server() as server:
        load_mariadb(server, "order_lines", LINES)
        yield server


def test_mariadb_reads_as_the_parquet_file_does(mariadb: Server, tmp_path: Path) -> None:
    config = load_unit_config(database_unit(tmp_path, mariadb.url(),
                                            filters={"countries": ["United Kingdom"]}))
    read = read_transactions(config, UNTIL)
    assert (read.later_rows, read.rows_other_countries) == (2, 2)
    assert_same_reading(read, reference(tmp_path, LINES,
                                        filters={"countries": ["United Kingdom"]}))
    wrong = run_cli("validate", database_unit(tmp_path, mariadb.url(password="wrong")))
    assert wrong.returncode == 3 and "Access denied" in wrong.stderr
    assert "wrong" not in wrong.stdout + wrong.stderr.replace("Access denied", "")
