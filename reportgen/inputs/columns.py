"""Raw columns to canonical types: the column mapping, numbers, dates and their formats,
time zones, and the values that could not be read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import narwhals as nw
import polars as pl

from reportgen.config import CANONICAL_COLUMNS, UnitConfig
from reportgen.errors import InputError
from reportgen.inputs.files import file_format, other_delimiter, workbook_sheets
from reportgen.inputs.reduce import MAX_LINE_VALUE, money_sum

# Lines read into memory (a DataFrame) or to be read (a LazyFrame: a Parquet file's scan).
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


TEXT_COLUMNS = ("invoice", "stock_code", "description", "country")


REQUIRED_COLUMNS = ("invoice", "stock_code", "quantity", "invoice_date", "unit_price")


CANONICAL_SCHEMA: dict[str, pl.DataType] = {
    "invoice": pl.String(),
    "stock_code": pl.String(),
    "description": pl.String(),
    "quantity": pl.Int64(),
    "invoice_date": pl.Datetime("us"),
    "unit_price": pl.Float64(),
    "customer_id": pl.String(),
    "country": pl.String(),
}


# Tried in order when the unit declares no date_format; the one that parses most values wins.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)


# Formats that read the same text day-first or month-first: when both read every date and the
# dates differ, the file is ambiguous and the unit must say which (source.date_format).
OTHER_ORDER = {
    "%m/%d/%Y %H:%M": "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M": "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S": "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S": "%m/%d/%Y %H:%M:%S",
}


# A column with more unparseable values than this is a mapping mistake, not a few bad rows.
MAX_MALFORMED_SHARE = 0.5


# Dots and spaces between digit groups, in numbers written with a decimal comma (1.234,56).
THOUSANDS_GROUPING = r"[.\s\u00a0\u202f]"


# A number written with a decimal comma, to suggest source.decimal_comma.
DECIMAL_COMMA_NUMBER = r"^[-+]?\d{1,3}([.\s]?\d{3})*,\d+$"




@dataclass(frozen=True)
class MalformedValue:
    """An example of a value that could not be read as its column's type."""

    file: str
    row: int | None  # the row in the file, where the reader knows it
    column: str
    value: str


@dataclass(frozen=True)
class TypeConversion:
    """A column stored as a type that reportgen reads another way (the cleaning log lists it)."""

    column: str  # canonical name
    stored: str
    read_as: str
    rows: int

    @property
    def rule(self) -> str:
        """The cleaning log's wording."""
        return f"{self.column} stored as {self.stored}, read as {self.read_as}"


def stored_kind(dtype: pl.DataType) -> str | None:
    """decimal, integer, float, date or zoned:<zone> where reading converts the type."""
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return f"zoned:{dtype.time_zone}"
    if dtype == pl.Date:
        return "date"
    if dtype.is_integer():
        return "integer"
    return "float" if dtype.is_float() else None


def conversions_of(stored: dict[str, tuple[str | None, int]], local_zone: str | None
                   ) -> list[TypeConversion]:
    """The conversions of the canonical columns stored as `stored` (kind, values present),
    for any engine's reader."""
    found = []
    for canon, (kind, rows) in stored.items():
        is_id = canon in (*TEXT_COLUMNS, "customer_id")
        if kind == "decimal":
            found.append(TypeConversion(canon, "exact decimals (DECIMAL/NUMERIC)",
                                        "floating-point numbers", rows))
        elif kind == "integer" and is_id:
            found.append(TypeConversion(canon, "whole numbers", "text ids (12346 and '12346' "
                                        "are the same id)", rows))
        elif kind == "float" and is_id:
            found.append(TypeConversion(canon, "decimal numbers", "text ids (12346.0 read as "
                                        "'12346')", rows))
        elif kind is not None and kind.startswith("zoned:"):
            zone = kind.split(":", 1)[1]
            found.append(TypeConversion(canon, f"times with a zone ({zone})",
                                        f"local times of {local_zone or zone}", rows))
        elif kind == "date":
            found.append(TypeConversion(canon, "dates without a time", "midnight of the day",
                                        rows))
    return found


