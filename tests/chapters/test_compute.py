"""The chapters' analyses on every core (`chapters.compute`): each after its needs, reading only
them, the first failure in the registry's order raised. That they give the same report as one
at a time, file by file and figure by figure, is report/test_report.py's
test_same_input_gives_identical_outputs (its second build runs the analyses side by side)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from reportgen.chapters.base import AnalysisInputs, Chapter, Results
from reportgen.chapters.compute import compute_chapters

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
