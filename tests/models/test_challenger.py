"""The challenger's features: its own from the purchase days, and the caller's as of the same
cut-off."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from reportgen.models.clv.challenger import FEATURES, features


def test_features_are_known_at_the_cut_off_and_extra_ones_are_joined() -> None:
    days = pl.DataFrame({
        "customer_id": ["a", "a", "a", "b"],
        "day": [date(2024, 1, 1), date(2024, 3, 1), date(2024, 6, 1), date(2024, 2, 1)],
        "value": [10.0, 30.0, 99.0, 5.0],
    })
    seen: list[date] = []

    def extra(cutoff: date) -> pl.DataFrame:
        seen.append(cutoff)
        return pl.DataFrame({"customer_id": ["a"], "return_share": [0.25]})

    rows = features(days, date(2024, 3, 31), extra)
    assert seen == [date(2024, 3, 31)]
    assert rows.columns == ["customer_id", *FEATURES, "return_share"]
    a, b = rows.sort("customer_id").iter_rows(named=True)
    # a: bought 1 Jan and 1 Mar by the cut-off (the June purchase is not known yet).
    assert (a["days"], a["total_value"], a["recency_days"], a["tenure_days"]) == (
        2.0, 40.0, 30.0, 90.0)
    assert a["mean_gap"] == pytest.approx(60.0) and a["days_90"] == 1.0
    assert a["return_share"] == 0.25 and b["return_share"] == 0.0  # none known: 0
