"""A unit's transactions read straight from a database (source.url): PostgreSQL, MySQL or
MariaDB and SQLite through SQLAlchemy, DuckDB files by DuckDB itself.

One query reads what the run needs: the mapped columns, the lines dated before the period's end
and those of the unit's countries (bound parameters, never values written into the SQL),
fetched in batches from a server-side cursor. One aggregate query counts what it leaves in the
database, so the cleaning log still accounts for every row, and the same counts fingerprint
the source for the run ledger. Every error is one line with the URL's password masked.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import polars as pl

from reportgen.config import UnitConfig, masked_url, url_password
from reportgen.errors import InputError, first_line

# Rows fetched from the server at a time: the driver holds one batch, never the whole table.
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class Driver:
    """The Python package that talks to one kind of database."""

    module: str  # what is imported
    package: str  # what to install
    sqlalchemy_scheme: str | None  # None: read by the package itself (DuckDB)


DRIVERS = {
    "postgresql": Driver("psycopg", "psycopg[binary]", "postgresql+psycopg"),
    "mysql": Driver("pymysql", "PyMySQL", "mysql+pymysql"),
    "sqlite": Driver("sqlite3", "Python's sqlite3 module", "sqlite"),
    "duckdb": Driver("duckdb", "duckdb", None),
}

# What a driver's message says when the server could not be reached or refused the login.
UNREACHABLE = re.compile(
    r"(?i)could not connect|connection refused|can't connect|timeout expired|timed out|"
    r"could not translate host|name or service not known|unknown (mysql server )?host|"
    r"no route to host|network is unreachable|connection .* failed")
REFUSED_LOGIN = re.compile(r"(?i)password|authentication failed|access denied|no pg_hba")


@dataclass(frozen=True)
class SourceCounts:
    """What the database holds for the unit, counted there: every row, those of other
    countries and those dated on or after the period's bound (which are not read), the
    value of each, and the first and last time of any row."""

    rows: int
    revenue: float
    other_country_rows: int
    other_country_revenue: float
    later_rows: int
    later_revenue: float
    first_time: Any  # as the database returns it (converted to local time by the reader)
    last_time: Any
    countries: frozenset[str]
    digest: str  # SHA-256 of the counts of the rows the period reads (the run ledger's)


@dataclass(frozen=True)
class Pushdown:
    """The predicates the reading query adds to the source: a time bound (rows at or after it
    are counted, not read) and the unit's countries; None where they cannot be pushed."""

    until: datetime | None
    countries: tuple[str, ...] | None

    @property
    def anything(self) -> bool:
        """Whether the query leaves some rows in the database (then counted with their value:
        pushing needs quantity and price stored as numbers)."""
        return self.until is not None or self.countries is not None


