"""The recommendation methods by name (no imports beyond typing: the configuration reads it)."""

from __future__ import annotations

from typing import Literal

FittedMethod = Literal["ease", "item_item", "popularity"]
Method = Literal["auto", "ease", "item_item", "popularity"]  # auto: by the catalogue's size
