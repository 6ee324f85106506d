"""The chance that a customer buys again within a horizon, estimated without a model.

At earlier cut-off dates of the same data, every customer who had bought is placed in a cell
of recency (days since the last purchase) by frequency (purchase days so far), and whether
they bought within the horizon after the cut-off is counted. A cell's chance is its observed
share, shrunk towards its frequency band's (and that towards everyone's) with PRIOR_WEIGHT
customers' worth of weight, so thin cells borrow from their neighbours. Today's customers get
the chance of the cell they are in now.

Calibration is measured honestly: the chances are estimated again from all cut-offs but the
latest, applied at the latest one, and compared with what happened there, by decile of the
predicted chance (calibration_error: the customer-weighted mean gap between predicted and
observed shares).

The season: where the data reach a year back, the same weeks a year earlier are a cut-off too
(the season today's horizon falls in), checked the same way (season_calibration). A season
factor — last year's observed share in those weeks over what the other cut-offs' chances
predicted for them — scales today's chances only where the same kind of factor, measured a year
before the latest cut-off, brought that cut-off's predictions closer to what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

RECENCY_EDGES = (30, 60, 90, 180, 270, 365)  # days: <=30, 31-60, ..., 271-365, over 365
FREQUENCY_EDGES = (1, 2, 4, 9)  # purchase days: 1, 2, 3-4, 5-9, 10 and more
PRIOR_WEIGHT = 20.0
MIN_HISTORY_DAYS = 30  # a cut-off needs this much data before it
DECILES = 10


@dataclass(frozen=True)
class RepurchaseChance:
    """Each customer's chance of buying within the horizon, and how well it is calibrated."""

    horizon_days: int
    customers: pl.DataFrame  # customer_id, p_buy
    cells: pl.DataFrame  # recency_band, frequency_band, observations, bought, p_buy
    cutoffs: tuple[date, ...]  # the earlier dates it was estimated at, latest first
    calibration: pl.DataFrame  # decile, customers, predicted, observed (empty: not measured)
    calibration_error: float | None  # None with a single cut-off: nothing to validate on
    season_cutoff: date | None = None  # the same weeks a year earlier, where the data reach
    season_calibration: pl.DataFrame | None = None  # checked there (from the other cut-offs)
    season_calibration_error: float | None = None
    season_factor: float | None = None  # applied to today's chances (None: not applied)
    season_note: str = ""  # why the season factor is or is not applied

    @property
    def validated_on(self) -> date | None:
        """The cut-off the calibration was measured at (the latest)."""
        return self.cutoffs[0] if self.calibration_error is not None else None


def purchase_day_table(purchases: pl.DataFrame) -> pl.DataFrame:
    """One row per identified customer and purchase day."""
    return (
        purchases.filter(pl.col("customer_id").is_not_null())
        .select("customer_id", pl.col("invoice_date").dt.date().alias("day"))
        .unique()
    )


def cutoff_dates(days: pl.DataFrame, analysis_date: datetime, horizon_days: int,
                 step_days: int, most: int) -> list[date]:
    """Cut-offs whose horizon ends by the analysis date, latest first, each with history."""
    first = days["day"].min()
    if not isinstance(first, date):
        return []
    latest = analysis_date.date() - timedelta(days=horizon_days)
    found = []
    for k in range(most):
        cutoff = latest - timedelta(days=k * step_days)
        if (cutoff - first).days < MIN_HISTORY_DAYS:
            break
        found.append(cutoff)
    return found


def band(column: str, edges: tuple[int, ...]) -> pl.Expr:
    """The index of the band a value falls in: 0 for <= edges[0], ..., len(edges) above all."""
    return pl.sum_horizontal([(pl.col(column) > edge).cast(pl.Int32) for edge in edges])


