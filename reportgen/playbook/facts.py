"""Facts: the named numbers chapters publish for the playbook, their kinds and how they print.

Each chapter declares its facts (`Chapter.fact_specs`) and computes their values from its
result; the registry of all facts is the union over the chapters (`chapters.fact_specs`).

A fact name is either fixed (`peak_hour`) or a family with a segment name after the dot
(`segment_share.at_risk`). Kinds decide how a value prints: share 0.12 -> 12.0%, points
0.012 -> +1.2 pp, count 1234 -> 1,234, money -> £1,234 (in the unit's currency), number -> 1.2, text as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal

from reportgen.display.formatting import figure

FactKind = Literal["share", "points", "count", "money", "number", "text"]
FactValue = float | int | str


@dataclass(frozen=True)
class FactSpec:
    """A fact's name (or family prefix), kind and meaning, and how to read it from its
    chapter's result (None: the fact has no value this period and is left out)."""

    name: str
    kind: FactKind
    description: str
    # The result's attribute (dotted path) holding the value, or a function of the result.
    read: str | Callable[[Any], FactValue | None] | None = field(default=None, compare=False,
                                                                 repr=False)
    per_segment: bool = False

    def value(self, result: Any) -> FactValue | None:
        """The fact's value in a chapter's result (None: no value this period)."""
        if self.read is None:
            return None
        return attrgetter(self.read)(result) if isinstance(self.read, str) else self.read(result)


def fact_spec(name: str, specs: tuple[FactSpec, ...], segments: set[str]) -> FactSpec | None:
    """The spec of a fact name among `specs`, or None if no chapter publishes it."""
    by_name = {spec.name: spec for spec in specs}
    if name in by_name and not by_name[name].per_segment:
        return by_name[name]
    family, _, segment = name.partition(".")
    spec = by_name.get(family)
    if spec is not None and spec.per_segment and segment in segments:
        return spec
    return None


def format_fact(value: FactValue, kind: str, currency: str) -> str:
    """A fact's value as text for the reader (money in the unit's currency)."""
    return figure(value, kind, currency)
