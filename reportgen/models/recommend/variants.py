"""Product families: products whose descriptions differ only by colour, size or pack are
variants of one product, and a description used by several codes (a grocery panel's
"FLUID MILK") is one product to a customer. A suggestion of a family the customer already buys,
a second of the same family, or a pair of two variants adds nothing new."""

from __future__ import annotations

import re

import polars as pl

# Words that name a variant rather than a product: colours, sizes, packs. English only; a
# description in another language falls back to its exact words.
VARIANT_WORDS = frozenset({
    "RED", "BLUE", "GREEN", "PINK", "WHITE", "BLACK", "IVORY", "CREAM", "YELLOW", "ORANGE",
    "PURPLE", "LILAC", "GOLD", "SILVER", "GREY", "GRAY", "BROWN", "NATURAL", "TURQUOISE",
    "TEAL", "NAVY", "BEIGE", "CLEAR", "MULTICOLOUR", "MULTI", "COLOUR", "COLOURED", "COLOR",
    "SMALL", "LARGE", "MEDIUM", "MINI", "BIG", "XL", "XXL", "S", "M", "L", "SET", "OF", "PACK",
    "SIZE", "ASSORTED", "ASST",
})
NOT_A_WORD = re.compile(r"[^0-9A-Z]+")


def family_key(description: str | None) -> str | None:
    """The words of a description that name the product: upper case, punctuation and numbers
    of packs aside, variant words dropped ("RED RETROSPOT CAKE CASES" and "PINK RETROSPOT CAKE
    CASES" are one family). None for no description; the whole description when every word is
    a variant word."""
    if description is None:
        return None
    words = [w for w in NOT_A_WORD.sub(" ", description.upper()).split() if not w.isdigit()]
    kept = [w for w in words if w not in VARIANT_WORDS]
    return " ".join(kept or words) or None


def product_families(descriptions: pl.DataFrame) -> pl.DataFrame:
    """`stock_code`, `family` (the family key of its description) of a table of
    `stock_code`, `description`."""
    return descriptions.select(
        "stock_code",
        pl.col("description").map_elements(family_key, return_dtype=pl.String)
        .alias("family"))
