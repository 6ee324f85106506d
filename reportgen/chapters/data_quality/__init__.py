"""Data quality: what was read, and every cleaning rule with the rows and revenue it touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.config import is_url
from reportgen.inputs.clean import CleaningLogEntry


@dataclass(frozen=True)
class SuspectedEntryError:
    """An outsized purchase line cancelled in full soon after (reason "cancelled"), or a line
    whose unit price is far above its product's usual price (reason "price"; see
    EntryErrorConfig)."""

    invoice: str
    cancellation_invoice: str | None
    invoice_date: datetime
    customer_id: str | None
    stock_code: str
    description: str
    quantity: int
    unit_price: float
    value: float
    reason: str


@dataclass(frozen=True)
class LargeLine:
    """An order line far larger than its product's usual line, not cancelled: kept."""

    invoice: str
    invoice_date: datetime
    customer_id: str | None
    stock_code: str
    description: str
    quantity: int
    product_median: float
    revenue: float


LARGE_LINES_SHOWN = 10


@dataclass(frozen=True)
class DataQuality:
    """What was read and what cleaning did with it."""

    input_files: tuple[str, ...]
    rows_in: int
    revenue_in: float  # quantity x unit price over every row read
    purchase_lines: int
    return_lines: int
    revenue_kept: float  # of the purchase and return lines used (returns negative)
    cleaning_log: tuple[CleaningLogEntry, ...]
    unreadable_examples: tuple[str, ...]  # file, row, column and value of the first few
    entry_errors: tuple[SuspectedEntryError, ...]
    large_lines: tuple[LargeLine, ...]  # the largest unusually large lines kept, to check
    large_lines_total: int


FIELDS = ("invoice", "cancellation_invoice", "invoice_date", "customer_id", "stock_code",
          "description", "quantity", "unit_price", "value", "reason")


class DataQualityChapter(Chapter[DataQuality], key="data_quality", title="Data quality"):
    """Data quality."""

    has_detail = True  # suspected entry errors and large lines, row by row

    placement = "appendix"

    def compute(self, inputs: AnalysisInputs) -> DataQuality:
        """The input's files and counts, the cleaning log, where the unreadable values are."""
        source, clean = inputs.source, inputs.clean
        return DataQuality(
            input_files=tuple(f.path if is_url(f.path) else Path(f.path).name
                              for f in source.files),
            rows_in=clean.rows_in,
            revenue_in=clean.revenue_in,
            purchase_lines=clean.purchase_lines,
            return_lines=clean.return_lines,
            revenue_kept=clean.revenue_out,
            cleaning_log=clean.log,
            unreadable_examples=tuple(
                f"{Path(m.file).name}{'' if m.row is None else f', row {m.row:,}'}: "
                f"{m.column} '{m.value}'"
                for m in source.malformed_examples),
            entry_errors=tuple(
                SuspectedEntryError(**{name: row[name] for name in FIELDS})
                for row in clean.entry_errors.iter_rows(named=True)),
            large_lines=tuple(
                LargeLine(**{name: row[name] for name in LargeLine.__dataclass_fields__})
                for row in clean.large_lines.head(LARGE_LINES_SHOWN).iter_rows(named=True)),
            large_lines_total=clean.large_lines.height,
        )

    def section(self, result: DataQuality, inputs: SectionInputs) -> Section[DataQuality]:
        """The data-quality page shows the result as it is."""
        return Section(result)
