"""Check a unit's configuration and input without computing a report; collect every problem."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import polars as pl

from reportgen.chapters.products.analysis import main_descriptions
from reportgen.config import ConfigErrors, UnitConfig, load_unit_config
from reportgen.display.formatting import day, money
from reportgen.errors import ConfigError, InputError, ReportgenError
from reportgen.inputs.clean import CleanTransactions, clean_transactions, nothing_left
from reportgen.inputs.columns import (
    column_failures,
    missing_column_problems,
    typed_frame,
    unreadable_column_problems,
)
from reportgen.inputs.database import connected, source_columns
from reportgen.inputs.files import check_fits_in_memory, input_paths, read_raw_file
from reportgen.inputs.load import TransactionInput, filter_countries, read_transactions


@dataclass
class ValidationReport:
    """Problems (each one line) and facts about the input worth knowing."""

    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    config_problems: int = 0  # of the problems, those in the configuration (the rest: inputs)

    @property
    def exit_code(self) -> int:
        """0 when valid; 2 (ConfigError) for a configuration problem, else 3 (InputError)."""
        if not self.problems:
            return 0
        return ConfigError.exit_code if self.config_problems else InputError.exit_code


def validate_unit(
    config_path: Path, checks: Sequence[Callable[[UnitConfig], None]] = ()
) -> ValidationReport:
    """Validate the unit's YAML, then `checks` (ConfigError when one fails) and, if the
    configuration is usable, every input file it names."""
    report = ValidationReport()
    try:
        config = load_unit_config(config_path)
    except ConfigErrors as exc:
        report.problems.extend(p.one_line() for p in exc.problems)
        report.config_problems += len(exc.problems)
        return report
    except ConfigError as exc:
        report.problems.append(exc.one_line())
        report.config_problems += 1
        return report
    for check in checks:
        try:
            check(config)
        except ConfigError as exc:
            report.problems.append(exc.one_line())
            report.config_problems += 1
    if config.engine == "spark":
        return validated_on_spark(config, report)
    if config.source.url is not None:
        return validated_database(config, report)
    try:
        paths = input_paths(config)
        check_fits_in_memory(config)
    except InputError as exc:
        report.problems.append(exc.one_line())
        return report
    typed_frames = []
    for path in paths:
        try:
            raw = read_raw_file(config, path)
        except InputError as exc:
            report.problems.append(exc.one_line())
            continue
        missing = missing_column_problems(config, path, raw.columns)
        report.problems.extend(p.one_line() for p in missing)
        if missing:
            continue
        try:
            typed, reading = typed_frame(config, path, raw)
        except InputError as exc:
            report.problems.append(exc.one_line())
            continue
        if reading is not None:
            report.facts.append(f"{path}: dates read {reading.order} ({reading.date_format}); "
                                f"the other order cannot read e.g. '{reading.example}'")
        unreadable = unreadable_column_problems(config, path, column_failures(typed), typed.height,
                                                typed.filter(pl.col("malformed")))
        report.problems.extend(p.one_line() for p in unreadable)
        if unreadable:
            continue
        if typed.is_empty():
            report.problems.append(
                InputError("the file has a header but no rows", unit=config.unit, file=path)
                .one_line()
            )
            continue
        bad = int(typed["malformed"].sum())
        report.facts.append(f"{path}: {typed.height:,} rows" + (
            f", {bad:,} with unreadable values (they will be dropped and counted)" if bad else ""
        ))
        typed_frames.append(typed.filter(~pl.col("malformed")))
    if report.problems or not typed_frames:
        return report
    transactions = pl.concat([f.select(pl.exclude("^raw_.*$")) for f in typed_frames])
    return with_cleaning_facts(config, transactions, report)


def validated_database(config: UnitConfig, report: ValidationReport) -> ValidationReport:
    """A database source: connect, check every mapped column against the table's (or query's)
    columns, read it as a run would, then the cleaning checks every source gets."""
    label = config.source.label
    try:
        with connected(config) as database:
            columns = source_columns(database)
        missing = missing_column_problems(config, label, columns)
        if missing:
            report.problems.extend(p.one_line() for p in missing)
            return report
        reading = read_transactions(config)
    except InputError as exc:
        report.problems.append(exc.one_line())
        return report
    report.facts.append(f"{label}: {reading.rows_read:,} rows" + (
        f", {reading.malformed_rows:,} with unreadable values (they will be dropped and "
        "counted)" if reading.malformed_rows else "") + (
        f", {reading.rows_other_countries:,} of other countries (counted in the database, "
        "not read)" if reading.rows_other_countries else ""))
    report.facts.extend(f"{label}: {c.rule}" for c in reading.conversions)
    if reading.transactions.is_empty():
        report.problems.append(InputError(
            "no row of the unit's countries can be read", unit=config.unit, file=label,
            hint="check source.columns and filters.countries").one_line())
        return report
    return with_cleaning_facts(config, reading.transactions, report)


def with_cleaning_facts(config: UnitConfig, transactions: pl.DataFrame,
                        report: ValidationReport) -> ValidationReport:
    """The unit's lines (typed, any source) through the country filter and the cleaning rules:
    what would be left, and the facts worth checking (suspected non-products, volume goods)."""
    try:
        transactions = filter_countries(config, transactions)
    except InputError as exc:
        report.problems.append(exc.one_line())
        return report
    dates = transactions["invoice_date"]
    clean = clean_transactions(
        TransactionInput.of(transactions),
        dates.max() + timedelta(days=1), config.cleaning,  # type: ignore[operator,arg-type]
        config.unit)
    emptied = nothing_left(clean)
    if emptied:
        report.problems.append(InputError(
            emptied, unit=config.unit, file=config.source.label,
            hint="check the column mapping (source.columns) and the cleaning rules").one_line())
        return report
    report.facts.append(
        f"for the unit: rows {transactions.height:,}; "
        f"invoices {transactions['invoice'].n_unique():,}; "
        f"customers {transactions['customer_id'].drop_nulls().n_unique():,}; "
        f"countries {transactions['country'].drop_nulls().n_unique():,}; "
        f"dates {day(dates.min())} to {day(dates.max())}"  # type: ignore[arg-type]
    )
    report.facts.extend(
        f"kept as a product, but looks like a non-product: {code} '{name}' ({lines:,} lines, "
        f"{money(value, config.currency)}, {why}); if it is not a product, add it to "
        "cleaning.non_product_codes"
        for code, name, lines, value, why in suspected_non_products(clean))
    report.facts.extend(
        f"sold by volume or weight (left out of unit rankings and suggestions): {code} "
        f"(typical line {quantity:,.0f} units)"
        for code, quantity in clean.volume_products.select("stock_code", "median_quantity")
        .rows())
    return report


# Words that name services, adjustments and tenders rather than goods; a kept product whose
# description has one is listed by `validate` for the user to check.
NON_PRODUCT_WORDS = re.compile(
    r"(?i)\b(postage|shipping|delivery|carriage|freight|fees?|charges?|commission|adjust\w*|"
    r"manual|discount|rebate|refund|credit|deposit|tests?|samples?|vouchers?|coupons?|"
    r"gift ?cards?|promo\w*|tips?|surcharge|service)\b")


def suspected_non_products(clean: CleanTransactions, limit: int = 10
                           ) -> list[tuple[str, str, int, float, str]]:
    """Products kept by the cleaning rules that look like non-products: a description with a
    word of NON_PRODUCT_WORDS, or a code with no digit where most codes have one. (code,
    description, lines, value, why), most lines first."""
    products = clean.product_months.filter(~pl.col("cancelled")).group_by("stock_code").agg(
        pl.col("lines").sum(), pl.col("revenue").sum())
    named = products.join(main_descriptions(clean.descriptions), on="stock_code", how="left")
    with_digit = pl.col("stock_code").str.contains(r"\d")
    mostly_digits = products.is_empty() or float(products.select(with_digit.mean()).item()) > 0.8
    rows = []
    for code, lines, value, name in named.select(
            "stock_code", "lines", "revenue", "description").sort(
            ["lines", "stock_code"], descending=[True, False]).rows():
        words = NON_PRODUCT_WORDS.search(name or "")
        if words:
            rows.append((code, name or "", lines, value, f"its description says '{words[0]}'"))
        elif mostly_digits and not re.search(r"\d", code):
            rows.append((code, name or "", lines, value, "a code without digits among numbered "
                         "products"))
    return rows[:limit]


def validated_on_spark(config: UnitConfig, report: ValidationReport) -> ValidationReport:
    """engine: spark: Spark reads the source as a run would (mapping, types, unreadable rows,
    countries) and the report says what it found; the cleaning rules are left to the run."""
    from reportgen.inputs.spark import read_on_spark, spark_failures, unit_session

    try:
        with spark_failures(config):
            reading, _ = read_on_spark(config, unit_session(config))
    except ReportgenError as exc:
        report.problems.append(exc.one_line())
        return report
    report.facts.append(
        f"{config.source.first_path}: {reading.rows_read:,} rows read by Spark "
        f"({config.spark.master})" + (f", {reading.malformed_rows:,} with unreadable values "
                                      "(they will be dropped and counted)"
                                      if reading.malformed_rows else "")
        + (f", {reading.rows_other_countries:,} of other countries"
           if reading.rows_other_countries else ""))
    return report
