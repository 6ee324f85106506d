"""What a run reads back from the unit's earlier published reports: last month's action lists
(so that this month can say which actions continue, same action and mostly the same customers)
and every earlier action list with the campaign log (for the measurement chapter)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from reportgen.config import UnitConfig
from reportgen.outputs.campaigns import EarlierLists, earlier_action_lists
from reportgen.period import Period


@dataclass(frozen=True)
class PublishedHistory:
    """The unit's earlier reports as a run needs them."""

    previous_actions: Mapping[str, frozenset[str]] | None = None  # last month's lists
    earlier: EarlierLists = field(default_factory=EarlierLists)


def published_history(output_dir: Path, config: UnitConfig, period: Period) -> PublishedHistory:
    """Last month's action lists and every earlier list with its campaign date."""
    return PublishedHistory(
        last_months_action_lists(output_dir, config.unit, period),
        earlier_action_lists(output_dir, config.unit, period,
                             config.measurement.window_months + 1),
    )


def last_months_action_lists(output_dir: Path, unit: str,
                             period: Period) -> dict[str, frozenset[str]] | None:
    """The action lists of the unit's report for the month before `period`, if published."""
    return published_action_lists(output_dir / unit / str(period.shift(-1)))


def published_action_lists(folder: Path) -> dict[str, frozenset[str]] | None:
    """Customer ids of each action list published in a period folder; None when the folder
    holds no complete report (no manifest), so nothing can be said to continue."""
    if not (folder / "manifest.json").is_file():
        return None
    lists: dict[str, frozenset[str]] = {}
    for path in sorted((folder / "actions").glob("*.csv")):
        try:
            ids = pl.read_csv(path, columns=["customer_id"],
                              schema_overrides={"customer_id": pl.String})["customer_id"]
        except (pl.exceptions.PolarsError, OSError):
            continue  # an unreadable list is one we cannot compare with, not a failed run
        lists[path.stem] = frozenset(ids.drop_nulls().to_list())
    return lists
