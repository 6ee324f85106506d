"""Products in and out of season: a product that sells in a few months of the year is not
suggested in a campaign after its season has ended or as it ends.

A product is seasonal when it has sold for at least MIN_HISTORY_MONTHS before the analysis
date, on at least MIN_SEASON_LINES lines in the last 12 months, and its season — the run of
consecutive calendar months around its peak month whose units are at least PEAK_SHARE of the
peak's — spans at most MAX_SEASON_MONTHS and holds at least MIN_SEASON_SHARE of its last 12
months' units. The campaign month (the month after the report)
is out of season when it is outside the season and not in the LEAD_MONTHS before it (stocking
up ahead of a season is in time), or inside it after the peak with the next month outside (the
season ends with the campaign).

A product with less history cannot show its own season (launched three months ago, it looks
seasonal but may only be new): it takes the season of the words of its description, learnt from
the products with a year of history — a word used by at least MIN_WORD_PRODUCTS of them whose
pooled monthly pattern (each product's monthly shares, added) is seasonal by the same rule;
of several, the word whose season holds the most. So a new product named like the unit's
own winter goods takes their season, whatever the language or the holiday.
"""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl

MIN_HISTORY_MONTHS = 9
MIN_SEASON_LINES = 30  # fewer lines in the year: too few sales to tell a season from chance
MIN_WORD_PRODUCTS = 5
PEAK_SHARE = 0.25
MAX_SEASON_MONTHS = 4
MIN_SEASON_SHARE = 0.6
LEAD_MONTHS = 2


def off_season_products(product_months: pl.DataFrame, analysis_date: datetime,
                        campaign_month: int, descriptions: pl.DataFrame | None = None
                        ) -> pl.DataFrame:
    """`stock_code`, `season_start`, `season_end` (calendar months, 1-12) and `learnt_from`
    (null: its own sales; else the description word whose season it takes) of the products
    out of season in `campaign_month`, from `stock_code`, `month` (its first day), `lines` and
    `quantity` of the purchases (`product_months` without the cancelled orders) and, for the
    products with less history, `descriptions` (`stock_code`, `description`)."""
    year_start = datetime(analysis_date.year - 1, analysis_date.month, 1)
    sold = product_months.filter(pl.col("month") < analysis_date)
    history = sold.group_by("stock_code").agg(pl.col("month").min().alias("first"))
    months_known = ((analysis_date.year * 12 + analysis_date.month)
                    - (pl.col("first").dt.year() * 12 + pl.col("first").dt.month()))
    old_enough = set(history.filter(months_known >= MIN_HISTORY_MONTHS)["stock_code"])
    year = sold.filter(pl.col("month") >= year_start)
    enough = year.group_by("stock_code").agg(pl.col("lines").sum()).filter(
        pl.col("lines") >= MIN_SEASON_LINES)["stock_code"]
    units = (year.filter(pl.col("stock_code").is_in(enough.implode()))
             .group_by("stock_code", pl.col("month").dt.month().alias("calendar"))
             .agg(pl.col("quantity").sum()))
    by_product: dict[str, list[float]] = {}
    for code, calendar, quantity in units.iter_rows():
        by_product.setdefault(code, [0.0] * 12)[calendar - 1] += max(float(quantity), 0.0)
    words_of = _words_of(descriptions)
    word_seasons = _word_seasons(by_product, old_enough, words_of)
    rows = []
    for code, monthly in sorted(by_product.items()):
        if code in old_enough:
            season, pattern, word = season_of(monthly), monthly, None
        else:
            seasonal = [(share, name) for name in words_of.get(code, ())
                        if (share := word_seasons.get(name, (0.0, []))[0]) > 0]
            if not seasonal:
                continue
            word = max(seasonal)[1]
            pattern = word_seasons[word][1]
            season = season_of(pattern)
        if season is not None and out_of_season(pattern, season, campaign_month):
            rows.append((code, season[0] + 1, season[1] + 1, word))
    return pl.DataFrame(rows, schema={"stock_code": pl.String, "season_start": pl.Int64,
                                      "season_end": pl.Int64, "learnt_from": pl.String},
                        orient="row")


def _words_of(descriptions: pl.DataFrame | None) -> dict[str, set[str]]:
    """Each product's description words (letters only, two or more)."""
    if descriptions is None:
        return {}
    return {code: {w for w in re.split(r"[^A-Z]+", (text or "").upper()) if len(w) > 1}
            for code, text in descriptions.select("stock_code", "description").iter_rows()}


def _word_seasons(by_product: dict[str, list[float]], old_enough: set[str],
                  words_of: dict[str, set[str]]) -> dict[str, tuple[float, list[float]]]:
    """For each seasonal word of the products with a year of history: the share of its pooled
    pattern in its season, and the pattern."""
    pooled: dict[str, list[float]] = {}
    products: dict[str, int] = {}
    for code, words in words_of.items():
        monthly = by_product.get(code)
        if code not in old_enough or monthly is None or sum(monthly) <= 0:
            continue
        total = sum(monthly)
        for word in words:
            pattern = pooled.setdefault(word, [0.0] * 12)
            for month in range(12):
                pattern[month] += monthly[month] / total
            products[word] = products.get(word, 0) + 1
    seasons = {}
    for word, pattern in pooled.items():
        season = season_of(pattern) if products[word] >= MIN_WORD_PRODUCTS else None
        if season is not None:
            start, end = season
            months = [(start + k) % 12 for k in range((end - start) % 12 + 1)]
            seasons[word] = (sum(pattern[m] for m in months) / sum(pattern), pattern)
    return seasons


def season_of(monthly: list[float]) -> tuple[int, int] | None:
    """The season's first and last month (0-11, the last possibly before the first across the
    new year) of twelve monthly units, or None when the product is not seasonal."""
    total = sum(monthly)
    if total <= 0:
        return None
    peak = max(range(12), key=lambda m: (monthly[m], -m))
    floor = PEAK_SHARE * monthly[peak]
    start = end = peak
    length = 1
    while length < 12 and monthly[(start - 1) % 12] >= floor:
        start, length = (start - 1) % 12, length + 1
    while length < 12 and monthly[(end + 1) % 12] >= floor:
        end, length = (end + 1) % 12, length + 1
    months = [(start + k) % 12 for k in range(length)]
    if length > MAX_SEASON_MONTHS or sum(monthly[m] for m in months) < MIN_SEASON_SHARE * total:
        return None
    return start, end


def out_of_season(monthly: list[float], season: tuple[int, int], campaign_month: int) -> bool:
    """Whether a campaign in `campaign_month` (1-12) falls after the season, as it ends, or
    too long before it."""
    start, end = season
    length = (end - start) % 12 + 1
    months = [(start + k) % 12 for k in range(length)]
    month = campaign_month - 1
    if month not in months:
        return (start - month) % 12 > LEAD_MONTHS  # not in the lead-up to the season
    peak = max(months, key=lambda m: monthly[m])
    after_peak = months.index(month) > months.index(peak)
    return after_peak and (month + 1) % 12 not in months
