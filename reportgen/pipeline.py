"""One report run, top to bottom, like the report's table of contents:

config -> inputs (load, clean) -> every chapter's analysis -> facts -> playbook
       -> sections (report context) -> render -> output files -> publish
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.chapters import CHAPTERS, fact_specs
from reportgen.chapters.base import AnalysisInputs, Chapter, Results
from reportgen.chapters.compute import compute_chapters, import_libraries_ahead
from reportgen.config import UnitConfig
from reportgen.errors import OutputError
from reportgen.inputs.clean import CleanTransactions, clean_transactions
from reportgen.inputs.load import InputReading, read_transactions
from reportgen.outputs.exports import csv_bytes, customer_table, customers_csv
from reportgen.outputs.manifest import run_manifest
from reportgen.outputs.previous import PublishedHistory
from reportgen.outputs.publish import publish_folder
from reportgen.period import Period
from reportgen.playbook.audience import audience_table
from reportgen.playbook.entries import load_playbook
from reportgen.playbook.evaluate import evaluate_playbook
from reportgen.playbook.no_action import NO_ACTION_FILE
from reportgen.report.context import ReportContext, build_report_context
from reportgen.report.render import Renderer

StageCallback = Callable[[str], None]


@dataclass
class StageTimer:
    """Wall time per pipeline stage, reported to an optional callback as each stage starts."""

    on_stage: StageCallback | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # the chapters' analyses overlap
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        """Wall time since the timer was made: less than the stages' sum, which counts the
        analyses that ran at the same time (`compute_chapters`) each in full."""
        return round(time.perf_counter() - self.started, 3)

    @contextmanager
    def stage(self, name: str, size: str = "") -> Iterator[None]:
        """Time the enclosed block under `name`; `size` (e.g. "541,909 lines") goes with the
        name to the callback, so a long stage says how much it is working through."""
        if self.on_stage:
            self.on_stage(f"{name} ({size})" if size else name)
        self.seconds.setdefault(name, 0.0)  # listed in the order the stages start
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)


@dataclass(frozen=True)
class Report:
    """A computed and rendered report: its files by name, before publishing."""

    context: ReportContext
    files: dict[str, bytes]
    pdf_pages: int
    seconds: dict[str, float]
    incomplete: tuple[str, ...]  # what the report had to leave out, and why
    elapsed: float  # wall time of the whole build, in seconds


@dataclass(frozen=True)
class RunResult:
    """Where a run published its report and how long each stage took."""

    folder: Path
    files: tuple[Path, ...]
    pdf_pages: int
    seconds: dict[str, float]
    incomplete: tuple[str, ...] = ()
    elapsed: float = 0.0  # wall time of the report's build, in seconds


def read_and_clean(config: UnitConfig, period: Period, timer: StageTimer
                   ) -> tuple[InputReading, CleanTransactions]:
    """Read the unit's transactions and clean them up to the period's analysis date, on the
    unit's engine: Polars here, or Spark on its cluster (only the reduced tables come back)."""
    if config.engine == "spark":
        from reportgen.inputs.spark import clean_with_spark

        with timer.stage("spark", config.spark.master):
            return clean_with_spark(config, period.analysis_date)
    with timer.stage("load"):
        source = read_transactions(config, period.analysis_date)
    with timer.stage("clean", f"{source.transactions.height:,} lines"):
        clean = clean_transactions(source, period.analysis_date, config.cleaning, config.unit)
    return source.without_lines(), clean  # the chapters read the clean tables, not the lines