class Database:
    """An open, read-only connection to a unit's database and the SQL it understands."""

    def __init__(self, config: UnitConfig) -> None:
        self.config = config
        self.kind = config.source.database or ""
        self.driver = DRIVERS[self.kind]
        self._connection: Any = None
        self._quote: Any = None

    # --- connecting ---

    def open(self) -> None:
        """Connect; InputError (one line) when the driver is missing or the server refuses."""
        try:
            importlib.import_module(self.driver.module)
            if self.driver.sqlalchemy_scheme is not None:
                importlib.import_module("sqlalchemy")
        except ImportError as exc:
            missing = getattr(exc, "name", None) or self.driver.module
            package = "SQLAlchemy" if missing == "sqlalchemy" else self.driver.package
            raise InputError(
                f"the {self.kind} driver is not installed (no module '{missing}')",
                unit=self.config.unit, file=self.config.source.label,
                hint=f"install {package} (pip install 'reportgen[database]' installs every "
                "database driver)") from None
        self.check_file()
        with self.failures("connect"):
            if self.driver.sqlalchemy_scheme is None:
                self._connection = self.duckdb_connection()
            else:
                self._connection = self.sqlalchemy_connection()

    def check_file(self) -> None:
        """SQLite and DuckDB: the file must exist (SQLite would create an empty one)."""
        path = self.config.source.database_file
        if path and not path.startswith(":memory:") and not Path(path).is_file():
            raise InputError("database file not found", unit=self.config.unit, file=path,
                             hint=f"check source.url in {self.config.config_file}")

    def duckdb_connection(self) -> Any:
        import duckdb

        path = str(self.config.source.database_file)
        connection = duckdb.connect(path, read_only=path != ":memory:")
        connection.execute("SET TimeZone = 'UTC'")  # times with a zone come back in UTC
        self._quote = quote_identifier
        return connection

    def sqlalchemy_connection(self) -> Any:
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        url = sqlalchemy.engine.make_url(str(self.config.source.url))
        if "+" not in url.drivername:
            url = url.set(drivername=self.driver.sqlalchemy_scheme)
        connect_args: dict[str, Any] = {}
        if self.kind == "postgresql":  # read only; times with a zone come back in UTC
            connect_args = {"connect_timeout": 10, "application_name": "reportgen",
                            "options": "-c default_transaction_read_only=on -c TimeZone=UTC"}
        elif self.kind == "mysql":
            connect_args = {"connect_timeout": 10}
        engine = sqlalchemy.create_engine(url, poolclass=NullPool, connect_args=connect_args)
        self._quote = engine.dialect.identifier_preparer.quote
        return engine.connect()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # --- SQL ---

    def marker(self, name: str) -> str:
        """The bound parameter `name` as this connection writes it."""
        return f"${name}" if self.kind == "duckdb" else f":{name}"

    def column(self, name: str) -> str:
        """A column name, quoted where the database needs it."""
        return str(self._quote(name))

    def source_sql(self) -> str:
        """The source as a FROM item: the table (schema-qualified where given) or the query."""
        source = self.config.source
        if source.query is not None:
            return f"({source.query.strip().rstrip(';')}) AS source_rows"
        return ".".join(self.column(part) for part in str(source.table).split("."))

    # --- running ---

    def rows(self, sql: str, params: dict[str, Any], doing: str) -> list[tuple[Any, ...]]:
        """A small result's rows."""
        with self.failures(doing):
            if self.kind == "duckdb":
                return list(self._connection.execute(sql, params).fetchall())
            import sqlalchemy

            return [tuple(row) for row in self._connection.execute(sqlalchemy.text(sql), params)]

    def column_names(self, sql: str, doing: str) -> list[str]:
        """The names of a query's columns (the query returns no row)."""
        with self.failures(doing):
            if self.kind == "duckdb":
                return [d[0] for d in self._connection.execute(sql).description]
            import sqlalchemy

            return list(self._connection.execute(sqlalchemy.text(sql)).keys())

    def frames(self, sql: str, params: dict[str, Any]) -> Iterator[pl.DataFrame]:
        """The query's rows in frames of BATCH_ROWS, from a server-side cursor."""
        with self.failures("read"):
            if self.kind == "duckdb":
                reader = self._connection.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
                for batch in reader:
                    yield pl.from_arrow(batch)  # type: ignore[misc]
                return
        yield from self.sqlalchemy_frames(sql, params)

    def sqlalchemy_frames(self, sql: str, params: dict[str, Any]) -> Iterator[pl.DataFrame]:
        """Batches from the driver's own server-side cursor (SQLAlchemy compiles the statement
        for the driver's parameter style; its per-row Row objects would double the time)."""
        import sqlalchemy

        with self.failures("read"):
            compiled = sqlalchemy.text(sql).compile(dialect=self._connection.dialect)
            values = compiled.construct_params(params)
            bound: Any = values
            if compiled.positiontup is not None:  # qmark style (SQLite)
                bound = tuple(values[name] for name in compiled.positiontup)
            cursor = self.server_side_cursor()
            try:
                cursor.execute(compiled.string, bound)
                names = [column[0] for column in cursor.description]
                while rows := cursor.fetchmany(BATCH_ROWS):
                    yield pl.DataFrame([pl.Series(name, values, strict=False) for name, values
                                        in zip(names, zip(*rows, strict=True), strict=True)])
            finally:
                cursor.close()

    def server_side_cursor(self) -> Any:
        """A cursor that fetches rows from the server as they are asked for: a named cursor
        (PostgreSQL), an unbuffered one (MySQL); SQLite steps through its file anyway."""
        driver_connection = self._connection.connection.driver_connection
        if self.kind == "postgresql":
            return driver_connection.cursor(name="reportgen_lines")
        if self.kind == "mysql":
            import pymysql

            return driver_connection.cursor(pymysql.cursors.SSCursor)
        return driver_connection.cursor()

    @contextmanager
    def failures(self, doing: str) -> Iterator[None]:
        """A driver's exception as one InputError line: the database's own message (first
        line, password removed) and what to check."""
        try:
            yield
        except InputError:
            raise
        except Exception as exc:  # every driver has its own error classes
            if not is_database_error(exc):
                raise
            self.fail(doing, exc)

    def fail(self, doing: str, exc: BaseException) -> NoReturn:
        config = self.config
        message = scrubbed(first_line(getattr(exc, "orig", None) or exc),
                           config.source.url or "")
        if doing == "connect" or UNREACHABLE.search(message):
            hint = ("check the user and password (in source.url, REPORTGEN_SOURCE__URL or the "
                    "driver's own settings such as PGPASSWORD or ~/.pgpass)"
                    if REFUSED_LOGIN.search(message) else
                    "check the host, port and database name in source.url, and that the server "
                    "accepts connections from this machine")
            raise InputError(f"cannot connect to the database: {message}", unit=config.unit,
                             file=config.source.label, hint=hint) from None
        if config.source.query is not None:
            raise InputError(f"the query failed: {message}", unit=config.unit,
                             file=config.source.label,
                             hint=f"check source.query in {config.config_file}") from None
        raise InputError(f"the database refused to read the table: {message}",
                         unit=config.unit, file=config.source.label,
                         hint=f"check source.table and source.columns in {config.config_file}"
                         ) from None

    def table_names(self) -> list[str]:
        """The tables and views the connection can see (empty when they cannot be listed)."""
        try:
            if self.kind == "duckdb":
                return sorted(row[0] for row in self._connection.execute(
                    "select table_name from information_schema.tables").fetchall())
            import sqlalchemy

            self._connection.rollback()  # PostgreSQL refuses more after a failed statement
            inspector = sqlalchemy.inspect(self._connection)
            return sorted({*inspector.get_table_names(), *inspector.get_view_names()})
        except Exception:  # a list of tables is a hint, never a failure
            return []


