"""Text of failures, for the models' records of what they tried."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (libraries append traces), else its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