def build_report(
    config: UnitConfig,
    period: Period,
    *,
    chapters: Sequence[Chapter[Any]] = CHAPTERS,
    renderer: Renderer | None = None,
    on_stage: StageCallback | None = None,
    history: PublishedHistory | None = None,
) -> Report:
    """Compute every chapter of the unit's report for the period and render its files.

    `history` is what the unit's earlier published reports hold: last month's action lists
    (actions that continue are marked so) and every earlier list with its campaign date (the
    measurement chapter measures them; measured responses replace assumed ones)."""
    history = history or PublishedHistory()
    timer = StageTimer(on_stage)
    specs = fact_specs(chapters)
    playbook_entries = load_playbook(config, specs)  # configuration errors before reading data
    renderer = renderer or Renderer()
    # Rendering's start-up beside the analyses, which leave a core free now and then.
    warming = threading.Thread(target=renderer.warm_up, name="render-warm-up", daemon=True)
    warming.start()
    import_libraries_ahead()
    source, clean = read_and_clean(config, period, timer)
    results = Results()
    inputs = AnalysisInputs(config, period, source, clean, results, history.earlier)
    size = (f"{clean.purchase_lines:,} purchase lines, "
            f"{clean.orders['customer_id'].n_unique():,} customers")
    compute_chapters(chapters, inputs, timer.stage, size)
    applied = [(chapter, result) for chapter in chapters
               if (result := results.get(chapter.key, object)) is not None]
    with timer.stage("playbook"):
        facts = {name: value for chapter, result in applied
                 for name, value in chapter.facts(result).items()}
        customers = customer_table(applied)
        audience = audience_table(customers, clean.orders, inputs.window_start,
                                  period.start, period.analysis_date,
                                  reorder_first=facts.get("business.profile") == "wholesale")
        measured = next((responses for chapter, result in applied
                         if (responses := chapter.measured_responses(result)) is not None), None)
        playbook = evaluate_playbook(
            playbook_entries, facts, audience, specs, config, history.previous_actions,
            period=str(period), measured=measured)
    with timer.stage("sections"):
        context = build_report_context(config, period, chapters, results, playbook, clean)
    warming.join()
    try:
        with timer.stage("charts", f"{len(context.charts)} charts"):
            charts = renderer.chart_svgs(context)
        with timer.stage("html"):
            html = renderer.html(context, charts)
            board = renderer.html(context, charts, board=True) \
                if config.report.pdf == "board" else html
        with timer.stage("pdf"):
            pdf, pages = renderer.pdf(board)
        with timer.stage("email"):
            email = renderer.email(context)
    except Exception as exc:
        raise OutputError(f"could not render the report: {exc}", unit=config.unit,
                          hint="run with --debug for details") from exc
    with timer.stage("outputs"):
        files = {"report.pdf": pdf, "report.html": html.encode("utf-8"),
                 "customers.csv": customers_csv(customers)}
        for chapter, result in applied:
            files.update({name: csv_bytes(table)
                          for name, table in chapter.exports(result).items()})
        files.update(email)
        files.update({f"actions/{key}.csv": csv_bytes(audience)
                      for key, audience in playbook.audiences.items()})
        if playbook.no_action is not None:
            files[NO_ACTION_FILE] = csv_bytes(playbook.no_action)
        chapter_entries = {chapter.key: None for chapter in chapters}
        for chapter, result in applied:
            del chapter_entries[chapter.key]
            chapter_entries.update(chapter.manifest(result))
        files["manifest.json"] = run_manifest(config, period, source, clean, chapter_entries,
                                              playbook, files, pages, timer.seconds)
    incomplete = tuple(note for chapter, result in applied
                       if (note := chapter.missing(result)) is not None) + tuple(
        f"chart '{key}' could not be drawn ({reason}); a notice stands in its place"
        for key, reason in renderer.failed_charts.items())
    return Report(context, files, pages, timer.seconds, incomplete, timer.elapsed)


def publish_report(config: UnitConfig, folder: Path, files: dict[str, bytes]) -> None:
    """Publish the files as the folder, all at once; OutputError when it cannot be written."""
    try:
        publish_folder(folder, files)
    except OSError as exc:
        raise OutputError(
            f"cannot write the report: {exc.strerror}", unit=config.unit, file=folder,
            hint="check that the output folder is writable and the disk has space",
        ) from None
