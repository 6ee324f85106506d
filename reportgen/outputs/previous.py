"""Last month's published action lists, read back so that this month can say which actions
continue (same action, mostly the same customers) and how many customers are new to them."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reportgen.period import Period


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
