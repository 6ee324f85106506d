"""Pipeline stage timings on synthetic data, as ratios to a plain Polars baseline.

The baseline is what any tool must do at least: read the same Parquet file and sum revenue per
customer with Polars. Each reportgen stage is reported in seconds and as a multiple of that
baseline, measured in the same process on the same file, so figures compare across machines.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import yaml

from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.chapters.summary.analysis import monthly_kpis
from reportgen.config import load_unit_config
from reportgen.demo_data import DemoSpec, generate_transactions
from reportgen.inputs.clean import clean_transactions
from reportgen.inputs.load import read_transactions
from reportgen.period import Period

SIZES = (2_000, 20_000)
PERIOD = Period(2024, 12)


def best_of(runs: int, action: Callable[[], object]) -> float:
    """Fastest wall time of `runs` calls, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def benchmark_size(customers: int, folder: Path) -> str:
    """One table row: generation time, baseline, and each stage with its ratio to the baseline."""
    started = time.perf_counter()
    data = generate_transactions(DemoSpec(customers=customers))
    generate = time.perf_counter() - started
    path = folder / "t.parquet"
    data.transactions.write_parquet(path)
    config_path = folder / "u.yaml"
    config_path.write_text(yaml.safe_dump({
        "unit": "bench", "title": "Bench", "currency": "GBP", "source": {"path": "t.parquet"},
    }))
    config = load_unit_config(config_path)
    source = read_transactions(config)
    clean = clean_transactions(source, PERIOD.analysis_date, config.cleaning)

    def baseline() -> None:
        pl.read_parquet(path).group_by("CustomerID").agg(
            (pl.col("Quantity") * pl.col("UnitPrice")).sum()
        )

    def analyses() -> None:
        monthly_kpis(clean.orders, clean.return_orders, PERIOD)
        rfm_analysis(clean.orders, clean.return_orders, PERIOD.analysis_date, config.rfm)

    base = best_of(3, baseline)
    stages = (
        best_of(3, lambda: read_transactions(config)),
        best_of(3, lambda: clean_transactions(source, PERIOD.analysis_date, config.cleaning)),
        best_of(3, analyses),
    )
    return f"{customers:>9,} {data.transactions.height:>10,} {generate:>8.2f}s {base:>8.3f}s " + " ".join(
        f"{t:>6.2f}s {t / base:>4.1f}x" for t in stages
    )


def main() -> None:
    """Print one table row per data size."""
    print(f"{'customers':>9} {'lines':>10} {'generate':>9} {'baseline':>9} "
          f"{'load':>13} {'clean':>13} {'kpis+rfm':>13}")
    for customers in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            print(benchmark_size(customers, Path(folder)))
