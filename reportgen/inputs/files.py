"""A unit's files: which paths, which format, whether they fit in memory, their raw text and content hash."""

from __future__ import annotations

import codecs
import glob
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from reportgen.config import UnitConfig, is_url
from reportgen.errors import EncodingError, InputError, first_line

# Field separators an export may use instead of the declared one.
OTHER_DELIMITERS = (";", "\t", "|", ",")
FORMAT_BY_SUFFIX = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}


# Memory a run needs at its peak, per byte of a text file on disk: text expands into typed
# columns, and the chapters hold several tables (measured: 10 M synthetic lines, a 0.96 GB
# CSV, peaked at 6.2 GiB; make bench-large). Parquet is compressed by anything from 3 to 15
# times, so its lines are counted from its metadata instead.
MEMORY_PER_BYTE = {"csv": 7.0, "xlsx": 12.0}


# Bytes at the peak per Parquet line held (those before the period's bound): the same 10 M
# lines from Parquet peaked at 4.18 GiB, 449 bytes a line, once cleaning wrote its working
# tables to files, found duplicates in buckets and let the lines go after cleaning (5.6 GiB
# before those two; `clean.SPILL_FROM_LINES`).
MEMORY_PER_LINE = 520

# A Parquet file's lines a run holds (before the period's bound), or None: every line.
LinesHeld = Callable[[UnitConfig, Path], "int | None"]


def available_memory() -> int | None:
    """Bytes of memory this machine can still give without swapping (Linux), else None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_fits_in_memory(config: UnitConfig, lines_held: LinesHeld | None = None) -> None:
    """InputError, before anything is read, when the input would not fit in free memory: a
    Parquet file counted by the lines `lines_held` says a run holds (default: all)."""
    available = available_memory()
    if available is None:
        return
    needed = 0.0
    for source in config.source.readers():
        entry = config.model_copy(update={"source": source})
        for path in input_paths(entry):
            form = file_format(entry, path)
            held = lines_held(entry, path) if lines_held and form == "parquet" else None
            needed += memory_needed(path, form, held)
    if needed > available:
        raise InputError(
            f"the input needs about {size_text(needed)} of memory once read and this "
            f"machine has {size_text(available)} free", unit=config.unit,
            file=config.source.label,
            hint="free memory, run on a larger machine, split the data into smaller files "
            "and report fewer years (source.files), or clean it on a Spark cluster "
            "(engine: spark)")


def check_lines_fit_in_memory(config: UnitConfig, lines: int) -> None:
    """InputError, before a database's rows are read, when `lines` would not fit in memory."""
    available = available_memory()
    needed = float(lines) * MEMORY_PER_LINE
    if available is not None and needed > available:
        raise InputError(
            f"the {lines:,} rows to read need about {size_text(needed)} of memory and this "
            f"machine has {size_text(available)} free", unit=config.unit,
            file=config.source.label, hint="free memory, run on a larger machine, or narrow "
            "source.query to the years the report needs")


def memory_needed(path: Path, form: str, lines_held: int | None = None) -> float:
    """Bytes a run needs at its peak for this file: Parquet by the lines held (default: its
    line count, read from the footer, not the data), text by its size."""
    if form == "parquet" and lines_held is not None:
        return float(lines_held) * MEMORY_PER_LINE
    if form == "parquet":
        try:
            lines = pl.scan_parquet(path).select(pl.len()).collect().item()
        except (OSError, pl.exceptions.PolarsError):
            return 0.0  # unreadable: the reader says so, with the file's name
        return float(lines) * MEMORY_PER_LINE
    return path.stat().st_size * MEMORY_PER_BYTE[form]


def size_text(size: float) -> str:
    """Bytes as MiB or GiB, one decimal."""
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.1f} MiB"


def input_paths(config: UnitConfig) -> list[Path]:
    """Return the files named by source.path (expanding a glob), or raise InputError."""
    pattern = str(config.source.path)
    if is_url(pattern):
        raise InputError(
            "a URL is read by engine: spark only", unit=config.unit, file=pattern,
            hint=f"set engine: spark in {config.config_file}, or copy the files to this machine")
    if glob.has_magic(pattern):
        paths = [Path(p) for p in sorted(glob.glob(pattern)) if Path(p).is_file()]
        if not paths:
            raise InputError(
                "no file matches the pattern", unit=config.unit, file=pattern,
                hint=f"check source.path in {config.config_file}",
            )
        return paths
    path = Path(pattern)
    if not path.is_file():
        raise InputError(
            "input file not found", unit=config.unit, file=path,
            hint=f"check source.path in {config.config_file}",
        )
    return [path]


