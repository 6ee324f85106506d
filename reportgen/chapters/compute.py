"""Every chapter's analysis, each as soon as the chapters it needs are done, on every core.

A chapter's analysis reads only the inputs and the results of its `needs`, and it is given only
those (`Results.only`): one that reads another result fails the same way on every run, however
the analyses happen to interleave. Analyses spend most of their time in Polars, NumPy, SciPy
and scikit-learn, which let go of Python's lock, so on two cores the suggestions (UK: 2.6 s)
run beside lifetime value and the forecast. Each analysis computes exactly what it would alone:
the results do not depend on the number of cores.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from reportgen.chapters.base import AnalysisInputs, Chapter
from reportgen.models.cores import cores, one_core_to_itself

Stage = Callable[[str, str], AbstractContextManager[None]]

# What the analyses import when they first run: scikit-learn for the clusters and the CLV
# challenger, about 1 s of imports that hold Python's lock (it brings SciPy's statistics and
# pandas along).
ANALYSIS_LIBRARIES = ("sklearn.preprocessing", "sklearn.metrics", "sklearn.cluster",
                      "sklearn.ensemble")


def import_libraries_ahead() -> threading.Thread | None:
    """Import ANALYSIS_LIBRARIES in a thread of its own, beside reading and cleaning (which
    run in Polars' native code, free of Python's lock), so that the analyses find them loaded.
    Nothing where the process has one core to itself (`one_core_to_itself`): there the imports
    would only take the core reading needs. Never fails: an analysis whose library is missing
    says so when it imports it."""
    if one_core_to_itself():
        return None

    def load() -> None:
        for name in ANALYSIS_LIBRARIES:
            try:
                importlib.import_module(name)
            except ImportError:
                return

    loading = threading.Thread(target=load, name="analysis-imports", daemon=True)
    loading.start()
    return loading


def at_once() -> int:
    """How many analyses run at the same time: one per core, one where the process has one
    core to itself (`one_core_to_itself`)."""
    return 1 if one_core_to_itself() else cores()


def compute_chapters(chapters: Sequence[Chapter[Any]], inputs: AnalysisInputs, stage: Stage,
                     size: str = "", workers: int | None = None) -> None:
    """Compute every chapter into `inputs.results`, each timed by `stage(key, size)` and
    started, in the registry's order, once its needs are done. After a chapter fails, no other
    starts; those running finish, and the failure of the first failed chapter in the registry's
    order is raised."""
    workers = workers or at_once()
    present = {chapter.key for chapter in chapters}
    waiting = list(chapters)
    done: set[str] = set()
    failures: dict[str, BaseException] = {}
    running: dict[Future[object], Chapter[Any]] = {}

    def analysis(chapter: Chapter[Any]) -> object:
        with stage(chapter.key, size):
            return chapter.compute(replace(inputs, results=inputs.results.only(chapter.needs)))

    if workers == 1:
        for chapter in chapters:
            inputs.results.add(chapter.key, analysis(chapter))
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chapter")
    try:
        while waiting or running:
            ready = [chapter for chapter in waiting
                     if all(need in done or need not in present for need in chapter.needs)]
            for chapter in ready[:workers - len(running)] if not failures else []:
                waiting.remove(chapter)
                running[pool.submit(analysis, chapter)] = chapter
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                chapter = running.pop(future)
                error = future.exception()
                if error is not None:
                    failures[chapter.key] = error
                else:
                    inputs.results.add(chapter.key, future.result())
                    done.add(chapter.key)
    finally:  # nothing runs any more, unless interrupted: then not waited for
        pool.shutdown(wait=False, cancel_futures=True)
    if failures:
        raise next(failures[chapter.key] for chapter in chapters if chapter.key in failures)
