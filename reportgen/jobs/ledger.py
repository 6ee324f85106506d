"""The run ledger: ledger.json in each published period folder, and its only reader and writer.

It records the fingerprint of what produced the folder (input file hashes, configuration
hash, reportgen version), the outputs' hashes, when it ran, earlier runs of the period, and
the summary email's delivery state.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from reportgen.config import UnitConfig
from reportgen.inputs.files import file_sha256, input_paths
from reportgen.outputs.publish import write_atomic
from reportgen.period import Period

LEDGER = "ledger.json"


def fingerprint(config: UnitConfig, campaign_log: Path | None = None,
                until: datetime | None = None) -> dict[str, Any]:
    """What a report depends on: input file hashes (a database source: the counts of the rows
    before `until`, the period's analysis date, that the run reads), configuration hash (the
    database password masked), reportgen version, and the unit's campaign log (marking a
    campaign changes what the report measures)."""
    config_json = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    found = {}
    if campaign_log is not None and campaign_log.is_file():
        found = {"campaign_log": file_sha256(campaign_log)}
    return {
        "inputs": input_fingerprints(config, until),
        "config_sha256": hashlib.sha256(config_json.encode()).hexdigest(),
        "reportgen": metadata.version("reportgen"),
        **found,
    }


def input_fingerprints(config: UnitConfig, until: datetime | None) -> dict[str, str]:
    """Each input's name and content hash."""
    if config.source.url is not None:
        from reportgen.inputs.database import database_digest

        return {config.source.label: database_digest(config, until)}
    return {str(path): file_sha256(path) for path in input_paths(config)}


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


def completed_ledger(
    config: UnitConfig,
    period: Period,
    current: dict[str, Any],
    ran_at: datetime,
    previous: dict[str, Any] | None,
    files: dict[str, bytes],
) -> bytes:
    """ledger.json for a run that produced `files`, keeping earlier runs in its history."""
    ledger = {
        "unit": config.unit,
        "period": str(period),
        "status": "complete",
        "fingerprint": current,
        "ran_at": ran_at.isoformat(timespec="seconds"),
        "delivery": {"state": "not sent"},
        "history": _history(previous),
        "outputs": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    return _encode(ledger)


def record_failure(folder: Path, previous: dict[str, Any] | None, ran_at: datetime,
                   error: str) -> bool:
    """Say in a published report's ledger that a later run of its period failed (`last_failure`),
    leaving every output as it was. False when there is no published report (nothing is created
    for a period that never ran) or the ledger cannot be written (a full disk, say)."""
    if not previous:
        return False
    ledger = {**previous, "last_failure": {"at": ran_at.isoformat(timespec="seconds"),
                                           "error": error}}
    try:
        write_atomic(folder / LEDGER, _encode(ledger))
    except OSError:
        return False
    return True


def record_delivery(folder: Path, ledger: dict[str, Any], delivery: dict[str, Any]) -> None:
    """Write the summary email's delivery state into the folder's ledger."""
    ledger["delivery"] = delivery
    write_atomic(folder / LEDGER, _encode(ledger))


def last_complete_period(unit_folder: Path) -> Period | None:
    """The latest period of a unit whose ledger records a complete run, if any."""
    complete = []
    for folder in unit_folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]"):
        ledger = read_ledger(folder)
        if ledger and ledger.get("status") == "complete":
            complete.append(Period.parse(folder.name))
    return max(complete) if complete else None


def _history(previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Earlier runs of the period, newest last (their fingerprints and delivery states)."""
    if not previous:
        return []
    entry = {k: previous.get(k) for k in ("ran_at", "fingerprint", "delivery")}
    return [*previous.get("history", []), entry]


def _encode(ledger: dict[str, Any]) -> bytes:
    return (json.dumps(ledger, indent=2) + "\n").encode()
