"""The returns page: the value returned, by month of the order, segment, country, product."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.returns.analysis import ReturnsResult
from reportgen.chapters.returns.charts import returns_by_month_chart
from reportgen.display.charts import Chart
from reportgen.display.formatting import segment_label


@dataclass(frozen=True)
class ReturnRow:
    """Returns of one segment, country or product."""

    name: str
    value: float
    lines: int | None = None
    value_share: float | None = None


@dataclass(frozen=True)
class ReturnsView:
    """What the returns page shows."""

    window_months: int
    returns_total: float
    returns_invoices: int
    returns_share: float | None
    cancelled_total: float
    cancelled_invoices: int
    corrections_invoices: int
    by_segment: tuple[ReturnRow, ...]
    by_product: tuple[ReturnRow, ...]
    by_country: tuple[ReturnRow, ...]


def returns_section(result: ReturnsResult, inputs: SectionInputs) -> Section[ReturnsView]:
    """The returns tables and chart; a breakdown with a single row is left out (it would only
    repeat the total)."""
    return Section(
        ReturnsView(
            window_months=inputs.config.behaviour.window_months,
            returns_total=result.returns_value,
            returns_invoices=result.returns_invoices,
            returns_share=result.returned_share,
            cancelled_total=result.cancelled_value,
            cancelled_invoices=result.cancelled_invoices,
            corrections_invoices=result.corrections_invoices,
            by_segment=several(
                ReturnRow(segment_label(row["segment"]), row["value"],
                          value_share=row["value_share"])
                for row in result.by_segment.iter_rows(named=True)),
            by_product=tuple(
                ReturnRow(f"{row['stock_code']} {row['description']}", row["value"],
                          row["lines"])
                for row in result.by_product.iter_rows(named=True)),
            by_country=several(
                ReturnRow(row["country"], row["value"], row["lines"])
                for row in result.by_country.head(10).iter_rows(named=True)),
        ),
        charts={"returns_by_month": Chart("", "", returns_by_month_chart(result.by_month,
                                                                         inputs.symbol))},
    )


def several(rows: Iterable[ReturnRow]) -> tuple[ReturnRow, ...]:
    """The rows, or none when there is only one."""
    kept = tuple(rows)
    return kept if len(kept) > 1 else ()
