"""Control groups: the customers of each action list held out at random, not to be contacted,
so that next month's report can measure what the action added.

Assignment is a pure function of unit, period, action and customer id (a hash), so a re-run
of the same month gives the same groups, and a customer's draw is independent of the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from reportgen.config import PlaybookEntry, PlaybookOptions

CONTACT, CONTROL = "contact", "control"


def control_share(entry: PlaybookEntry, options: PlaybookOptions) -> float:
    """The share of the action's customers to hold out: the unit's setting for the action,
    else the entry's, else the unit's default."""
    if entry.id in options.control_shares:
        return options.control_shares[entry.id]
    return entry.control_share if entry.control_share is not None else options.control_share


def uniform_draw(unit: str, period: str, action: str, customer_id: str) -> float:
    """A number in [0, 1) fixed by its four keys."""
    key = f"{unit}\x1f{period}\x1f{action}\x1f{customer_id}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64


def with_groups(audience: pl.DataFrame, unit: str, period: str, action: str,
                share: float) -> pl.DataFrame:
    """The audience with `group` (contact or control) second, after customer_id."""
    draws = [uniform_draw(unit, period, action, customer) for customer in audience["customer_id"]]
    group = pl.Series("group", [CONTROL if draw < share else CONTACT for draw in draws],
                      dtype=pl.String)
    columns = [name for name in audience.columns if name != "customer_id"]
    return audience.with_columns(group).select("customer_id", "group", *columns)


@dataclass(frozen=True)
class MeasuredResponse:
    """A play's response measured on its earlier campaigns: contacted customers' share buying
    again minus the control group's, pooled over `campaigns` (weighted by contacted
    customers), clipped to [0, 1]."""

    response: float
    campaigns: int
    uplift: float  # the pooled difference before clipping
