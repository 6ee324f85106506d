"""One report run, top to bottom: config -> load -> clean -> analyses -> context -> render -> publish."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from reportgen.analyses.behaviour import BehaviourResult, behaviour_analysis
from reportgen.analyses.clusters import ClusterResult, cluster_analysis
from reportgen.analyses.clv import CUSTOMER_COLUMNS, ClvResult, clv_analysis
from reportgen.analyses.cohorts import cohort_analysis
from reportgen.analyses.countries import country_table
from reportgen.analyses.kpis import period_kpis
from reportgen.analyses.migration import segment_migration
from reportgen.analyses.products import product_analysis
from reportgen.analyses.recommendations import evaluate_playbook
from reportgen.analyses.returns import ReturnsResult, returns_analysis
from reportgen.analyses.rfm import rfm_analysis
from reportgen.analyses.trends import monthly_trends, seasonality
from reportgen.behaviour_section import build_behaviour_section
from reportgen.clean import clean_transactions
from reportgen.config import UnitConfig
from reportgen.context import ReportContext, build_report_context
from reportgen.errors import NoDataError, OutputError
from reportgen.fact_collection import audience_table, collect_facts
from reportgen.formatting import day
from reportgen.load import read_transactions
from reportgen.manifest import run_manifest
from reportgen.period import Period
from reportgen.playbook import load_playbook
from reportgen.publish import publish_folder
from reportgen.render import render_email_parts, render_html, render_pdf

StageCallback = Callable[[str], None]
MIN_CLUSTER_CUSTOMERS = 50  # fewer customers than this cannot support a k search


@dataclass
class StageTimer:
    """Wall time per pipeline stage, reported to an optional callback as each stage starts."""

    on_stage: StageCallback | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the enclosed block under `name`."""
        if self.on_stage:
            self.on_stage(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)


@dataclass(frozen=True)
class RunResult:
    """Where a run published its report and how long each stage took."""

    folder: Path
    files: tuple[Path, ...]
    pdf_pages: int
    seconds: dict[str, float]
    incomplete: tuple[str, ...] = ()  # sections the report had to leave out, and why


@dataclass(frozen=True)
class ReportBuild:
    """Everything a run computed, before rendering: the report's context and the data exports."""

    context: ReportContext
    exports: dict[str, bytes]
    manifest_inputs: dict[str, Any]


def compute_report(config: UnitConfig, period: Period, timer: StageTimer) -> ReportBuild:
    """Load, clean and analyse the unit's data for the period; return context and exports."""
    playbook = load_playbook(config)  # configuration errors first, before reading any data
    with timer.stage("load"):
        source = read_transactions(config)
    with timer.stage("clean"):
        clean = clean_transactions(source, period.analysis_date, config.cleaning)
    with timer.stage("analyses"):
        kpis = period_kpis(clean.purchases, clean.returns, period)
        if not kpis.has_orders:
            raise NoDataError(
                f"no purchases in {period} (the data runs from "
                f"{day(source.transactions['invoice_date'].min())} to "  # type: ignore[arg-type]
                f"{day(source.transactions['invoice_date'].max())})",  # type: ignore[arg-type]
                unit=config.unit, file=config.source.path,
                hint="choose a period inside the data's date range",
            )
        previous = period_kpis(clean.purchases, clean.returns, period.shift(-1))
        year_ago = period_kpis(clean.purchases, clean.returns, period.shift(-12))
        trend = monthly_trends(clean.purchases, period)
        rfm = rfm_analysis(clean.purchases, clean.returns, period.analysis_date, config.rfm)
        previous_rfm = rfm_analysis(clean.purchases, clean.returns, period.start, config.rfm)
        migration = segment_migration(rfm.customers, previous_rfm.customers)
    with timer.stage("behaviour"):
        window_start = period.shift(-(config.behaviour.window_months - 1)).start
        in_window = pl.col("invoice_date").is_between(window_start, period.analysis_date,
                                                      closed="left")
        behaviour = behaviour_analysis(clean.purchases, window_start, period.analysis_date,
                                       config.behaviour)
        ordered = clean.ordered_lines
        returns = returns_analysis(ordered, clean.returns, rfm.customers, window_start,
                                   period.analysis_date, config.behaviour.top_products)
        products = product_analysis(clean.purchases.filter(in_window),
                                    ordered.filter(in_window), config.behaviour)
        behaviour_section = build_behaviour_section(
            config, window_start, trend,
            cohort_analysis(clean.purchases, period.analysis_date, config.cohorts),
            seasonality(clean.purchases, period), behaviour, products, returns,
            country_table(clean.purchases, clean.returns, window_start, period.analysis_date),
        )
    clv = None
    if config.clv.enabled:
        with timer.stage("clv"):
            clv = clv_analysis(clean.purchases, rfm.customers, period.last_day, config.clv)
    clusters = None
    if config.clusters.enabled and rfm.customers.height >= MIN_CLUSTER_CUSTOMERS:
        with timer.stage("clusters"):
            clusters = cluster_analysis(cluster_inputs(rfm.customers, clv), config.clusters)
    with timer.stage("recommendations"):
        audience = audience_table(rfm.customers, clv, returns.customer_return_rates,
                                  clean.purchases, window_start, period.analysis_date)
        segment_names = list(dict.fromkeys(rule.name for rule in config.rfm.segments))
        facts = collect_facts(kpis, previous, rfm.customers, previous_rfm.customers,
                              segment_names, migration, clv, behaviour_section, products,
                              audience)
        recommendations, skipped = evaluate_playbook(playbook, facts, audience,
                                                     set(segment_names), config.currency)
    with timer.stage("context"):
        context = build_report_context(
            config, period, source, clean, kpis, previous, year_ago, trend, rfm, clv,
            behaviour_section, clusters, migration, recommendations,
        )
    exports = {"customers.csv": customers_csv(rfm.customers, clv, behaviour, returns, clusters)}
    if clv is not None and clv.available:
        exports["high_value_at_risk.csv"] = csv_bytes(clv.high_value_at_risk)
    exports["segment_moves.csv"] = csv_bytes(migration.movers)
    for recommendation in recommendations:
        exports[f"actions/{recommendation.id}.csv"] = csv_bytes(recommendation.audience)
    return ReportBuild(context, exports, {
        "source": source, "clean": clean, "kpis": kpis, "clv": clv, "clusters": clusters,
        "recommendations": recommendations, "skipped": skipped, "facts": facts,
    })


