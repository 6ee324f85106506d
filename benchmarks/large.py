"""`make bench-large`: the whole report on 1 M, 10 M and 100 M synthetic lines, end to end.

Inputs are the demo data's simulation (two years, the demo's catalogue and customers), made
in chunks of CHUNK_CUSTOMERS customers with their own seeds, ids and invoice numbers, and
written once, as one Parquet file and one CSV file per size, to a cache outside the repository
($REPORTGEN_BENCH_CACHE, default ~/.cache/reportgen/bench). Each run is `reportgen run` in a
child process, timed from outside, with its peak resident memory (the child's maxrss); the
run's own stage timings come from its manifest. Targets (issue 19): 100 M lines in at most
3 minutes and 8 GiB, time close to linear in lines.

    python -m benchmarks.large [1M 10M 100M] [--format parquet|csv]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from reportgen.demo_data import DemoSpec, generate_transactions

CHUNK_CUSTOMERS = 20_000  # about 1.1 M lines over the two years
LINES_PER_CUSTOMER = 56  # the demo's lines per customer over the two years, guests included
SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
PERIOD = "2024-12"
CACHE = Path(os.environ.get("REPORTGEN_BENCH_CACHE", Path.home() / ".cache/reportgen/bench"))
REPORTGEN = Path(sys.executable).parent / "reportgen"


def chunk(index: int, customers: int) -> pl.DataFrame:
    """The index-th chunk of simulated lines, with ids and invoices of its own."""
    lines = generate_transactions(DemoSpec(customers=customers, seed=1_000 + index))
    lines = lines.transactions
    return lines.with_columns(
        (pl.col("CustomerID") + index * 1_000_000),
        pl.col("InvoiceNo").str.replace(r"^(C?)(\d+)$", f"${{1}}{index:04d}${{2}}"),
    )


def inputs(label: str) -> tuple[Path, Path, int]:
    """The Parquet and CSV files of about SIZES[label] lines (made once) and their lines."""
    import pyarrow.parquet as pq

    folder = CACHE / label
    parquet, csv, done = folder / "lines.parquet", folder / "lines.csv", folder / "lines.count"
    if done.exists():
        return parquet, csv, int(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    total, index, writer = 0, 0, None
    started = time.perf_counter()
    with open(csv, "wb") as text:
        while total < SIZES[label]:
            # Whole customers (a chunk cut by lines would end early in time): the last chunk
            # has as many customers as the lines still missing need.
            customers = min(CHUNK_CUSTOMERS, -(-(SIZES[label] - total) // LINES_PER_CUSTOMER))
            lines = chunk(index, customers)
            table = lines.to_arrow()
            writer = writer or pq.ParquetWriter(parquet, table.schema)
            writer.write_table(table)
            lines.write_csv(text, include_header=index == 0)
            total, index = total + lines.height, index + 1
            print(f"\r  {label}: {total:,} lines written", end="", flush=True)
    if writer:
        writer.close()
    done.write_text(str(total))
    print(f" in {time.perf_counter() - started:.0f} s ({parquet.stat().st_size / 2**30:.1f} GiB "
          f"Parquet, {csv.stat().st_size / 2**30:.1f} GiB CSV)")
    return parquet, csv, total


def run(path: Path, folder: Path) -> tuple[float, float, int, str, dict[str, float]]:
    """Seconds, peak GiB, exit code, last error line and stage timings of one report run."""
    config = folder / "large.yaml"
    config.write_text(f"unit: large\ntitle: Large\ncurrency: GBP\nsource:\n  path: {path}\n")
    started = time.perf_counter()
    process = subprocess.run([str(REPORTGEN), "run", str(config), "--period", PERIOD,
                              "--output", str(folder / "output"), "--force"],
                             capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # kB -> GiB
    manifest = folder / "output" / "large" / PERIOD / "manifest.json"
    timings = json.loads(manifest.read_text())["timings_seconds"] if manifest.exists() else {}
    error = (process.stderr.strip().splitlines() or [""])[-1]
    return seconds, peak, process.returncode, error, timings


def main(arguments: list[str]) -> None:
    """One row per size: lines, seconds, seconds per million lines, peak memory, top stages."""
    form = "csv" if "--format=csv" in arguments or "csv" in arguments else "parquet"
    labels = [a for a in arguments if a in SIZES] or list(SIZES)
    print(f"{'size':>5} {'format':>7} {'lines':>12} {'seconds':>8} {'s / M lines':>11} "
          f"{'peak GiB':>8}  slowest stages")
    for label in labels:
        parquet, csv, lines = inputs(label)
        # Measured from a child of its own: RUSAGE_CHILDREN's maxrss is its largest child.
        with tempfile.TemporaryDirectory() as folder:
            probe = subprocess.run(
                [sys.executable, "-m", "benchmarks.large", "--measure",
                 str(csv if form == "csv" else parquet), folder],
                capture_output=True, text=True, cwd=Path(__file__).parent.parent, check=True)
        seconds, peak, code, error, timings = json.loads(probe.stdout.strip().splitlines()[-1])
        top = sorted(timings.items(), key=lambda item: -item[1])[:4]
        outcome = ", ".join(f"{name} {value:.0f} s" for name, value in top) if code == 0 else (
            f"failed (exit {code}): {error}")
        print(f"{label:>5} {form:>7} {lines:>12,} {seconds:>7.0f}s {seconds / lines * 1e6:>10.1f}s "
              f"{peak:>8.2f}  {outcome}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(run(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main(sys.argv[1:])
