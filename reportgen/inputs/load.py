"""Read a unit's transactions (CSV, XLSX, Parquet, a glob of them, or a database table or
query) into canonical columns."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path

import polars as pl

from reportgen.config import UnitConfig
from reportgen.errors import InputError
from reportgen.inputs.columns import (
    DateReading,
    LaterLines,
    MalformedValue,
    TimeZones,
    TypeConversion,
    TypedLines,
    cast_column,
    line_revenue,
    malformed_examples,
    merged_conversions,
    missing_column_problems,
    typed_columns,
    typed_frame,
)
from reportgen.inputs.database import (
    SourceCounts,
    connected,
    pushdown,
    read_rows,
    source_columns,
    source_counts,
)
from reportgen.inputs.files import (
    check_fits_in_memory,
    check_lines_fit_in_memory,
    file_format,
    file_sha256,
    input_paths,
    read_raw_file,
    scan_parquet_file,
    unreadable_file,
)

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
    conversions: tuple[TypeConversion, ...] = ()  # typed columns read another way
    # A database source: the rows dated on or after the period's bound, counted in the
    # database and not read, and the first and last time of the unit's rows there.
    later_rows: int = 0
    later_revenue: float = 0.0
    time_range: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class TransactionInput(InputReading):
    """The unit's transactions in canonical columns, held by Polars, and what reading found."""

    transactions: pl.DataFrame = field(kw_only=True)

    @classmethod
    def of(cls, transactions: pl.DataFrame) -> TransactionInput:
        """Canonical lines as if read from no file, with nothing set aside."""
        return cls((), transactions.height, 0, 0.0, 0.0, 0, 0.0, (), transactions=transactions)

    def without_lines(self) -> InputReading:
        """What reading found, without the lines themselves (once cleaned, nothing reads
        them: letting them go frees 2 GiB per 10 M lines for the chapters)."""
        return InputReading(**{f.name: getattr(self, f.name) for f in fields(InputReading)})


def read_transactions(config: UnitConfig, until: datetime | None = None) -> TransactionInput:
    """Read every file of the unit's source, map and type its columns, keep once each line that
    two files both hold, and apply the country filter. A database source reads only the rows
    dated before `until` (the period's analysis date; None: every row)."""
    if config.source.url is not None:
        return read_database(config, until)
    frames: list[pl.DataFrame] = []
    conversions: list[TypeConversion] = []
    files: list[InputFile] = []
    examples: list[MalformedValue] = []
    readings: list[DateReading] = []
    later: list[LaterLines] = []
    malformed_rows = 0
    malformed_revenue = 0.0
    check_fits_in_memory(config, None if until is None else (
        lambda entry, path: lines_before(entry, path, until)))
    for source in config.source.readers():
        entry = config.model_copy(update={"source": source})
        for path in input_paths(entry):
            lines = read_file(entry, path, config.local_zone, until)
            conversions.extend(lines.conversions)
            if lines.reading is not None:
                readings.append(lines.reading)
            files.append(InputFile(str(path), file_sha256(path), lines.rows))
            malformed_rows += lines.bad.height
            malformed_revenue += line_revenue(lines.bad)
            examples.extend(malformed_examples(path, lines.bad))
            later.append(lines.later)
            frames.append(lines.good.with_columns(pl.lit(len(frames)).alias("file_index")))
    rows_read = sum(f.rows for f in files)
    if rows_read == 0:
        raise InputError(
            "the input contains no rows", unit=config.unit, file=config.source.label,
            hint="point source.path at a file with transactions",
        )
    stacked = pl.concat(frames) if len(frames) > 1 else frames[0]
    transactions, overlap = drop_overlaps(stacked)
    filtered = filter_countries(config, transactions)
    later_revenue = sum(part.revenue for part in later)
    return TransactionInput(
        transactions=filtered,
        files=tuple(files),
        rows_read=rows_read,
        rows_other_countries=transactions.height - filtered.height,
        revenue_read=line_revenue(stacked) + malformed_revenue + later_revenue,
        revenue_other_countries=line_revenue(other_countries(config, transactions)),
        malformed_rows=malformed_rows,
        malformed_revenue=malformed_revenue,
        malformed_examples=tuple(examples[:5]),
        overlap_rows=overlap.height,
        overlap_revenue=line_revenue(overlap),
        date_readings=tuple(readings),
        conversions=merged_conversions(conversions),
        later_rows=sum(part.rows for part in later),
        later_revenue=later_revenue,
        time_range=later_time_range(later),
    )


