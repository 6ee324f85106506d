"""Running a unit as a dependable job: one run at a time, and nothing redone without cause.

A run whose fingerprint matches a complete run ledger, with every output present and
unchanged, does nothing; a changed input or configuration, or --force, recomputes. The report
and its ledger are published together, atomically.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reportgen.config import UnitConfig
from reportgen.errors import BusyError, OutputError, ReportgenError
from reportgen.jobs.ledger import (
    LEDGER,
    completed_ledger,
    fingerprint,
    is_up_to_date,
    last_complete_period,
    read_ledger,
    record_failure,
)
from reportgen.paths import CAMPAIGN_LOG
from reportgen.period import Period

if TYPE_CHECKING:
    from reportgen.pipeline import RunResult, StageCallback
    from reportgen.report.render import Renderer


@dataclass(frozen=True)
class UnitOutcome:
    """What running one unit for one period did."""

    unit: str
    period: str
    status: Literal["published", "up to date"]
    folder: Path
    result: RunResult | None


@contextmanager
def unit_lock(unit_folder: Path, unit: str) -> Iterator[None]:
    """Hold the unit's lock for the block; a second holder gets BusyError at once, an output
    folder that cannot be written OutputError."""
    try:
        unit_folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(unit_folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(
            f"cannot write to the output folder: {exc.strerror}", unit=unit, file=unit_folder,
            hint="choose a writable --output folder or fix its permissions",
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(
                "another run of this unit is already running", unit=unit, file=unit_folder,
                hint="wait for it to finish; the lock is released when it exits",
            ) from None
        yield
    finally:
        os.close(handle)


def run_unit(
    config: UnitConfig,
    period: Period,
    output_dir: Path,
    run_at: datetime,
    force: bool = False,
    on_stage: StageCallback | None = None,
    renderer: Renderer | None = None,
) -> UnitOutcome:
    """Run the unit's report for the period unless an identical one is already published."""
    folder = output_dir / config.unit / str(period)
    with unit_lock(output_dir / config.unit, config.unit):
        current = fingerprint(config, output_dir / config.unit / CAMPAIGN_LOG,
                              period.analysis_date)
        previous = read_ledger(folder)
        if not force and is_up_to_date(folder, previous, current):
            return UnitOutcome(config.unit, str(period), "up to date", folder, None)
        # The analysis stack is imported only when there is work to do.
        from reportgen.outputs.previous import published_history
        from reportgen.pipeline import RunResult, build_report, publish_report

        try:
            report = build_report(config, period, renderer=renderer, on_stage=on_stage,
                                  history=published_history(output_dir, config, period))
            files = {**report.files, LEDGER: completed_ledger(config, period, current, run_at,
                                                              previous, report.files)}
            publish_report(config, folder, files)
        except ReportgenError as exc:
            record_failure(folder, previous, run_at, exc.one_line())
            raise
        result = RunResult(folder, tuple(folder / name for name in files), report.pdf_pages,
                           report.seconds, report.incomplete, report.elapsed)
        return UnitOutcome(config.unit, str(period), "published", folder, result)


def catch_up_periods(unit_folder: Path, until: Period) -> list[Period]:
    """Months after the unit's last complete one, up to `until`; just `until` if none ran yet."""
    last = last_complete_period(unit_folder)
    if last is None or last >= until:
        return [until]
    months = []
    period = last.shift(1)
    while period <= until:
        months.append(period)
        period = period.shift(1)
    return months
