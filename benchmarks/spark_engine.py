"""Spark against Polars: reading, cleaning and reducing synthetic lines to the tables the
chapters read, in the same process (issue 20). Spark runs in local[2] on this machine, so it
is slower here; the per-line costs and the fixed cost per run say where a cluster would pay.

    python -m benchmarks spark            (10 M lines; inputs cached by benchmarks.large)
    python -m benchmarks.spark_engine 1M  (another size)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks.large import inputs

ANALYSIS_DATE = datetime(2025, 1, 1)


def unit_config(path: Path, folder: Path, engine: str) -> Path:
    """A unit over the synthetic Parquet file, on the given engine."""
    config = folder / f"{engine}.yaml"
    config.write_text(
        f"unit: bench\ntitle: Bench\ncurrency: GBP\nengine: {engine}\n"
        "spark:\n  master: local[2]\n"
        f"source:\n  path: {path}\n  columns:\n    invoice: InvoiceNo\n"
        "    stock_code: StockCode\n    description: Description\n    quantity: Quantity\n"
        "    invoice_date: InvoiceDate\n    unit_price: UnitPrice\n    customer_id: CustomerID\n"
        "    country: Country\n")
    return config


def main(arguments: list[str] | None = None) -> None:
    from reportgen.config import load_unit_config
    from reportgen.inputs.clean import clean_transactions
    from reportgen.inputs.load import read_transactions
    from reportgen.inputs.spark import clean_with_spark, spark_session

    label = (arguments or ["10M"])[0]
    parquet, _, lines = inputs(label)
    with tempfile.TemporaryDirectory() as folder:
        polars_config = load_unit_config(unit_config(parquet, Path(folder), "polars"))
        spark_config = load_unit_config(unit_config(parquet, Path(folder), "spark"))
        started = time.perf_counter()
        polars = clean_transactions(read_transactions(polars_config), ANALYSIS_DATE,
                                    polars_config.cleaning)
        polars_seconds = time.perf_counter() - started
        del polars
        started = time.perf_counter()
        spark_session("local[2]", {}, "bench")  # the JVM's start, paid once per run
        start_seconds = time.perf_counter() - started
        started = time.perf_counter()
        _, spark = clean_with_spark(spark_config, ANALYSIS_DATE)
        spark_seconds = time.perf_counter() - started
    print(f"{lines:,} synthetic lines, read, cleaned and reduced (2 cores):")
    print(f"  Polars           {polars_seconds:7.1f} s  "
          f"({polars_seconds / lines * 1e6:.2f} µs a line)")
    print(f"  Spark local[2]   {spark_seconds:7.1f} s  ({spark_seconds / lines * 1e6:.2f} µs a "
          f"line; {spark_seconds / polars_seconds:.1f} × Polars), plus {start_seconds:.1f} s "
          "to start")
    largest = sum(getattr(spark, name).height
                  for name in ("orders", "customer_products", "product_months"))
    print(f"  reduced tables back to the driver: {largest:,} rows in the three largest")


if __name__ == "__main__":
    main(sys.argv[1:])
