"""Small formatting functions the templates use as Jinja filters; None prints as an en dash."""

from __future__ import annotations

import re
from datetime import date, datetime

from reportgen.currencies import currency_symbol
from reportgen.segment_catalogue import segment_label as segment_label  # re-exported

MISSING = "–"


def money(value: float | None, currency: str, decimals: int = 0) -> str:
    """£1,234 (or 'EUR 1,234' style for currencies without a symbol); negatives as −£1,234."""
    if value is None:
        return MISSING
    symbol = currency_symbol(currency)
    sign = "−" if value < 0 and round(abs(value), decimals) > 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def number(value: float | None, decimals: int = 0) -> str:
    """1,234 or 1,234.5 with thousands separators."""
    if value is None:
        return MISSING
    text = f"{abs(value):,.{decimals}f}"
    return f"−{text}" if value < 0 and text.strip("0.,") else text


def figure(value: float | str | None, kind: str, currency: str) -> str:
    """A figure printed as its kind says: money in the unit's currency, a count, a share as a
    percentage, points, a size in percentage points, a number to one decimal, or text. The one
    dispatch the templates (the `figure` filter) and the playbook's facts use."""
    if value is None:
        return MISSING
    if kind == "text":
        return str(value)
    if isinstance(value, str):
        raise TypeError(f"a {kind} figure needs a number, not '{value}'")
    if kind == "share":
        return pct(float(value))
    if kind == "points":
        return points(float(value))
    if kind == "points_size":  # a fall or a gap, said in words: "6.7 percentage points"
        return f"{number(abs(float(value)) * 100, 1)} percentage points"
    if kind == "count":
        return number(float(value))
    if kind == "money":
        return money(float(value), currency)
    return number(float(value), 1)


def pct(value: float | None, decimals: int = 1) -> str:
    """A share as a percentage: 0.123 -> 12.3%."""
    if value is None:
        return MISSING
    return number(value * 100, decimals) + "%"


def change(value: float | None, decimals: int = 1) -> str:
    """A relative change with its sign: 0.052 -> +5.2%, -0.1 -> −10.0%."""
    if value is None:
        return MISSING
    text = pct(value, decimals)
    return text if text.startswith("−") or text.strip("0.,%") == "" else f"+{text}"


def points(value: float | None, decimals: int = 1) -> str:
    """A difference of two shares in percentage points, signed: 0.012 -> +1.2 pp."""
    if value is None:
        return MISSING
    amount = float(value) * 100
    sign = "+" if round(amount, decimals) > 0 else "−" if round(amount, decimals) < 0 else ""
    return f"{sign}{number(abs(amount), decimals)} pp"


def day(value: date | datetime | None) -> str:
    """1 Dec 2011."""
    if value is None:
        return MISSING
    return f"{value.day} {value:%b %Y}"


# Bidirectional controls: a right-to-left override in a value would reverse the text after it.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(value: object) -> object:
    """Text without bidirectional control characters, of the same type (markup stays markup);
    anything else as it is."""
    if isinstance(value, str) and BIDI_CONTROLS.search(value):
        return type(value)(BIDI_CONTROLS.sub("", value))
    return value


def cell(value: object, width: int = 30) -> str:
    """A text value for a table cell: at most `width` characters, cut with "…" (the full value
    stays in the exports)."""
    if value is None:
        return MISSING
    text = str(without_bidi_controls(str(value)))
    return text if len(text) <= width else text[:width - 1] + "…"
