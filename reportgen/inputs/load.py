"""Read a unit's transaction files (CSV, XLSX, Parquet, or a glob of them) into canonical columns."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from reportgen.config import UnitConfig
from reportgen.errors import InputError
from reportgen.inputs.columns import (
    DateReading,
    MalformedValue,
    line_revenue,
    malformed_examples,
    typed_columns,
)
from reportgen.inputs.files import check_fits_in_memory, file_sha256, input_paths, read_raw_file

# What makes two files' lines the same line: descriptions and countries may be written
# differently by two exports of the same sale.
OVERLAP_KEY = ["invoice", "stock_code", "quantity", "invoice_date", "unit_price", "customer_id"]


@dataclass(frozen=True)
class InputFile:
    """One file read for a unit, with its content hash."""

    path: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class InputReading:
    """What reading a unit's files found: the files, the rows and their value, and what
    reading set aside (unreadable values, other countries, lines two files both hold)."""

    files: tuple[InputFile, ...]
    rows_read: int
    rows_other_countries: int
    revenue_read: float  # quantity x unit price over every row read (0 where unreadable)
    revenue_other_countries: float
    malformed_rows: int
    malformed_revenue: float
    malformed_examples: tuple[MalformedValue, ...]
    overlap_rows: int = 0  # lines dropped because an earlier file holds them too
    overlap_revenue: float = 0.0
    date_readings: tuple[DateReading, ...] = ()  # files whose date order was decided by the data


@dataclass(frozen=True)
class TransactionInput(InputReading):
    """The unit's transactions in canonical columns, held by Polars, and what reading found."""

    transactions: pl.DataFrame = field(kw_only=True)

    @classmethod
    def of(cls, transactions: pl.DataFrame) -> TransactionInput:
        """Canonical lines as if read from no file, with nothing set aside."""
        return cls((), transactions.height, 0, 0.0, 0.0, 0, 0.0, (), transactions=transactions)


def read_transactions(config: UnitConfig) -> TransactionInput:
    """Read every file of the unit's source, map and type its columns, keep once each line that
    two files both hold, and apply the country filter."""
    frames: list[pl.DataFrame] = []
    files: list[InputFile] = []
    examples: list[MalformedValue] = []
    readings: list[DateReading] = []
    malformed_rows = 0
    malformed_revenue = 0.0
    check_fits_in_memory(config)
    for source in config.source.readers():
        entry = config.model_copy(update={"source": source})
        for path in input_paths(entry):
            raw = read_raw_file(entry, path)
            typed, bad, reading = typed_columns(entry, path, raw, config.local_zone)
            if reading is not None:
                readings.append(reading)
            files.append(InputFile(str(path), file_sha256(path), raw.height))
            malformed_rows += bad.height
            malformed_revenue += line_revenue(bad)
            examples.extend(malformed_examples(path, bad))
            frames.append(typed.with_columns(pl.lit(len(frames)).alias("file_index")))
    rows_read = sum(f.rows for f in files)
    if rows_read == 0:
        raise InputError(
            "the input contains no rows", unit=config.unit, file=config.source.first_path,
            hint="point source.path at a file with transactions",
        )
    stacked = pl.concat(frames) if len(frames) > 1 else frames[0]
    transactions, overlap = drop_overlaps(stacked)
    filtered = filter_countries(config, transactions)
    return TransactionInput(
        transactions=filtered,
        files=tuple(files),
        rows_read=rows_read,
        rows_other_countries=transactions.height - filtered.height,
        revenue_read=line_revenue(stacked) + malformed_revenue,
        revenue_other_countries=line_revenue(other_countries(config, transactions)),
        malformed_rows=malformed_rows,
        malformed_revenue=malformed_revenue,
        malformed_examples=tuple(examples[:5]),
        overlap_rows=overlap.height,
        overlap_revenue=line_revenue(overlap),
        date_readings=tuple(readings),
    )


def drop_overlaps(stacked: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, dropped): a line (same invoice, product, quantity, time, price and customer) that
    several files hold is kept from the first file that has it, as often as it appears there;
    its copies in later files are dropped. Duplicates within one file are left to cleaning."""
    if stacked["file_index"].n_unique() < 2:
        return stacked.drop("file_index"), stacked.clear().drop("file_index")
    first_file = pl.col("file_index").min().over(OVERLAP_KEY)
    keep = pl.col("file_index") == first_file
    return (stacked.filter(keep).drop("file_index"),
            stacked.filter(~keep).drop("file_index"))


def filter_countries(config: UnitConfig, transactions: pl.DataFrame) -> pl.DataFrame:
    """Keep the unit's countries; a listed country absent from the data is an error."""
    countries = config.filters.countries
    if countries is None:
        return transactions
    check_countries_present(config, set(transactions["country"].drop_nulls().unique()))
    return transactions.filter(pl.col("country").is_in(countries))


def check_countries_present(config: UnitConfig, present: set[str]) -> None:
    """InputError when a country of filters.countries is not among those in the data."""
    absent = [c for c in config.filters.countries or () if c not in present]
    if absent:
        known = ", ".join(sorted(present)[:12]) + (", ..." if len(present) > 12 else "")
        raise InputError(
            f"country '{absent[0]}' does not appear in the data (present: {known})",
            unit=config.unit, file=config.config_file, column="country",
            hint="fix filters.countries",
        )


def other_countries(config: UnitConfig, transactions: pl.DataFrame) -> pl.DataFrame:
    """The lines `filter_countries` leaves out (none without a country filter)."""
    countries = config.filters.countries
    if countries is None:
        return transactions.clear()
    return transactions.filter(~pl.col("country").is_in(countries).fill_null(False))