def file_format(config: UnitConfig, path: Path | str) -> str:
    """Return csv, xlsx or parquet: the declared format, or the one the extension implies
    (database for a source.url)."""
    if config.source.url is not None:
        return "database"
    if config.source.format != "auto":
        return config.source.format
    suffix = Path(path).suffix
    fmt = FORMAT_BY_SUFFIX.get(suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot tell the format from the extension '{suffix}'", unit=config.unit,
            file=path, hint="set source.format to csv, xlsx or parquet",
        )
    return fmt


def read_raw_file(config: UnitConfig, path: Path) -> pl.DataFrame:
    """Read one file as it is, with the file's own column names."""
    check_not_empty(config, path)
    fmt = file_format(config, path)
    with unreadable_file(config, path, fmt):
        if fmt == "csv":
            return read_csv_text(config, path)
        if fmt == "xlsx":
            sheet = {"sheet_name": config.source.sheet} if config.source.sheet else {}
            return pl.read_excel(path, engine="calamine", **sheet)  # type: ignore[call-overload,no-any-return]
        return pl.read_parquet(path)


def scan_parquet_file(config: UnitConfig, path: Path) -> pl.LazyFrame:
    """A Parquet file to read lazily (its schema checked now), with its own column names."""
    check_not_empty(config, path)
    with unreadable_file(config, path, "parquet"):
        scan = pl.scan_parquet(path)
        scan.collect_schema()
        return scan


def check_not_empty(config: UnitConfig, path: Path) -> None:
    """InputError for a file of zero bytes."""
    if path.stat().st_size == 0:
        raise InputError(
            "the file is empty", unit=config.unit, file=path,
            hint="point source.path at a file with transactions",
        )


@contextmanager
def unreadable_file(config: UnitConfig, path: Path, fmt: str) -> Iterator[None]:
    """A file its reader cannot read (not the format, cut short) as one InputError line."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:  # polars and its readers raise many types for unreadable files
        detail = first_line(exc)
        raise InputError(
            f"cannot read the file as {fmt}: {detail}", unit=config.unit, file=path,
            hint="check source.format and that the file is complete",
        ) from None


def read_csv_text(config: UnitConfig, path: Path) -> pl.DataFrame:
    """Decode a CSV with the declared encoding (strictly) and read every field as text."""
    encoding = config.source.encoding
    codec_name(config)
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError(
            f"line {line} is not valid {encoding} (byte 0x{data[exc.start]:02x})",
            unit=config.unit, file=path,
            hint=f"declare source.encoding: {suggest_encoding(data)} in {config.config_file}",
        ) from None
    # Excel writes a byte-order mark before UTF-8 text; it is not part of the first column's name.
    text = text.removeprefix("\ufeff")
    utf8 = text.encode()
    return pl.read_csv(
        utf8, infer_schema=False, separator=config.source.delimiter,
        truncate_ragged_lines=True,
    )


def codec_name(config: UnitConfig) -> str:
    """Python's canonical name of source.encoding; InputError when Python has no such codec."""
    try:
        return codecs.lookup(config.source.encoding).name
    except LookupError:
        raise InputError(
            f"unknown encoding '{config.source.encoding}'", unit=config.unit,
            file=config.config_file,
            hint="set source.encoding to a Python codec name such as utf-8 or latin-1",
        ) from None


def suggest_encoding(data: bytes) -> str:
    """Return the first of utf-8, cp1252 and latin-1 that decodes the bytes."""
    for candidate in ("utf-8", "cp1252"):
        try:
            data.decode(candidate)
        except UnicodeDecodeError:
            continue
        return candidate
    return "latin-1"


def other_delimiter(config: UnitConfig, path: Path | str, columns: list[str]) -> str | None:
    """The separator a CSV read as one column seems to use instead of the declared one."""
    if file_format(config, path) != "csv" or len(columns) != 1:
        return None
    header = columns[0]
    found = [(header.count(d), d) for d in OTHER_DELIMITERS
             if d != config.source.delimiter and header.count(d) >= 2]
    return max(found)[1] if found else None


def workbook_sheets(path: Path) -> list[str]:
    """The sheet names of an XLSX workbook (empty when they cannot be read)."""
    try:
        import fastexcel

        return list(fastexcel.read_excel(path).sheet_names)
    except Exception:  # a list of sheets is a hint, never a failure
        return []


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
