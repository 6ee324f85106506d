"""The data files published beside the report: customers.csv and the other tables as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from reportgen.chapters.base import Chapter


def customer_table(applied: Sequence[tuple[Chapter[Any], Any]]) -> pl.DataFrame:
    """One row per identified customer: the columns of the chapter at customer_position 0
    (segments), then every other chapter's customer columns in the order the chapters declare
    (`Chapter.customer_position`), joined on customer_id."""
    frames = [(chapter.customer_position, columns) for chapter, result in applied
              if (columns := chapter.customer_columns(result)) is not None]
    ordered = sorted(frames, key=lambda item: item[0])
    if not ordered or ordered[0][0] != 0:
        raise ValueError("the customer table starts from the customers of the chapter at "
                         "customer_position 0 (segments)")
    table = ordered[0][1]
    for _, columns in ordered[1:]:
        table = table.join(columns, on="customer_id", how="left")
    return table.sort("customer_id")


def money_columns() -> set[str]:
    """The customer columns the chapters declare as money (`Chapter.money_columns`)."""
    from reportgen.chapters import CHAPTERS

    return {name for chapter in CHAPTERS for name in chapter.money_columns}


def customers_csv(customers: pl.DataFrame) -> bytes:
    """customers.csv: the customer table with dates for the first and last purchase."""
    return csv_bytes(customers.with_columns(pl.col(pl.Datetime).dt.date()))


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(table: pl.DataFrame) -> bytes:
    """CSV with amounts to 2 decimals and other floats (probabilities, counts) to 4; every
    text cell that a spreadsheet would run as a formula is neutralised with a leading "'"
    (numbers are numeric columns and never touched)."""
    money = money_columns()
    floats = [name for name, dtype in table.schema.items() if dtype.is_float()]
    texts = [name for name, dtype in table.schema.items() if dtype == pl.String]
    return table.with_columns(
        *(pl.col(name).round(2 if name in money else 4) for name in floats),
        *(neutralised(name) for name in texts),
    ).write_csv().encode("utf-8")


def neutralised(column: str) -> pl.Expr:
    """The text column with "'" before each value a spreadsheet would run as a formula."""
    value = pl.col(column)
    risky = pl.any_horizontal(value.str.starts_with(start) for start in FORMULA_STARTS)
    return pl.when(risky).then(pl.lit("'") + value).otherwise(value).alias(column)
