"""Running a unit as a dependable job: one run at a time, and nothing redone without cause.

Each published period folder holds ledger.json: the fingerprint of what produced it (input
file hashes, configuration hash, reportgen version), the outputs' hashes, when it ran, and the
delivery state. A run whose fingerprint matches a complete ledger, with every output present
and unchanged, does nothing; a changed input or configuration, or --force, recomputes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reportgen.config import UnitConfig
from reportgen.errors import BusyError
from reportgen.load import file_sha256, input_paths
from reportgen.period import Period

if TYPE_CHECKING:
    from reportgen.pipeline import RunResult, StageCallback

LEDGER = "ledger.json"


@dataclass(frozen=True)
class UnitOutcome:
    """What running one unit for one period did."""

    unit: str
    period: str
    status: Literal["published", "up to date"]
    folder: Path
    result: RunResult | None


def fingerprint(config: UnitConfig) -> dict[str, Any]:
    """What a report depends on: input file hashes, configuration hash, reportgen version."""
    config_json = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    return {
        "inputs": {str(path): file_sha256(path) for path in input_paths(config)},
        "config_sha256": hashlib.sha256(config_json.encode()).hexdigest(),
        "reportgen": metadata.version("reportgen"),
    }


def read_ledger(folder: Path) -> dict[str, Any] | None:
    """The folder's ledger, or None if there is none or it cannot be read."""
    try:
        loaded = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def is_up_to_date(folder: Path, ledger: dict[str, Any] | None, current: dict[str, Any]) -> bool:
    """Whether the ledger records a complete run of the same fingerprint, outputs unchanged."""
    if not ledger or ledger.get("status") != "complete" or ledger.get("fingerprint") != current:
        return False
    outputs = ledger.get("outputs", {})
    return bool(outputs) and all(
        (folder / name).is_file() and file_sha256(folder / name) == digest
        for name, digest in outputs.items()
    )


@contextmanager
def unit_lock(unit_folder: Path, unit: str) -> Iterator[None]:
    """Hold the unit's lock for the block; a second holder gets BusyError at once."""
    unit_folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(unit_folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
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
) -> UnitOutcome:
    """Run the unit's report for the period unless an identical one is already published."""
    folder = output_dir / config.unit / str(period)
    with unit_lock(output_dir / config.unit, config.unit):
        current = fingerprint(config)
        previous = read_ledger(folder)
        if not force and is_up_to_date(folder, previous, current):
            return UnitOutcome(config.unit, str(period), "up to date", folder, None)
        ledger = {
            "unit": config.unit,
            "period": str(period),
            "status": "complete",
            "fingerprint": current,
            "ran_at": run_at.isoformat(timespec="seconds"),
            "delivery": {"state": "not sent"},
            "history": _history(previous),
        }
        from reportgen.pipeline import run_report  # the analysis stack, only when there is work

        result = run_report(config, period, output_dir, on_stage=on_stage, ledger=ledger)
        return UnitOutcome(config.unit, str(period), "published", folder, result)


def _history(previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Earlier runs of the period, newest last (their fingerprints and delivery states)."""
    if not previous:
        return []
    entry = {k: previous.get(k) for k in ("ran_at", "fingerprint", "delivery")}
    return [*previous.get("history", []), entry]


def last_complete_period(unit_folder: Path) -> Period | None:
    """The latest period of a unit whose ledger records a complete run, if any."""
    complete = []
    for folder in unit_folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]"):
        ledger = read_ledger(folder)
        if ledger and ledger.get("status") == "complete":
            complete.append(Period.parse(folder.name))
    return max(complete) if complete else None


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
