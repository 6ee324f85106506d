"""The errors reportgen reports to its users, each as one line with its context.

    ReportgenError                 exit 1   base: unit, file, column, hint
    ├── ConfigError                exit 2   a unit's YAML, the defaults file or a REPORTGEN_ variable
    ├── InputError                 exit 3   the transaction file: missing, unreadable, wrong shape
    │   └── EncodingError          exit 3   the CSV's bytes do not decode with the declared encoding
    ├── NoDataError                exit 4   nothing to report for the requested period
    ├── OutputError                exit 5   the report could not be rendered or written
    ├── BusyError                  exit 7   another run of the same unit is in progress
    ├── DeliveryError              exit 8   the summary email could not be sent
    └── EngineError                exit 9   a Spark job failed, or cleaning's working files
"""

from __future__ import annotations

from pathlib import Path

# One definition (the models record their failures with it too), re-exported here.
from reportgen.models.messages import first_line as first_line


class ReportgenError(Exception):
    """Base of every error reportgen shows to a user as a single line."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        unit: str | None = None,
        file: Path | str | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.unit = unit
        self.file = str(file) if file is not None else None
        self.column = column
        self.hint = hint

    def one_line(self) -> str:
        """Return 'unit: file: column 'x': message; hint' with the parts that are known."""
        parts = [p for p in (self.unit, self.file) if p]
        prefix = "".join(f"{p}: " for p in parts)
        column = f"column '{self.column}': " if self.column else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{prefix}{column}{self.message}{hint}"

    def __str__(self) -> str:
        return self.one_line()


class ConfigError(ReportgenError):
    """A configuration file or environment variable is missing, unknown or invalid."""

    exit_code = 2


class InputError(ReportgenError):
    """The transaction input cannot be used as it is."""

    exit_code = 3


class EncodingError(InputError):
    """A CSV file does not decode with the encoding its unit declares."""


class NoDataError(ReportgenError):
    """The requested period has no transactions to report on."""

    exit_code = 4


class OutputError(ReportgenError):
    """The report could not be rendered or published."""

    exit_code = 5


class BusyError(ReportgenError):
    """Another run of the same unit holds its lock."""

    exit_code = 7


class DeliveryError(ReportgenError):
    """The summary email could not be delivered."""

    exit_code = 8


class EngineError(ReportgenError):
    """The engine that reads and cleans the lines failed (engine: spark: a Spark job failed;
    Polars: cleaning could not write its working files)."""

    exit_code = 9
