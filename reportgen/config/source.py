"""Where a unit's transactions come from: files or URLs, their format, and the column mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from reportgen.config.base import StrictModel, ZoneName, is_url, masked_url, url_scheme

CANONICAL_COLUMNS = (
    "invoice",
    "stock_code",
    "description",
    "quantity",
    "invoice_date",
    "unit_price",
    "customer_id",
    "country",
)


# Databases a source.url may name (a scheme may add SQLAlchemy's +driver, e.g. postgresql+psycopg).
DATABASE_SCHEMES = ("postgresql", "postgres", "mysql", "mariadb", "sqlite", "duckdb")
FILE_DATABASES = ("sqlite", "duckdb")  # a file on this machine: sqlite:///path, duckdb:///path


class ColumnMap(StrictModel):
    """Canonical column name -> the column's name in the input file (Online Retail names by default)."""

    invoice: str = Field("InvoiceNo", description="Invoice number; a leading 'C' marks a cancellation.")
    stock_code: str = Field("StockCode", description="Product code.")
    description: str = Field("Description", description="Product name.")
    quantity: str = Field("Quantity", description="Units on the line; negative on cancellations.")
    invoice_date: str = Field("InvoiceDate", description="Timestamp of the invoice.")
    unit_price: str = Field("UnitPrice", description="Price per unit in the unit's currency.")
    customer_id: str = Field("CustomerID", description="Customer identifier; may be empty.")
    country: str = Field("Country", description="Customer's country.")


class SourceFile(StrictModel):
    """One more input file (another year, another export): its path and, where they differ
    from the source's, how to read it."""

    path: Path = Field(description="File or glob; a relative path resolves from the YAML file.")
    format: Literal["auto", "csv", "xlsx", "parquet"] | None = Field(
        None, description="File format; default the source's.")
    encoding: str | None = Field(None, description="Text encoding; default the source's.")
    delimiter: str | None = Field(None, min_length=1, max_length=1,
                                  description="CSV field separator; default the source's.")
    decimal_comma: bool | None = Field(None, description="Decimal comma in numbers; default "
                                       "the source's.")
    timezone: ZoneName | None = Field(None, description="Time zone of the file's times; default "
                                      "the source's.")
    sheet: str | None = Field(None, description="XLSX sheet name; default the source's.")
    date_format: str | None = Field(None, description="invoice_date format; default the source's.")
    columns: ColumnMap | None = Field(None, description="Column mapping; default the source's.")