def states(days: pl.DataFrame, cutoff: date, horizon_days: int | None) -> pl.DataFrame:
    """Each customer's cell at a cut-off, and (with a horizon) whether they bought within it."""
    before = days.filter(pl.col("day") < cutoff).group_by("customer_id").agg(
        pl.col("day").max().alias("last_day"), pl.len().alias("purchase_days"))
    table = before.with_columns(
        (pl.lit(cutoff) - pl.col("last_day")).dt.total_days().alias("recency"),
    ).with_columns(
        band("recency", RECENCY_EDGES).alias("recency_band"),
        band("purchase_days", FREQUENCY_EDGES).alias("frequency_band"),
    )
    if horizon_days is None:
        return table
    buyers = days.filter(pl.col("day").is_between(
        cutoff, cutoff + timedelta(days=horizon_days), closed="left")).select(
        "customer_id").unique().with_columns(pl.lit(True).alias("bought"))
    return table.join(buyers, on="customer_id", how="left").with_columns(
        pl.col("bought").fill_null(False))


def cell_chances(observed: pl.DataFrame) -> pl.DataFrame:
    """Smoothed chance per cell: the cell's share shrunk to its frequency band's, that shrunk
    to the overall share."""
    overall = float(observed["bought"].mean() or 0.0)  # type: ignore[arg-type]
    bands = observed.group_by("frequency_band").agg(
        pl.len().alias("band_n"), pl.col("bought").sum().alias("band_bought"),
    ).with_columns(((pl.col("band_bought") + PRIOR_WEIGHT * overall)
                    / (pl.col("band_n") + PRIOR_WEIGHT)).alias("band_p"))
    return (
        observed.group_by("recency_band", "frequency_band").agg(
            pl.len().alias("observations"), pl.col("bought").sum().alias("bought"))
        .join(bands.select("frequency_band", "band_p"), on="frequency_band")
        .with_columns(((pl.col("bought") + PRIOR_WEIGHT * pl.col("band_p"))
                       / (pl.col("observations") + PRIOR_WEIGHT)).alias("p_buy"))
        .select("recency_band", "frequency_band", "observations", "bought", "p_buy", "band_p")
        .sort("recency_band", "frequency_band")
    )


def apply_chances(cells: pl.DataFrame, table: pl.DataFrame, overall: float) -> pl.DataFrame:
    """Each customer's chance from their cell; an unseen cell falls back to its band, then
    to the overall share."""
    bands = cells.group_by("frequency_band").agg(pl.col("band_p").first())
    return (
        table.join(cells.select("recency_band", "frequency_band", "p_buy"),
                   on=["recency_band", "frequency_band"], how="left")
        .join(bands, on="frequency_band", how="left")
        .with_columns(pl.coalesce("p_buy", "band_p", pl.lit(overall)).alias("p_buy"))
        .drop("band_p")
    )


