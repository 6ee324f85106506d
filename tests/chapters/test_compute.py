"""The chapters' analyses on every core (`chapters.compute`): each after its needs, reading only
them, the first failure in the registry's order raised, and the same results on one core."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from conftest import write_demo_unit

from reportgen.chapters import CHAPTERS
from reportgen.chapters.base import AnalysisInputs, Chapter, Results
from reportgen.chapters.clv.analysis import ClvResult
from reportgen.chapters.compute import compute_chapters
from reportgen.config import load_unit_config
from reportgen.outputs.previous import PublishedHistory
from reportgen.period import Period
from reportgen.pipeline import StageTimer, read_and_clean

WAIT = 10.0  # seconds a test chapter waits for another before it gives up


@dataclass
class Log:
    """What the test chapters saw: which ran, and the results each could read."""

    started: list[str]
    seen: dict[str, tuple[str, ...]]
    side_by_side: threading.Event
    waited: dict[str, bool]  # whether what a chapter waited for came in time


class Counting(Chapter[int]):
    """A test chapter: its result is one more than the sum of its needs' results."""

    def __init__(self, key: str, needs: tuple[str, ...] = (), log: Log | None = None,
                 reads: tuple[str, ...] = (), fails: bool = False,
                 waits_for: threading.Event | None = None) -> None:
        self.key, self.needs, self.log, self.reads = key, needs, log, reads  # type: ignore[misc]
        self.fails, self.waits_for = fails, waits_for

    def compute(self, inputs: AnalysisInputs) -> int | None:
        assert self.log is not None
        self.log.started.append(self.key)
        self.log.seen[self.key] = tuple(key for key in ("a", "b", "slow")
                                        if inputs.results.get(key, int) is not None)
        if self.waits_for is not None:
            self.log.waited[self.key] = self.waits_for.wait(WAIT)
        if self.fails:
            raise RuntimeError(f"{self.key} failed")
        return 1 + sum(inputs.results.of(key, int) for key in (*self.needs, *self.reads))


def inputs() -> AnalysisInputs:
    return AnalysisInputs(None, None, None, None, Results())  # type: ignore[arg-type]


@contextmanager
def untimed(key: str, size: str) -> Iterator[None]:
    yield


def log() -> Log:
    return Log([], {}, threading.Event(), {})


def test_each_analysis_starts_after_its_needs_beside_the_others_and_sees_only_its_needs(
) -> None:
    seen = log()

    class Slow(Counting):
        def compute(self, inputs: AnalysisInputs) -> int | None:
            seen.side_by_side.set()  # a is waiting for this: both run at once
            return super().compute(inputs)

    chapters = [Counting("a", log=seen, waits_for=seen.side_by_side), Slow("slow", log=seen),
                Counting("b", ("a",), log=seen), Counting("c", ("b", "slow"), log=seen)]
    computed = inputs()
    compute_chapters(chapters, computed, untimed, workers=2)
    assert seen.waited == {"a": True}
    assert [computed.results.of(key, int) for key in ("a", "slow", "b", "c")] == [1, 1, 2, 4]
    assert seen.started.index("b") > seen.started.index("a")
    assert seen.seen == {"a": (), "slow": (), "b": ("a",), "c": ("b", "slow")}


@pytest.mark.parametrize("workers", [1, 2])
def test_reading_a_result_not_needed_fails_on_every_run(workers: int) -> None:
    """"b" is done before "c" starts, but "c" does not say it needs "a"."""
    seen = log()
    chapters = [Counting("a", log=seen), Counting("b", ("a",), log=seen),
                Counting("c", ("b",), log=seen, reads=("a",))]
    with pytest.raises(LookupError, match=r"chapter 'a'.*needs"):
        compute_chapters(chapters, inputs(), untimed, workers=workers)


def test_the_first_failure_in_the_registry_order_is_raised_and_nothing_starts_after_it(
) -> None:
    seen = log()
    second_failed = threading.Event()

    class FailsFirst(Counting):
        def compute(self, inputs: AnalysisInputs) -> int | None:
            try:
                return super().compute(inputs)
            finally:
                second_failed.set()

    chapters = [Counting("a", log=seen, fails=True, waits_for=second_failed),
                FailsFirst("b", log=seen, fails=True), Counting("c", log=seen)]
    with pytest.raises(RuntimeError, match="a failed"):
        compute_chapters(chapters, inputs(), untimed, workers=2)
    assert sorted(seen.started) == ["a", "b"]


def assert_same(mine: Any, other: Any, where: str) -> None:
    """mine and other hold the same values, to the last bit: frames, arrays, dataclasses,
    containers and plain values, compared all the way down."""
    assert type(mine) is type(other), where
    if isinstance(mine, pl.DataFrame):
        assert mine.equals(other, null_equal=True), where
    elif isinstance(mine, np.ndarray):
        np.testing.assert_array_equal(mine, other, err_msg=where)
    elif is_dataclass(mine):
        for name in (f.name for f in fields(mine)):
            assert_same(getattr(mine, name), getattr(other, name), f"{where}.{name}")
    elif isinstance(mine, dict):
        assert mine.keys() == other.keys(), where
        for key in mine:
            assert_same(mine[key], other[key], f"{where}[{key!r}]")
    elif isinstance(mine, list | tuple):
        assert len(mine) == len(other), where
        for index, (a, b) in enumerate(zip(mine, other, strict=True)):
            assert_same(a, b, f"{where}[{index}]")
    elif isinstance(mine, float):
        assert mine == other or (math.isnan(mine) and math.isnan(other)), where
    elif hasattr(mine, "__dict__"):
        assert_same(vars(mine), vars(other), where)
    else:
        assert mine == other, where


@pytest.mark.slow
def test_the_report_analyses_on_two_cores_equal_those_on_one(tmp_path: Path) -> None:
    """Every chapter's result of the demo unit, every frame and figure in it, is the same to
    the last bit computed two at a time as one at a time."""
    config = load_unit_config(write_demo_unit(tmp_path))
    period = Period.parse("2024-12")
    source, clean = read_and_clean(config, period, StageTimer())

    def computed(workers: int) -> Results:
        analysed = AnalysisInputs(config, period, source, clean, Results(),
                                  PublishedHistory().earlier)
        compute_chapters(CHAPTERS, analysed, untimed, workers=workers)
        return analysed.results

    alone, side_by_side = computed(1), computed(2)
    assert alone.get("clv", ClvResult) is not None and alone.get("suggestions", object)
    for chapter in CHAPTERS:
        assert_same(side_by_side.get(chapter.key, object), alone.get(chapter.key, object),
                    chapter.key)
