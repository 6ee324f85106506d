"""The template filters."""

from __future__ import annotations

from datetime import date

from reportgen.display.formatting import change, day, money, number, pct, segment_label


def test_money() -> None:
    assert money(1234.5, "GBP") == "£1,234"
    assert money(1234.567, "GBP", decimals=2) == "£1,234.57"
    assert money(-20.0, "EUR") == "−€20"
    assert money(5, "SEK") == "SEK 5"
    assert money(-0.2, "GBP") == "£0"
    assert money(None, "GBP") == "–"


def test_number_pct_change() -> None:
    assert number(1234567) == "1,234,567"
    assert number(2.25, 1) == "2.2"
    assert number(-3) == "−3"
    assert pct(0.1234) == "12.3%"
    assert pct(None) == "–"
    assert change(0.052) == "+5.2%"
    assert change(-0.1) == "−10.0%"
    assert change(0.0) == "0.0%"
    assert change(None) == "–"


def test_day_and_segment_label() -> None:
    assert day(date(2011, 12, 1)) == "1 Dec 2011"
    assert day(None) == "–"
    assert segment_label("cant_lose") == "Can't lose"
    assert segment_label("at_risk") == "At risk"


def test_every_template_filter_prints_a_missing_value_as_a_dash() -> None:
    from reportgen.report.templates import NONE_SAFE_BUILTINS, template_environment

    env = template_environment()
    arguments = {"truncate": "(10, True, '…', 0)", "replace": "('a', 'b')", "join": "(', ')",
                 "format": "(1)", "wordwrap": "(10)", "center": "(10)",
                 "money": "('GBP')"}
    for name in [*NONE_SAFE_BUILTINS, "money", "number", "pct", "change", "day",
                 "segment_label"]:
        template = env.from_string(f"{{{{ value | {name}{arguments.get(name, '')} }}}}")
        assert template.render(value=None) == "–", name
    assert env.from_string("{{ value | truncate(5, True, '…', 0) }}").render(
        value="CAKE STAND") == "CAKE…"


def test_each_currency_writes_its_own_sign() -> None:
    assert money(1234.5, "USD") == "$1,234"
    assert money(1234.5, "AUD") == "A$1,234"
    assert money(-7, "CHF") == "−CHF 7"
    assert money(9, "JPY") == "¥9"
