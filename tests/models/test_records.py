"""Results as manifest records: every field, derived figures named by the class, no frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import numpy as np
import polars as pl
import pytest

from reportgen.models.records import record


@dataclass(frozen=True)
class Part:
    day: date
    share: float


@dataclass(frozen=True)
class Result:
    RECORD_PROPERTIES: ClassVar[tuple[str, ...]] = ("double",)

    count: int
    interval: tuple[float, float] | None
    parts: tuple[Part, ...]
    by_name: dict[str, np.float64]
    table: pl.DataFrame | None

    @property
    def double(self) -> int:
        return 2 * self.count


def test_a_result_is_recorded_field_by_field_with_its_named_properties() -> None:
    result = Result(3, (1.0, 2.5), (Part(date(2024, 1, 31), 0.25),), {"a": np.float64(1.5)},
                    pl.DataFrame({"x": [1]}))
    recorded = record(result)
    assert recorded == {"count": 3, "interval": [1.0, 2.5],
                        "parts": [{"day": "2024-01-31", "share": 0.25}],
                        "by_name": {"a": 1.5}, "double": 6}
    assert type(recorded["by_name"]["a"]) is float
    # a frame field is left out whether or not it holds a frame
    assert "table" not in record(Result(1, None, (), {}, None))


def test_only_a_dataclass_instance_is_recorded() -> None:
    with pytest.raises(TypeError, match="dataclass instance"):
        record({"count": 1})