def is_database_error(exc: BaseException) -> bool:
    """Whether an exception comes from a database driver (SQLAlchemy, DB-API or DuckDB)."""
    module = type(exc).__module__.split(".", 1)[0]
    return module in ("sqlalchemy", "psycopg", "pymysql", "sqlite3", "duckdb", "_duckdb")


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier (DuckDB)."""
    return '"' + name.replace('"', '""') + '"'


def scrubbed(message: str, url: str) -> str:
    """A driver's message with the URL's password (and the URL itself) masked."""
    password = url_password(url)
    if url:
        message = message.replace(url, masked_url(url))
    if password:
        message = message.replace(password, "***")
    return message


@contextmanager
def connected(config: UnitConfig) -> Iterator[Database]:
    """An open connection to the unit's database, closed on leaving."""
    database = Database(config)
    try:
        database.open()
        yield database
    finally:
        database.close()


def source_columns(database: Database) -> list[str]:
    """The source's column names; InputError when the table or query cannot be read."""
    config = database.config
    sql = f"SELECT * FROM {database.source_sql()} WHERE 1 = 0"
    try:
        return database.column_names(sql, "describe")
    except InputError as exc:
        if config.source.table is None:
            raise
        tables = database.table_names()
        known = ", ".join(tables[:20]) + (", ..." if len(tables) > 20 else "")
        raise InputError(
            f"table '{config.source.table}' cannot be read ({exc.message.split(': ', 1)[-1]})",
            unit=config.unit, file=config.source.label,
            hint=f"set source.table to one of: {known}" if tables else
            f"check source.table in {config.config_file}") from None


def pushdown(database: Database, until: datetime | None) -> Pushdown:
    """What can be pushed into the SQL, decided from one row of the source: a time bound where
    invoice_date is stored as a date or time (not text), and both bound and countries only
    where quantity and price are numbers (the rows left behind are counted with their value)."""
    config = database.config
    mapping = config.source.columns
    date_column, quantity, price = (database.column(name) for name in (
        mapping.invoice_date, mapping.quantity, mapping.unit_price))
    sample = database.rows(
        f"SELECT {date_column}, {quantity}, {price} FROM {database.source_sql()} "
        f"WHERE {date_column} IS NOT NULL AND {quantity} IS NOT NULL AND {price} IS NOT NULL "
        "LIMIT 1", {}, "sample")
    if not sample:
        return Pushdown(None, None)  # no row has a date, quantity and price
    stored_date, stored_quantity, stored_price = sample[0]
    numbers = (int, float, Decimal)
    if not (isinstance(stored_quantity, numbers) and isinstance(stored_price, numbers)):
        return Pushdown(None, None)  # quantity or price stored as text: no sum in SQL
    countries = tuple(config.filters.countries) if config.filters.countries else None
    if until is None or not isinstance(stored_date, date):
        return Pushdown(None, countries)  # dates as text do not compare as times
    return Pushdown(stored_bound(config, until, stored_date), countries)


