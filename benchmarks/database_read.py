"""Reading a unit from a database against reading its Parquet file, in the same process
(issue 34): the UCI Online Retail lines stored as a shop's database keeps them (money NUMERIC,
customer id BIGINT) in PostgreSQL (started here, as the tests start it) and DuckDB, read for
the UK unit's November 2011 report (period bound and country pushed into the SQL).

    python -m benchmarks database      (needs ../shared/data and the PostgreSQL server package)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import polars as pl

PROJECT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT.parent / "shared" / "data" / "online_retail.parquet"
UNTIL = datetime(2011, 12, 1)
UK = ("filters:\n  countries: [United Kingdom]\n")
COLUMNS = ("  columns:\n    invoice: InvoiceNo\n    stock_code: StockCode\n"
           "    description: Description\n    quantity: Quantity\n    invoice_date: InvoiceDate\n"
           "    unit_price: UnitPrice\n    customer_id: CustomerID\n    country: Country\n")


def unit(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"unit: uk\ntitle: UK\ncurrency: GBP\nsource:\n{source}{COLUMNS}{UK}")
    return path


def timed_read(config_path: Path, repeats: int = 3) -> tuple[float, int]:
    """The best of `repeats` reads (seconds) and the lines read."""
    from reportgen.config import load_unit_config
    from reportgen.inputs.load import read_transactions

    config = load_unit_config(config_path)
    best, lines = float("inf"), 0
    for _ in range(repeats):
        started = time.perf_counter()
        read = read_transactions(config, UNTIL)
        best = min(best, time.perf_counter() - started)
        lines = read.transactions.height
    return best, lines


def main() -> None:
    sys.path.insert(0, str(PROJECT / "tests"))
    import duckdb
    import psycopg
    from servers import postgres_bin, postgres_server

    if not SHARED_DATA.exists() or postgres_bin() is None:
        print("skipped: needs ../shared/data/online_retail.parquet and the PostgreSQL server")
        return
    lines = pl.read_parquet(SHARED_DATA).with_columns(pl.col("CustomerID").cast(pl.Int64))
    stored = lines.with_columns(pl.col("UnitPrice").cast(pl.Decimal(12, 3)))
    with tempfile.TemporaryDirectory() as work, postgres_server() as server:
        folder = Path(work)
        with psycopg.connect(server.url()) as connection:
            connection.execute(
                'CREATE TABLE order_lines ("InvoiceNo" text, "StockCode" text, "Description" '
                'text, "Quantity" integer, "InvoiceDate" timestamp, "UnitPrice" numeric(12, 3), '
                '"CustomerID" bigint, "Country" text)')
            with connection.cursor().copy("COPY order_lines FROM STDIN (FORMAT csv, HEADER "
                                          "true)") as copy:
                copy.write(stored.write_csv())
        with duckdb.connect(str(folder / "shop.duckdb")) as connection:
            connection.execute("CREATE TABLE order_lines AS SELECT * FROM stored")
        lines.write_parquet(folder / "uci.parquet")
        sources = {
            "Parquet file": f"  path: {folder / 'uci.parquet'}\n",
            "DuckDB file": f"  url: duckdb:///{folder / 'shop.duckdb'}\n  table: order_lines\n",
            "PostgreSQL": f"  url: {server.url()}\n  table: order_lines\n",
        }
        timings = {name: timed_read(unit(folder, str(index), source))
                   for index, (name, source) in enumerate(sources.items())}
    baseline = timings["Parquet file"][0]
    print(f"UCI Online Retail, {lines.height:,} lines; the UK unit's lines before "
          f"{UNTIL:%d %b %Y} read and typed (best of 3, 2 cores):")
    for name, (seconds, read) in timings.items():
        print(f"  {name:<14} {seconds:6.2f} s  {read / seconds:>11,.0f} lines/s  "
              f"{seconds / baseline:5.1f} x the Parquet file")


if __name__ == "__main__":
    main()