def merged_conversions(conversions: list[TypeConversion]) -> tuple[TypeConversion, ...]:
    """One conversion per column and kind, its rows added over the files."""
    merged: dict[tuple[str, str, str], int] = {}
    for conversion in conversions:
        key = (conversion.column, conversion.stored, conversion.read_as)
        merged[key] = merged.get(key, 0) + conversion.rows
    return tuple(TypeConversion(*key, rows) for key, rows in merged.items())


@dataclass(frozen=True)
class DateReading:
    """A file whose dates read one way only (the other order gives impossible dates)."""

    file: str
    rows: int
    date_format: str
    example: str  # a value the other order cannot read

    @property
    def order(self) -> str:
        """day-first or month-first."""
        return "day-first" if self.date_format.startswith("%d") else "month-first"


@dataclass(frozen=True)
class LaterLines:
    """Readable lines of the unit's countries dated on or after the period's bound, counted
    (with their value and first and last local time) and not read into memory."""

    rows: int = 0
    revenue: float = 0.0
    first: datetime | None = None
    last: datetime | None = None


@dataclass(frozen=True)
class TypedLines:
    """One source's lines in canonical columns: its rows, the readable lines before the
    period's bound, the unreadable ones (raw and typed side by side), how the dates were read
    when the data decided it, the type conversions, and the readable lines after the bound."""

    rows: int
    good: pl.DataFrame
    bad: pl.DataFrame
    reading: DateReading | None
    conversions: list[TypeConversion]
    later: LaterLines


def typed_columns(config: UnitConfig, path: Path | str, raw: pl.DataFrame | pl.LazyFrame,
                  local_zone: str | None, later: pl.Expr | None = None) -> TypedLines:
    """Map the source's columns to canonical names and types, times in `local_zone`. A lazy
    `raw` (a Parquet scan) is never held whole: only its readable lines for which `later`
    (over the typed columns) is false are collected; those for which it is true are counted."""
    problems = missing_column_problems(config, path, raw.collect_schema().names())
    if problems:
        raise problems[0]
    typed, reading = typed_frame(config, path, raw.lazy(), local_zone)
    frame = typed.cache()  # typed once for the four queries below
    malformed = pl.col("malformed")
    after = ~malformed & (pl.lit(False) if later is None else later)
    totals, good, bad, later_lines = pl.collect_all([
        frame.select(pl.len().alias("rows"), *failure_counts(),
                     *(pl.col(f"raw_{c}").count().alias(f"present_{c}")
                       for c in CANONICAL_COLUMNS)),
        frame.filter(~malformed & ~after).select(CANONICAL_COLUMNS),
        frame.filter(malformed),
        nw.from_native(frame.filter(after)).select(
            nw.len().alias("rows"),
            money_sum(nw.col("quantity") * nw.col("unit_price")).alias("revenue"),
            nw.col("invoice_date").min().alias("first"),
            nw.col("invoice_date").max().alias("last")).to_native(),
    ])
    counts = totals.row(0, named=True)
    problems = unreadable_column_problems(
        config, path, {c: counts[c] for c in CANONICAL_COLUMNS}, counts["rows"], bad)
    if problems:
        raise problems[0]
    schema = frame.collect_schema()
    stored = {c: (stored_kind(schema[f"raw_{c}"]), counts[f"present_{c}"])
              for c in CANONICAL_COLUMNS}
    after_bound = later_lines.row(0, named=True)
    return TypedLines(counts["rows"], good, bad, reading,
                      conversions_of(stored, config.local_zone),
                      LaterLines(after_bound["rows"], float(after_bound["revenue"] or 0.0),
                                 after_bound["first"], after_bound["last"]))


