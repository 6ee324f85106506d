"""One computation's independent pieces on every core.

NumPy's and SciPy's array functions let go of Python's lock while they work, so threads can
share the pieces of one array computation (row chunks whose results go to rows of their own).
Each piece is computed exactly as it would be alone, on the same arrays, under the caller's
NumPy error settings (`np.errstate` holds for its own thread only): the results do not depend
on the number of cores, only the time does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

import numpy as np

Piece = TypeVar("Piece")
Result = TypeVar("Result")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def one_core_to_itself() -> bool:
    """Whether the process was given one core's worth of work (POLARS_MAX_THREADS=1, as
    make test's workers run): there, work beside the main line only takes its core."""
    return os.environ.get("POLARS_MAX_THREADS") == "1"


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="reportgen-cores")


def on_every_core(function: Callable[[Piece], Result], pieces: Iterable[Piece]) -> list[Result]:
    """[function(piece) for piece in pieces], the pieces shared among the cores' threads.
    `function` must not itself call on_every_core (the threads would wait on each other)."""
    pieces = list(pieces)
    if len(pieces) < 2 or cores() < 2:
        return [function(piece) for piece in pieces]
    settings = np.geterr()

    def as_the_caller(piece: Piece) -> Result:
        with np.errstate(**settings):
            return function(piece)

    return list(_pool().map(as_the_caller, pieces))


# Rows per piece of a row-by-row computation (P(alive), expected purchases) shared among the
# cores: each row's result is its own, so the pieces' size changes no figure.
ROWS_PER_PIECE = 20_000


def in_row_chunks(function: Callable[..., np.ndarray], *columns: np.ndarray) -> np.ndarray:
    """function(*columns) for a function that works row by row (each row's result from that
    row's values alone), computed in pieces of ROWS_PER_PIECE rows on every core. The columns
    are broadcast to one shape first (a single value stands for every row)."""
    columns = tuple(np.broadcast_arrays(*columns))
    rows = columns[0].size
    if rows <= ROWS_PER_PIECE:
        return function(*columns)
    return np.concatenate(on_every_core(
        lambda start: function(*(column[start:start + ROWS_PER_PIECE] for column in columns)),
        range(0, rows, ROWS_PER_PIECE)))