def stored_bound(config: UnitConfig, until: datetime, stored: date) -> datetime:
    """The period's bound (a local time of the unit) as the database's column holds times:
    with a zone where the column has one, else in the zone the times are written in."""
    local = config.local_zone
    if isinstance(stored, datetime) and stored.tzinfo is not None:
        return until.replace(tzinfo=ZoneInfo(local or config.source.timezone or "UTC"))
    written_in = config.source.timezone
    if local and written_in and local != written_in:
        return until.replace(tzinfo=ZoneInfo(local)).astimezone(ZoneInfo(written_in)).replace(
            tzinfo=None)
    return until


def predicates(database: Database, pushed: Pushdown) -> tuple[str, dict[str, Any]]:
    """The reading query's WHERE clause (or "") and its bound parameters. Rows without a date
    are read (they are counted as unreadable), like those of any country when none is set."""
    mapping = database.config.source.columns
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if pushed.until is not None:
        date_column = database.column(mapping.invoice_date)
        clauses.append(f"({date_column} < {database.marker('until')} OR {date_column} IS NULL)")
        params["until"] = pushed.until
    if pushed.countries is not None:
        markers = []
        for index, country in enumerate(pushed.countries):
            params[f"country_{index}"] = country
            markers.append(database.marker(f"country_{index}"))
        clauses.append(f"TRIM({database.column(mapping.country)}) IN ({', '.join(markers)})")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def source_counts(database: Database, pushed: Pushdown) -> SourceCounts:
    """Rows, value, first and last time of the source by country and by side of the bound."""
    mapping = database.config.source.columns
    date_column, quantity, price, country = (database.column(name) for name in (
        mapping.invoice_date, mapping.quantity, mapping.unit_price, mapping.country))
    params: dict[str, Any] = {}
    later = "0"
    if pushed.until is not None:
        later = f"CASE WHEN {date_column} >= {database.marker('until')} THEN 1 ELSE 0 END"
        params["until"] = pushed.until
    value = f"SUM({quantity} * {price})" if pushed.anything else "0"
    groups = database.rows(
        f"SELECT TRIM({country}), {later}, COUNT(*), {value}, MIN({date_column}), "
        f"MAX({date_column}) FROM {database.source_sql()} GROUP BY 1, 2", params, "count")
    unit_countries = set(pushed.countries or ())
    rows = revenue = other_rows = other_revenue = later_rows = later_revenue = 0.0
    times, read = [], []
    for name, after, count, total, first, last in groups:
        total = float(total or 0.0)
        rows += count
        revenue += total
        if pushed.countries is not None and name not in unit_countries:
            other_rows += count
            other_revenue += total
            continue
        times += [time for time in (first, last) if time is not None]
        if after:
            later_rows += count
            later_revenue += total
        else:
            read.append((str(name), int(count), round(total, 6), str(first), str(last)))
    return SourceCounts(
        int(rows), revenue, int(other_rows), other_revenue, int(later_rows), later_revenue,
        min(times) if times else None, max(times) if times else None,
        frozenset(str(name) for name, *_ in groups if name is not None),
        hashlib.sha256(repr(sorted(read)).encode()).hexdigest())


def mapped_columns(config: UnitConfig) -> list[str]:
    """The source's columns the mapping names, each once."""
    return list(dict.fromkeys(config.source.columns.model_dump().values()))


def reading_query(database: Database, pushed: Pushdown) -> tuple[str, dict[str, Any]]:
    """SELECT of the mapped columns with the pushed predicates."""
    where, params = predicates(database, pushed)
    columns = ", ".join(database.column(name) for name in mapped_columns(database.config))
    return f"SELECT {columns} FROM {database.source_sql()}{where}", params


def read_rows(database: Database, pushed: Pushdown) -> pl.DataFrame:
    """The rows the run needs, batch by batch, stacked (types unified across batches)."""
    sql, params = reading_query(database, pushed)
    frames = list(database.frames(sql, params))
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(mapped_columns(database.config), pl.String))
    return pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]


def database_digest(config: UnitConfig, until: datetime | None) -> str:
    """The fingerprint of what a run up to `until` reads: the counts of those rows by country
    (rows added after the period do not change it)."""
    with connected(config) as database:
        source_columns(database)
        return source_counts(database, pushdown(database, until)).digest