def read_file(config: UnitConfig, path: Path, local_zone: str | None, until: datetime | None
              ) -> TypedLines:
    """One file's lines in canonical columns, those dated on or after `until` (of the unit's
    countries) counted and not kept. A Parquet file is scanned, not loaded: only its mapped
    columns are read (`typed_frame` selects them), and only the lines kept are held in memory."""
    if file_format(config, path) != "parquet":
        return typed_columns(config, path, read_raw_file(config, path), local_zone,
                             after_bound(config, until))
    scan = scan_parquet_file(config, path)
    with unreadable_file(config, path, "parquet"):
        return typed_columns(config, path, scan, local_zone, after_bound(config, until))


def lines_before(config: UnitConfig, path: Path, until: datetime) -> int | None:
    """A Parquet file's lines a run holds: those dated before `until` or without a readable
    date, their dates typed as reading types them (`typed_frame`; only the date column is
    read); None when the file cannot be read so (the reader then says why)."""
    try:
        scan = pl.scan_parquet(path)
        if missing_column_problems(config, path, scan.collect_schema().names()):
            return None
        typed, _ = typed_frame(config, path, scan, config.local_zone)
        date = pl.col("invoice_date")
        held = typed.select((date.is_null() | (date < until)).sum()).collect().item()
    except (OSError, pl.exceptions.PolarsError):
        return None
    return int(held)


def after_bound(config: UnitConfig, until: datetime | None) -> pl.Expr | None:
    """Over typed lines: dated on or after the period's bound `until` and of the unit's
    countries (None: no bound, every line is read). Lines of other countries are read and
    counted as such whatever their date, as without a bound."""
    if until is None:
        return None
    later = pl.col("invoice_date") >= until
    countries = config.filters.countries
    return later if countries is None else later & pl.col("country").is_in(countries)


def later_time_range(later: list[LaterLines]) -> tuple[datetime, datetime] | None:
    """The first and last local time of the lines after the bound, over every file."""
    firsts = [part.first for part in later if part.first is not None]
    lasts = [part.last for part in later if part.last is not None]
    return (min(firsts), max(lasts)) if firsts and lasts else None


def read_database(config: UnitConfig, until: datetime | None) -> TransactionInput:
    """Read the unit's table or query: the rows before `until` and of the unit's countries,
    where the column types let the database filter them (`database.pushdown`); the rows it
    leaves there are counted there, so the cleaning log accounts for every row."""
    label = config.source.label
    with connected(config) as database:
        problems = missing_column_problems(config, label, source_columns(database))
        if problems:
            raise problems[0]
        pushed = pushdown(database, until)
        counts = source_counts(database, pushed)
        check_lines_fit_in_memory(
            config, counts.rows - counts.other_country_rows - counts.later_rows)
        raw = read_rows(database, pushed)
    if counts.rows == 0:
        raise InputError(f"the {'table' if config.source.table else 'query'} has no rows",
                         unit=config.unit, file=label,
                         hint="point source.table or source.query at the order lines")
    lines = typed_columns(config, label, raw, config.local_zone)
    typed, bad, reading = lines.good, lines.bad, lines.reading
    if pushed.countries is not None:  # the database kept the other countries' lines
        check_countries_present(config, set(counts.countries))
        filtered, other = typed, typed.clear()
    else:
        filtered, other = filter_countries(config, typed), other_countries(config, typed)
    return TransactionInput(
        transactions=filtered,
        files=(InputFile(label, counts.digest, counts.rows),),
        rows_read=raw.height + counts.other_country_rows + counts.later_rows,
        rows_other_countries=counts.other_country_rows + other.height,
        revenue_read=line_revenue(typed) + line_revenue(bad) + counts.other_country_revenue
        + counts.later_revenue,
        revenue_other_countries=counts.other_country_revenue + line_revenue(other),
        malformed_rows=bad.height,
        malformed_revenue=line_revenue(bad),
        malformed_examples=tuple(malformed_examples(label, bad)[:5]),
        date_readings=(reading,) if reading is not None else (),
        conversions=tuple(lines.conversions),
        later_rows=counts.later_rows,
        later_revenue=counts.later_revenue,
        time_range=local_time_range(config, counts) if pushed.until is not None else None,
    )


def local_time_range(config: UnitConfig, counts: SourceCounts) -> tuple[datetime, datetime] | None:
    """The database's first and last time of the unit's rows as the unit's local times."""
    if counts.first_time is None or counts.last_time is None:
        return None
    times = pl.DataFrame({"raw_invoice_date": [counts.first_time, counts.last_time]})
    zones = TimeZones(config.source.timezone, config.local_zone)
    local = times.select(cast_column("invoice_date", times.schema["raw_invoice_date"], None,
                                     zones=zones).alias("invoice_date"))["invoice_date"]
    first, last = local[0], local[1]
    return (first, last) if first is not None and last is not None else None


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


