"""Results as JSON records: one generic conversion, so a figure added to a result reaches the
manifest with no second edit.

`record(result)` turns a dataclass into a dict of its fields, recursively: dates become ISO
strings, tuples lists, NumPy scalars Python numbers. Frames are left out (a frame is a file's
content, not a manifest figure), and so are settings objects (pydantic models: the manifest
echoes the configuration once). A class adds derived figures by naming its properties in
`RECORD_PROPERTIES`.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl


def record(result: Any) -> dict[str, Any]:
    """The dataclass `result`'s fields and RECORD_PROPERTIES as a JSON-ready dict."""
    if not is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"record() takes a dataclass instance, not {type(result).__name__}")
    names = [f.name for f in fields(result) if "DataFrame" not in str(f.type)]
    names += getattr(result, "RECORD_PROPERTIES", ())
    return {name: plain(getattr(result, name)) for name in names
            if not isinstance(getattr(result, name), pl.DataFrame)
            and not hasattr(getattr(result, name), "model_dump")}


def plain(value: Any) -> Any:
    """A value as JSON knows it: dataclasses as records, dates as ISO strings, sequences as
    lists, NumPy scalars as Python numbers."""
    if is_dataclass(value) and not isinstance(value, type):
        return record(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
