"""What a run reads back from the unit's earlier published reports: last month's action lists
(so that this month can say which actions continue, same action and mostly the same customers)
and every earlier action list with the campaign log (for the measurement chapter)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.config import UnitConfig
from reportgen.outputs.campaigns import EarlierLists, earlier_action_lists
from reportgen.period import Period


@dataclass(frozen=True)
class PublishedHistory:
    """The unit's earlier reports as a run needs them."""

    previous_actions: Mapping[str, frozenset[str]] | None = None  # last month's lists
    earlier: EarlierLists = field(default_factory=EarlierLists)


def published_history(output_dir: Path, config: UnitConfig, period: Period) -> PublishedHistory:
    """Every earlier list with its campaign date, and last month's lists among them (None when
    last month has no published report, so nothing can be said to continue)."""
    earlier = earlier_action_lists(output_dir, config.unit, period,
                                   config.measurement.window_months + 1)
    last = period.shift(-1)
    if not (output_dir / config.unit / str(last) / "manifest.json").is_file():
        return PublishedHistory(None, earlier)
    return PublishedHistory(
        {published.play: frozenset(published.groups["customer_id"].to_list())
         for published in earlier.lists if published.period == last},
        earlier)
