"""Calendar-month periods and their analysis dates."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reportgen.errors import ConfigError
from reportgen.period import Period


def test_analysis_date_is_the_first_instant_after_the_month() -> None:
    assert Period.parse("2011-11").analysis_date == datetime(2011, 12, 1)
    assert Period.parse("2011-12").analysis_date == datetime(2012, 1, 1)


def test_shift_crosses_years() -> None:
    assert Period(2011, 1).shift(-1) == Period(2010, 12)
    assert Period(2011, 11).shift(-12) == Period(2010, 11)
    assert str(Period(2011, 3).shift(10)) == "2012-01"


def test_last_complete_month() -> None:
    assert Period.last_complete(date(2026, 1, 15)) == Period(2025, 12)


@pytest.mark.parametrize("text", ["2011-13", "2011-1", "Nov 2011", ""])
def test_bad_periods_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM"):
        Period.parse(text)


def test_label() -> None:
    assert Period(2011, 11).label == "November 2011"