def run_report(
    config: UnitConfig,
    period: Period,
    output_dir: Path,
    on_stage: StageCallback | None = None,
    ledger: dict[str, Any] | None = None,
) -> RunResult:
    """Compute and publish the unit's report for the period into output_dir/<unit>/<period>/.

    `ledger`, when given, is published as ledger.json with the outputs' hashes added.
    """
    timer = StageTimer(on_stage)
    build = compute_report(config, period, timer)
    with timer.stage("render"):
        try:
            html = render_html(build.context)
            pdf, pages = render_pdf(html)
            email_parts = render_email_parts(build.context)
        except Exception as exc:
            raise OutputError(
                f"could not render the report: {exc}", unit=config.unit,
                hint="run with --debug for details",
            ) from exc
    with timer.stage("publish"):
        folder = output_dir / config.unit / str(period)
        exports = dict(build.exports)
        outputs = {
            "report.pdf": pdf,
            "report.html": html.encode("utf-8"),
            "customers.csv": exports.pop("customers.csv"),
        }
        outputs.update(exports)
        outputs.update(email_parts)
        inputs = build.manifest_inputs
        manifest = run_manifest(
            config, period, inputs["source"], inputs["clean"], inputs["kpis"], inputs["clv"],
            inputs["clusters"], outputs, pages, timer.seconds, inputs["recommendations"],
            inputs["skipped"], inputs["facts"],
        )
        published = {**outputs, "manifest.json": manifest}
        if ledger is not None:
            ledger = {**ledger, "outputs": {
                name: hashlib.sha256(data).hexdigest() for name, data in published.items()}}
            published["ledger.json"] = (json.dumps(ledger, indent=2) + "\n").encode()
        try:
            publish_folder(folder, published)
        except OSError as exc:
            raise OutputError(
                f"cannot write the report: {exc.strerror}", unit=config.unit, file=folder,
                hint="check that the output folder is writable and the disk has space",
            ) from None
    clv = build.context.clv
    unavailable = (
        (f"CLV not available: {clv.unavailable_reason}",) if clv.enabled and not clv.available
        else ()
    )
    return RunResult(
        folder=folder,
        files=tuple(folder / name for name in published),
        pdf_pages=pages,
        seconds=timer.seconds,
        incomplete=unavailable,
    )


def cluster_inputs(rfm_customers: pl.DataFrame, clv: ClvResult | None) -> pl.DataFrame:
    """RFM values and segment per customer, with CLV when it is available."""
    table = rfm_customers.select("customer_id", "recency_days", "frequency", "monetary",
                                 "segment")
    if clv is not None and clv.available:
        table = table.join(clv.customers.select("customer_id", "clv"), on="customer_id",
                           how="left", maintain_order="left")
    return table


def customers_csv(
    customers: pl.DataFrame, clv: ClvResult | None, behaviour: BehaviourResult,
    returns: ReturnsResult, clusters: ClusterResult | None,
) -> bytes:
    """The customer table: RFM, habits, return rate, and CLV and cluster when available."""
    table = customers.select(
        "customer_id", "recency_days", "frequency", "monetary",
        "r_score", "f_score", "m_score", "segment",
        pl.col("first_purchase").dt.date(), pl.col("last_purchase").dt.date(),
    ).join(behaviour.customer_habits, on="customer_id", how="left").join(
        returns.customer_return_rates, on="customer_id", how="left"
    ).with_columns(pl.col("return_rate").fill_null(0.0))
    if clv is not None and clv.available:
        table = table.join(
            clv.customers.select("customer_id", *CUSTOMER_COLUMNS), on="customer_id", how="left"
        )
    if clusters is not None:
        table = table.join(clusters.customers, on="customer_id", how="left")
    return csv_bytes(table.sort("customer_id"))


MONEY_COLUMNS = ("monetary", "clv", "expected_avg_value")


def csv_bytes(table: pl.DataFrame) -> bytes:
    """CSV with amounts to 2 decimals and other floats (probabilities, counts) to 4."""
    floats = [name for name, dtype in table.schema.items() if dtype.is_float()]
    return table.with_columns(
        pl.col(name).round(2 if name in MONEY_COLUMNS else 4) for name in floats
    ).write_csv().encode("utf-8")