def calibration_table(predicted: pl.DataFrame) -> pl.DataFrame:
    """Predicted against observed share by decile of the predicted chance."""
    ranked = predicted.sort("p_buy", "customer_id").with_row_index("rank").with_columns(
        (pl.col("rank") * DECILES // pl.len() + 1).cast(pl.Int64).alias("decile"))
    return ranked.group_by("decile").agg(
        pl.len().alias("customers"),
        pl.col("p_buy").mean().alias("predicted"),
        pl.col("bought").mean().alias("observed"),
    ).sort("decile")


def calibration_error(table: pl.DataFrame) -> float:
    """The customer-weighted mean gap between predicted and observed shares of a
    calibration_table."""
    return float(table.select(
        (pl.col("customers") * (pl.col("predicted") - pl.col("observed")).abs()).sum()
        / pl.col("customers").sum()).item())


def held_out(observations: list[pl.DataFrame], checked: pl.DataFrame) -> pl.DataFrame:
    """The chances estimated from `observations`, applied at the `checked` cut-off's cells."""
    pooled = pl.concat(observations)
    return apply_chances(cell_chances(pooled), checked,
                         float(pooled["bought"].mean() or 0.0))  # type: ignore[arg-type]


def season_ratio(days: pl.DataFrame, cutoff: date, horizon_days: int, step_days: int,
                 most: int) -> float | None:
    """Observed over predicted share of buyers at `cutoff`, predicted from the cut-offs before
    it (as a report then would have); None without them."""
    first = days["day"].min()
    if not isinstance(first, date):
        return None
    starts = [cutoff - timedelta(days=horizon_days + k * step_days) for k in range(most)]
    earlier = [states(days, start, horizon_days) for start in starts
               if (start - first).days >= MIN_HISTORY_DAYS]
    earlier = [table for table in earlier if table.height]
    checked = states(days, cutoff, horizon_days)
    if not earlier or checked.is_empty():
        return None
    predicted = float(held_out(earlier, checked)["p_buy"].mean() or 0.0)  # type: ignore[arg-type]
    observed = float(checked["bought"].mean() or 0.0)  # type: ignore[arg-type]
    return observed / predicted if predicted > 0 else None


def repurchase_chance(
    purchases: pl.DataFrame, analysis_date: datetime, horizon_days: int = 90,
    step_days: int = 30, most_cutoffs: int = 6,
) -> RepurchaseChance | None:
    """The chance of buying within `horizon_days` for every customer who bought before the
    analysis date; None when no earlier cut-off has both history and a full horizon after."""
    days = purchase_day_table(purchases.filter(pl.col("invoice_date") < analysis_date))
    cutoffs = cutoff_dates(days, analysis_date, horizon_days, step_days, most_cutoffs)
    observations = [states(days, cutoff, horizon_days) for cutoff in cutoffs]
    observations = [table for table in observations if table.height]
    if not observations:
        return None
    year = timedelta(days=364)
    first = days["day"].min()
    season_cutoff = analysis_date.date() - year
    has_season = (isinstance(first, date) and (season_cutoff - first).days >= MIN_HISTORY_DAYS
                  and season_cutoff + timedelta(days=horizon_days) <= analysis_date.date())
    season_observed = states(days, season_cutoff, horizon_days) if has_season else None
    pooled = pl.concat([*observations, *([season_observed] if season_observed is not None
                                         and season_observed.height else [])])
    overall = float(pooled["bought"].mean() or 0.0)  # type: ignore[arg-type]
    cells = cell_chances(pooled)
    now = apply_chances(cells, states(days, analysis_date.date(), None), overall)
    calibration = pl.DataFrame(schema={"decile": pl.Int64, "customers": pl.UInt32,
                                       "predicted": pl.Float64, "observed": pl.Float64})
    error = None
    if len(observations) > 1:
        calibration = calibration_table(held_out(observations[1:], observations[0]))
        error = calibration_error(calibration)
    season_table = season_error = factor = None
    note = "the data do not reach a year back"
    if season_observed is not None and season_observed.height:
        season_table = calibration_table(held_out(observations, season_observed))
        season_error = calibration_error(season_table)
        factor, note = _season_factor(days, cutoffs[0], season_cutoff, horizon_days,
                                      step_days, most_cutoffs, observations)
        if factor is not None:
            now = now.with_columns((pl.col("p_buy") * factor).clip(0.0, 1.0))
    return RepurchaseChance(
        horizon_days=horizon_days,
        customers=now.select("customer_id", "p_buy").sort("customer_id"),
        cells=cells.drop("band_p"),
        cutoffs=tuple(cutoffs[:len(observations)]),
        calibration=calibration,
        calibration_error=error,
        season_cutoff=season_cutoff if season_table is not None else None,
        season_calibration=season_table,
        season_calibration_error=season_error,
        season_factor=factor,
        season_note=note,
    )


def _season_factor(days: pl.DataFrame, latest: date, season_cutoff: date, horizon_days: int,
                   step_days: int, most: int, observations: list[pl.DataFrame]
                   ) -> tuple[float | None, str]:
    """Today's season factor (last year's ratio in today's weeks), applied only where the
    ratio measured a year before the latest cut-off improved that cut-off's calibration."""
    today = season_ratio(days, season_cutoff, horizon_days, step_days, most)
    check = season_ratio(days, latest - timedelta(days=364), horizon_days, step_days, most)
    if today is None or check is None or len(observations) < 2:
        return None, "the data do not reach far enough back to check a season factor"
    plain = held_out(observations[1:], observations[0])
    scaled = plain.with_columns((pl.col("p_buy") * check).clip(0.0, 1.0))
    before, after = (calibration_error(calibration_table(t)) for t in (plain, scaled))
    if after >= before:
        return None, (f"last year's season factor did not improve the latest check "
                      f"({after:.1%} scaled against {before:.1%})")
    return today, (f"scaled by last year's season factor {today:.2f} (it cut the latest "
                   f"check's error from {before:.1%} to {after:.1%})")
