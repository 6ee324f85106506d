"""The playbook: recommendations as configuration, each triggered by facts and aimed at customers.

An entry names a trigger ("segment_share.at_risk >= 0.1", clauses joined by " and "), an
evidence and an action text with {fact} placeholders (optionally {fact:pct}, :pp, :count,
:money, :number, :text, plus {audience_size} and {value_at_stake}), an audience filter over
the customer table, and how to value the audience. Unknown facts are configuration errors
naming the entry and the fact.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
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
BUILT_IN_PLACEHOLDERS = {"audience_size", "value_at_stake"}
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


def load_playbook(config: UnitConfig, specs: tuple[FactSpec, ...]) -> list[PlaybookEntry]:
    """The unit's playbook: the shared file, minus disabled entries, plus the unit's own.

    `specs` are the facts the chapters publish; an entry naming any other is an error.
    """
    path = playbook_path(config)
    options = config.playbook
    entries = {e.id: e for e in _parse(path, read_yaml_mapping(path), config.unit).entries}
    for entry in options.entries:
        entries[entry.id] = entry
    for entry_id in options.disabled:
        entries.pop(entry_id, None)
    segments = {rule.name for rule in config.rfm.segments}
    for entry in entries.values():
        check_entry(entry, specs, segments, config.unit, path)
    return list(entries.values())


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
