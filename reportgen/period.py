"""Reporting periods: calendar months, their analysis date and their neighbours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reportgen.errors import ConfigError

PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# Years a report can be for: a typo such as 0011-11 is caught, and neighbouring months exist.
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month; its analysis date is the first instant after it."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse YYYY-MM, or raise ConfigError saying what is expected."""
        match = PERIOD_PATTERN.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ConfigError(
                f"period '{text}' is not a month", hint="write it as YYYY-MM, e.g. 2011-11"
            )
        if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise ConfigError(f"period '{text}' has a year outside {FIRST_YEAR}–{LAST_YEAR}",
                              hint="write it as YYYY-MM, e.g. 2011-11")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        """The month a date or timestamp falls in."""
        return cls(day.year, day.month)

    @classmethod
    def last_complete(cls, today: date) -> Period:
        """The calendar month before the one containing `today`."""
        return cls(today.year, today.month).shift(-1)

    def shift(self, months: int) -> Period:
        """The period `months` months later (earlier when negative)."""
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        """First instant of the month."""
        return datetime(self.year, self.month, 1)

    @property
    def analysis_date(self) -> datetime:
        """First instant after the month; only transactions before it are used."""
        return self.shift(1).start

    @property
    def last_day(self) -> date:
        """The period's last calendar day (the observation end of the CLV models)."""
        return (self.analysis_date - timedelta(days=1)).date()

    @property
    def label(self) -> str:
        """Human label such as 'November 2011'."""
        return self.start.strftime("%B %Y")

    @property
    def short_label(self) -> str:
        """Short human label such as 'Nov 2011'."""
        return self.start.strftime("%b %Y")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