def missing_column_problems(config: UnitConfig, path: Path | str, columns: list[str]
                            ) -> list[InputError]:
    """One error per mapped column that the file does not have. In a workbook where most
    mapped columns are missing, the data is likely on another sheet: one error listing the
    sheets instead."""
    mapping = config.source.columns.model_dump()
    missing = [canon for canon in CANONICAL_COLUMNS if mapping[canon] not in columns]
    separator = other_delimiter(config, path, columns) if missing else None
    if separator is not None:
        shown = {"\t": "\\t"}.get(separator, separator)
        return [InputError(
            f"the file's columns are separated by '{shown}', not "
            f"'{config.source.delimiter}' (its header reads: {columns[0][:80]})",
            unit=config.unit, file=path,
            hint=f"set source.delimiter: \"{shown}\" in {config.config_file}")]
    if file_format(config, path) == "xlsx" and len(missing) > len(CANONICAL_COLUMNS) // 2:
        sheets = workbook_sheets(Path(path))
        read = config.source.sheet or (sheets[0] if sheets else "the first sheet")
        if len(sheets) > 1:
            return [InputError(
                f"the sheet '{read}' lacks most mapped columns ({', '.join(columns)}); "
                f"the workbook's sheets: {', '.join(sheets)}", unit=config.unit, file=path,
                hint=f"set source.sheet to the sheet with the transactions in "
                f"{config.config_file}")]
    holder = "the table" if config.source.table else "the query" if config.source.query else "the file"
    return [
        InputError(
            f"not found (mapped from {canon}); {holder} has: {', '.join(columns)}",
            unit=config.unit, file=path, column=mapping[canon],
            hint=f"fix source.columns.{canon} in {config.config_file}",
        )
        for canon in missing
    ]


def typed_frame(config: UnitConfig, path: Path | str, raw: Frame, local_zone: str | None = None
                ) -> tuple[Frame, DateReading | None]:
    """Raw and typed canonical columns side by side, a source row number and a malformed flag;
    and how the dates were read when the data decided their day-month order. Times are the
    unit's local times (`local_zone`, default the unit's `UnitConfig.local_zone`)."""
    zones = TimeZones(config.source.timezone, local_zone or config.local_zone)
    mapping = config.source.columns.model_dump()
    selected = raw.select(
        [pl.col(mapping[c]).alias(f"raw_{c}") for c in CANONICAL_COLUMNS]
    ).with_row_index("row_number", offset=2 if file_format(config, path) == "csv" else 1)
    schema = selected.collect_schema()
    date_format, reading = config.source.date_format, None
    if date_format is None and schema["raw_invoice_date"] == pl.String:
        dates = selected.lazy().select("raw_invoice_date").collect().to_series()
        date_format, reading = checked_date_format(config, path, dates)
    typed = selected.with_columns(
        [cast_column(c, schema[f"raw_{c}"], date_format,
                     config.source.decimal_comma, zones).alias(c)
         for c in CANONICAL_COLUMNS]
    ).with_columns(  # a line worth more than any sale is a keying error: its price unreadable
        pl.when((pl.col("quantity") * pl.col("unit_price")).abs() >= MAX_LINE_VALUE)
        .then(None).otherwise(pl.col("unit_price")).alias("unit_price"))
    malformed = pl.any_horizontal(
        [_failed(c) for c in CANONICAL_COLUMNS] + [pl.col(c).is_null() for c in REQUIRED_COLUMNS]
    )
    return typed.with_columns(malformed.alias("malformed")), reading


