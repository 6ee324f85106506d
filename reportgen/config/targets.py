"""Targets management sets for the month: revenue, new customers, active customers."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from reportgen.config.base import StrictModel

MONTH_KEY = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TARGET_KEYS = ("revenue", "new_customers", "active_customers")
MonthlyTarget = float | dict[str, float] | None


class TargetsConfig(StrictModel):
    """Monthly targets, each one value for every month or a value per month (YYYY-MM)."""

    revenue: MonthlyTarget = Field(
        None, description="Revenue target of a month (the unit's currency): one value for every "
        "month, or {YYYY-MM: value}.")
    new_customers: MonthlyTarget = Field(
        None, description="Target of customers buying for the first time in a month.")
    active_customers: MonthlyTarget = Field(
        None, description="Target of identified customers buying in a month.")

    @field_validator("revenue", "new_customers", "active_customers")
    @classmethod
    def _months_and_values(cls, value: MonthlyTarget) -> MonthlyTarget:
        values = value.values() if isinstance(value, dict) else [value] if value is not None \
            else []
        if any(v < 0 for v in values):
            raise ValueError("a target cannot be negative")
        if isinstance(value, dict):
            bad = [key for key in value if not MONTH_KEY.match(str(key))]
            if bad:
                raise ValueError(f"months are written YYYY-MM, not {', '.join(map(str, bad))}")
        return value

    def for_month(self, key: str, month: str) -> float | None:
        """The target `key` of the month YYYY-MM, None when none is set."""
        value = getattr(self, key)
        if isinstance(value, dict):
            found = value.get(month)
            return float(found) if found is not None else None
        return float(value) if value is not None else None

    @property
    def any(self) -> bool:
        """Whether any target is set."""
        return any(getattr(self, key) is not None for key in TARGET_KEYS)
