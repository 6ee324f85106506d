"""The playbook: recommendations as configuration, each triggered by facts and aimed at customers.

An entry names a trigger ("segment_share.at_risk >= 0.1", clauses joined by " and "), an
evidence and an action text with {fact} placeholders (optionally {fact:pct}, :pp, :count,
:money, :number, :text, plus {audience_size}, {audience_value} and {incremental_value}), an
audience filter over the customer table, and how the action adds value (see evaluate).
Unknown facts are configuration errors naming the entry and the fact.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reportgen.config import PlaybookEntry, PlaybookFile, UnitConfig, read_yaml_mapping
from reportgen.errors import ConfigError
from reportgen.paths import CONFIG_DIR
from reportgen.playbook.facts import FactSpec, fact_spec

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}
CLAUSE = re.compile(r"^\s*([a-z0-9_.]+)\s*(>=|<=|==|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")
PLACEHOLDER = re.compile(r"\{([a-z0-9_.]+)(?::([a-z]+))?\}")
BUILT_IN_PLACEHOLDERS = {"audience_size", "audience_value", "incremental_value"}
DEFAULT_FILE = Path("playbook.yaml")
FORMATS = {"pct": "share", "pp": "points", "pts": "points_size", "count": "count",
           "money": "money", "number": "number", "text": "text"}


def trigger_clauses(trigger: str) -> list[tuple[str, str, float]]:
    """Parse 'fact op number [and fact op number ...]'."""
    clauses = []
    for part in trigger.split(" and "):
        match = CLAUSE.match(part)
        if match is None:
            raise ValueError(f"cannot read the condition '{part.strip()}'; write e.g. "
                             "'segment_share.at_risk >= 0.1'")
        clauses.append((match.group(1), match.group(2), float(match.group(3))))
    return clauses


@dataclass(frozen=True)
class Playbook:
    """A unit's entries, and every action's id in the order the actions claim customers."""

    entries: tuple[PlaybookEntry, ...]
    priority: tuple[str, ...]


def load_playbook(config: UnitConfig, specs: tuple[FactSpec, ...]) -> Playbook:
    """The unit's playbook: the shared file, minus disabled entries, plus the unit's own.

    `specs` are the facts the chapters publish; an entry naming any other is an error.
    """
    path = playbook_path(config)
    options = config.playbook
    shared = _parse(path, read_yaml_mapping(path), config.unit)
    entries = {e.id: e for e in shared.entries}
    for entry in options.entries:
        entries[entry.id] = entry
    for entry_id in options.disabled:
        entries.pop(entry_id, None)
    segments = {rule.name for rule in config.rfm.segments}
    for entry in entries.values():
        check_entry(entry, specs, segments, config.unit, path)
    listed = options.priority if options.priority is not None else shared.priority
    unknown = [name for name in listed if name not in entries and name not in options.disabled]
    if unknown:
        raise ConfigError(f"playbook priority names the unknown entry '{unknown[0]}'",
                          unit=config.unit, file=path if options.priority is None
                          else config.config_file)
    actions = [entry.id for entry in entries.values() if entry.kind == "action"]
    order = [name for name in listed if name in actions]
    order += [name for name in actions if name not in order]
    return Playbook(tuple(entries.values()), tuple(order))


def playbook_path(config: UnitConfig) -> Path:
    """The playbook file: playbook.file from the unit's folder, else the shipped playbook."""
    options = config.playbook
    path = options.file if options.file.is_absolute() else config.config_file.parent / options.file
    if path.is_file():
        return path
    if options.file == DEFAULT_FILE and (CONFIG_DIR / DEFAULT_FILE).is_file():
        return CONFIG_DIR / DEFAULT_FILE
    raise ConfigError("playbook file not found", unit=config.unit, file=path,
                      hint=f"fix playbook.file in {config.config_file}")


def check_entry(
    entry: PlaybookEntry, specs: tuple[FactSpec, ...], segments: set[str], unit: str, file: Path
) -> None:
    """Raise ConfigError naming the entry and fact if it uses anything the registry lacks."""
    try:
        clauses = trigger_clauses(entry.trigger)
    except ValueError as exc:
        raise ConfigError(f"entry '{entry.id}': {exc}", unit=unit, file=file) from None
    facts = [name for name, _, _ in clauses]
    for text in (entry.evidence, entry.action):
        facts += [m.group(1) for m in PLACEHOLDER.finditer(text)
                  if m.group(1) not in BUILT_IN_PLACEHOLDERS]
        for m in PLACEHOLDER.finditer(text):
            if m.group(2) and m.group(2) not in FORMATS:
                raise ConfigError(f"entry '{entry.id}': unknown format ':{m.group(2)}'",
                                  unit=unit, file=file,
                                  hint="use one of " + ", ".join(FORMATS))
    for name in facts:
        if fact_spec(name, specs, segments) is None:
            raise ConfigError(f"entry '{entry.id}' uses the unknown fact '{name}'",
                              unit=unit, file=file,
                              hint="see the facts listed in the README (Recommendations)")
    if entry.kind == "insight":
        built_in = [m.group(1) for text in (entry.evidence, entry.action)
                    for m in PLACEHOLDER.finditer(text) if m.group(1) in BUILT_IN_PLACEHOLDERS]
        if built_in:
            raise ConfigError(f"entry '{entry.id}': an insight has no audience, so no "
                              f"{{{built_in[0]}}}", unit=unit, file=file)
    if not PLACEHOLDER.search(entry.evidence):
        raise ConfigError(f"entry '{entry.id}': the evidence must cite at least one {{fact}}",
                          unit=unit, file=file)
    unknown = [s for s in entry.audience.segments or [] if s not in segments]
    if unknown:
        raise ConfigError(f"entry '{entry.id}': audience names the unknown segment "
                          f"'{unknown[0]}'", unit=unit, file=file)


def _parse(path: Path, values: dict[str, Any], unit: str) -> PlaybookFile:
    try:
        return PlaybookFile(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{where}: {message}", unit=unit, file=path) from None