def unreadable_column_problems(config: UnitConfig, path: Path | str, failures: dict[str, int],
                               rows: int, bad: pl.DataFrame) -> list[InputError]:
    """One error per column where most of the `rows` values cannot be read as the column's
    type (`failures` by column, from `column_failures`; `bad`, the unreadable lines)."""
    mapping = config.source.columns.model_dump()
    problems = []
    for column in CANONICAL_COLUMNS:
        if rows and failures[column] > MAX_MALFORMED_SHARE * rows:
            failed = bad.filter(_failed(column))
            example = failed[f"raw_{column}"].cast(pl.String)[0]
            hint = (
                f"set source.date_format in {config.config_file}"
                if column == "invoice_date"
                else f"the numbers use a decimal comma: set source.decimal_comma: true in "
                f"{config.config_file}"
                if column in ("quantity", "unit_price") and example is not None
                and re.match(DECIMAL_COMMA_NUMBER, example.strip())
                else f"check source.columns.{column} in {config.config_file}"
            )
            problems.append(InputError(
                f"{failed.height:,} of {rows:,} values are not a valid {column} "
                f"(e.g. '{example}')",
                unit=config.unit, file=path, column=mapping[column], hint=hint,
            ))
    return problems


def failure_counts() -> list[pl.Expr]:
    """Over `typed_frame`'s lines, per canonical column (named so): the values present that
    could not be read."""
    return [_failed(c).sum().alias(c) for c in CANONICAL_COLUMNS]


def column_failures(typed: pl.DataFrame) -> dict[str, int]:
    """`failure_counts` of lines typed in memory."""
    return typed.select(failure_counts()).row(0, named=True)


@dataclass(frozen=True)
class TimeZones:
    """The zone an export's times are written in and the unit's local zone (None: as written)."""

    source: str | None
    local: str | None

    def local_time(self, times: pl.Expr, stored: str | None = None) -> pl.Expr:
        """Times as naive local times of the unit: times stored with a zone (`stored`) or
        written in the source's zone are converted to the local zone; a time that does not
        exist there (in a daylight-saving gap of the source's zone) becomes null."""
        written_in = stored or self.source
        target = self.local or written_in
        if written_in is None or target is None:
            return times
        zoned = times if stored else times.dt.replace_time_zone(
            written_in, ambiguous="earliest", non_existent="null")
        return zoned.dt.convert_time_zone(target).dt.replace_time_zone(None)


# Times taken as written: no zone given for the export or the unit.
AS_WRITTEN = TimeZones(None, None)


def cast_column(column: str, dtype: pl.DataType, date_format: str | None,
                decimal_comma: bool = False, zones: TimeZones = AS_WRITTEN
                ) -> pl.Expr:
    """Return an expression casting raw_<column> to its canonical type; failures become null.
    With `decimal_comma`, numbers written as text read 1.234,56 as 1234.56; times become the
    unit's local times (`zones`)."""
    raw = pl.col(f"raw_{column}")
    target = CANONICAL_SCHEMA[column]
    if column == "customer_id":
        if dtype.is_float():
            return raw.cast(pl.Int64, strict=False).cast(pl.String)
        text = raw.cast(pl.String).str.strip_chars().str.replace(r"\.0+$", "")
        return pl.when(text == "").then(None).otherwise(text)
    if column in TEXT_COLUMNS:
        if dtype.is_float():
            raw = raw.cast(pl.Int64, strict=False)
        text = raw.cast(pl.String).str.strip_chars()
        return pl.when(text == "").then(None).otherwise(text)
    if column == "invoice_date":
        if dtype == pl.String:
            return zones.local_time(raw.str.strip_chars().str.to_datetime(
                date_format, strict=False, time_unit="us"))
        if dtype == pl.Date:
            return raw.cast(pl.Datetime("us"))
        if isinstance(dtype, pl.Datetime):
            return zones.local_time(raw, dtype.time_zone).cast(pl.Datetime("us"))
        return pl.lit(None, dtype=pl.Datetime("us"))
    if dtype == pl.String:
        raw = raw.str.strip_chars()
        if decimal_comma:
            raw = raw.str.replace_all(THOUSANDS_GROUPING, "").str.replace(",", ".", literal=True)
    if column == "quantity":
        as_float = raw.cast(pl.Float64, strict=False)
        whole = as_float.is_finite() & (as_float == as_float.round(0))
        return pl.when(whole).then(as_float.cast(pl.Int64, strict=False)).otherwise(None)
    as_price = raw.cast(target, strict=False)
    return pl.when(as_price.is_finite()).then(as_price).otherwise(None)