class SourceConfig(StrictModel):
    """Where a unit's transactions come from and how to read them."""

    path: Path | str | None = Field(
        None, description="File or glob of files; a relative path resolves from the YAML file's "
        "folder. Optional when `files` lists the files. With engine: spark also a folder or a "
        "URL Spark reads (hdfs://..., s3a://...)."
    )
    files: list[SourceFile] = Field(
        default_factory=list,
        description="More files, read after `path` and stacked before cleaning (other years, "
        "other exports); each may override format, encoding, delimiter, sheet, date_format "
        "and columns. A line found in two files is kept once.",
    )
    format: Literal["auto", "csv", "xlsx", "parquet"] = Field(
        "auto", description="File format; auto picks it from the file extension."
    )
    encoding: str = Field("utf-8", description="Text encoding of CSV files (e.g. utf-8, latin-1).")
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field separator.")
    decimal_comma: bool = Field(
        False, description="CSV numbers are written with a decimal comma and may group "
        "thousands with dots or spaces (1.234,56), as many European exports do.")
    sheet: str | None = Field(None, description="XLSX sheet name; default the first sheet.")
    date_format: str | None = Field(
        None,
        description="strftime format of invoice_date in text files, e.g. '%m/%d/%Y %H:%M'; "
        "default: ISO 8601 or the Online Retail export's M/D/YYYY H:MM.",
    )
    url: str | None = Field(
        None, description="A database to read the transactions from instead of files: "
        "postgresql://user@host:5432/db, mysql://user@host/db, duckdb:///path/shop.duckdb or "
        "sqlite:///path/shop.db (a relative path resolves from the YAML file's folder). The "
        "password may be written in the URL, set with REPORTGEN_SOURCE__URL, or left to the "
        "driver (PGPASSWORD, ~/.pgpass); reportgen shows the URL with the password masked.")
    table: str | None = Field(
        None, min_length=1, description="With url: the table or view holding one row per "
        "order line (schema.table where needed).")
    query: str | None = Field(
        None, min_length=1, description="With url, instead of table: a SELECT whose rows are "
        "the order lines; reportgen reads it as a subquery and adds the period's bound and "
        "the country filter to it.")
    columns: ColumnMap = Field(default_factory=ColumnMap, description="Column mapping.")
    timezone: ZoneName | None = Field(
        None, description="The time zone the export's times are written in (an IANA name such "
        "as UTC or America/Chicago); they are converted to report.timezone. Default: the times "
        "are the unit's local times. Times stored with a zone of their own use it.")

    @field_validator("path", mode="before")
    @classmethod
    def _path_or_url(cls, value: Any) -> Any:
        """A URL (scheme://...) stays text: a path would fold its double slash."""
        if value is None or (isinstance(value, str) and is_url(value)):
            return value
        return Path(value)

    @field_validator("url")
    @classmethod
    def _database_url(cls, url: str | None) -> str | None:
        """A URL of a known database; the message never repeats the URL (it may hold a
        password)."""
        if url is None:
            return None
        if url_scheme(url) not in DATABASE_SCHEMES:
            raise ValueError("a database URL starts with " + ", ".join(
                f"{name}://" for name in DATABASE_SCHEMES))
        return url

    @field_serializer("url")
    def _url_without_password(self, url: str | None) -> str | None:
        """Dumped (manifest, ledger hash) with the password masked."""
        return None if url is None else masked_url(url)

    @model_validator(mode="after")
    def _files_or_database(self) -> SourceConfig:
        if self.url is not None:
            if self.path is not None or self.files:
                raise ValueError("give source.path (files) or source.url (a database), not both")
            if (self.table is None) == (self.query is None):
                raise ValueError("with source.url, give source.table or source.query (one of "
                                 "them)")
            return self
        if self.table is not None or self.query is not None:
            raise ValueError("source.table and source.query go with source.url (a database)")
        if self.path is None and not self.files:
            raise ValueError("give source.path, or list the files under source.files, or "
                             "source.url for a database")
        return self

    @property
    def database(self) -> str | None:
        """The database's kind (postgresql, mysql, sqlite, duckdb) when the source is one."""
        if self.url is None:
            return None
        scheme = url_scheme(self.url)
        return {"postgres": "postgresql", "mariadb": "mysql"}.get(scheme, scheme)

    @property
    def database_file(self) -> str | None:
        """The file of a sqlite:/// or duckdb:/// URL (":memory:" for none), else None."""
        if self.database not in FILE_DATABASES or self.url is None:
            return None
        return self.url.split(":///", 1)[-1]

    @property
    def label(self) -> str:
        """How messages name the whole source: the first file, or the database (password
        masked) and its table or query."""
        if self.url is None:
            return str(self.first_path)
        return f"{masked_url(self.url)}, " + (f"table {self.table}" if self.table else "query")

    def readers(self) -> list[SourceConfig]:
        """One source per file entry (path first, then files), each with its own settings."""
        plain = self.model_copy(update={"files": []})
        entries = [plain] if self.path is not None else []
        for file in self.files:
            overrides = {key: value for key, value in file if value is not None}
            entries.append(plain.model_copy(update=overrides))
        return entries

    @property
    def first_path(self) -> Path:
        """The first file entry's path: the one messages name for the whole source."""
        return self.readers()[0].path  # type: ignore[return-value]