def checked_date_format(config: UnitConfig, path: Path | str, values: pl.Series
                        ) -> tuple[str | None, DateReading | None]:
    """The format that reads the most dates, and, when the other day-month order gives
    impossible dates, how they were read (for the cleaning log). InputError when the dates read
    both day-first and month-first, to different dates: the data cannot say which is meant."""
    chosen = best_date_format(values)
    other = OTHER_ORDER.get(chosen or "")
    if chosen is None or other is None:
        return chosen, None
    text = values.drop_nulls().str.strip_chars()
    read, read_other = (text.str.to_datetime(fmt, strict=False) for fmt in (chosen, other))
    if read_other.null_count() < read.null_count():  # the sample misled
        chosen, other, read, read_other = other, chosen, read_other, read
    if read_other.null_count() == read.null_count():
        if not read.ne_missing(read_other).any():
            return chosen, None  # every date reads the same both ways (day = month)
        differ = text.filter(read.ne_missing(read_other)).head(3).to_list()
        day_first, month_first = (chosen, other) if chosen.startswith("%d") else (other, chosen)
        raise InputError(
            "the dates read both day-first and month-first, to different dates (e.g. "
            + ", ".join(f"'{value}'" for value in differ) + ")",
            unit=config.unit, file=path, column=config.source.columns.invoice_date,
            hint=f"set source.date_format to '{day_first}' (day-first) or '{month_first}' "
            f"(month-first) in {config.config_file}")
    impossible = text.filter(read_other.is_null() & read.is_not_null())
    return chosen, DateReading(str(path), values.len(), chosen, impossible[0])


def best_date_format(values: pl.Series) -> str | None:
    """Return the candidate format that parses the most of the given text values."""
    if values.dtype != pl.String:
        return None
    sample = values.drop_nulls().head(10_000).str.strip_chars()
    if sample.is_empty():
        return DATE_FORMATS[0]
    parsed = {
        fmt: sample.str.to_datetime(fmt, strict=False).is_not_null().sum() for fmt in DATE_FORMATS
    }
    return max(DATE_FORMATS, key=lambda fmt: parsed[fmt])


def _failed(column: str) -> pl.Expr:
    """True where the raw value was present (not blank) but did not convert."""
    converted_to_null = pl.col(f"raw_{column}").is_not_null() & pl.col(column).is_null()
    # Blank text is a missing value, not a malformed one. Only text cells can be blank, and the
    # comparison is cheap to skip for the other types: it runs only where conversion failed.
    blank = pl.col(f"raw_{column}").cast(pl.String).str.strip_chars() == ""
    return pl.when(converted_to_null).then(~blank).otherwise(pl.lit(False))


def line_revenue(frame: pl.DataFrame) -> float:
    """Quantity x unit price over the frame's lines (0 where unreadable), added exactly
    (`reduce.money_sum`, as every engine adds money)."""
    if frame.is_empty():
        return 0.0
    value = nw.from_native(frame).select(
        money_sum(nw.col("quantity") * nw.col("unit_price"))).item()
    return float(value or 0.0)


def malformed_examples(path: Path | str, bad: pl.DataFrame) -> list[MalformedValue]:
    examples = []
    for row in bad.head(5).iter_rows(named=True):
        for column in CANONICAL_COLUMNS:
            value = row[f"raw_{column}"]
            if row[column] is None and (value is not None or column in REQUIRED_COLUMNS):
                examples.append(MalformedValue(str(path), row["row_number"], column, str(value)))
                break
    return examples
