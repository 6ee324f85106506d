"""Control groups: the customers of each action list held out at random, not to be contacted,
so that next month's report can measure what the action added.

- **Stratified by value.** The list is sorted by value (forecast CLV, else the last 12 months'
  revenue) and cut into consecutive blocks of about 1/share customers; one customer of each
  block, drawn at random, is the control. Contact and control then have the same value
  distribution, block by block, and the `stratum` column (the value decile in the list) lets
  the measurement compare like with like. When even so the control's mean value is more than
  BALANCE_TOLERANCE from the contacted customers', the draw is repeated (re-randomisation,
  Morgan and Rubin 2012) up to BALANCE_ATTEMPTS times, keeping the best.
- **Large enough to measure.** The control must be large enough to detect the play's expected
  effect at the configured power (`minimum_detectable_effect`, a two-sided test of two shares
  with the baseline's variance in both groups): the share is raised to the smallest control
  that does, up to `hold_out.max_share`. A list too small even then cannot be measured in
  one month: it keeps the configured share when the play's lists pooled over at most
  `hold_out.pool_months` months would detect the effect (the measurement pools a play's
  campaigns), and otherwise holds out no one and says so. The expected effect is the play's response among
  those who would not buy anyway: response x (1 - their mean chance of buying in 90 days).
- **Key accounts never held out** (`hold_out.never.top_accounts`): always contacted, in the
  group `contact_key_account`, and left out of the measurement.

Every draw is a pure function of unit, period, action, the list and the attempt (hashes), so
a re-run of the same month gives the same groups.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import ndtri  # the normal quantile, as scipy.stats.norm.ppf computes it

from reportgen.config import HoldOutOptions, PlaybookEntry, PlaybookOptions

CONTACT, CONTROL, KEY_ACCOUNT = "contact", "control", "contact_key_account"
STRATA = 10  # value deciles of a list
BALANCE_TOLERANCE = 0.05  # control's mean value within 5 % of the contacted customers'
BALANCE_ATTEMPTS = 500


def control_share(entry: PlaybookEntry, options: PlaybookOptions) -> float:
    """The share of the action's customers to hold out: the unit's setting for the action,
    else the entry's, else the unit's default."""
    if entry.id in options.control_shares:
        return options.control_shares[entry.id]
    return entry.control_share if entry.control_share is not None else options.control_share


def uniform_draw(unit: str, period: str, action: str, customer_id: str, attempt: int = 0
                 ) -> float:
    """A number in [0, 1) fixed by its keys (attempt 0 keeps the keys of lists published
    before re-randomisation)."""
    key = f"{unit}\x1f{period}\x1f{action}\x1f{customer_id}"
    if attempt:
        key += f"\x1f{attempt}"
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2**64


def z_sum(significance: float, power: float) -> float:
    """z of the two-sided significance level plus z of the power."""
    return float(ndtri(1 - significance / 2) + ndtri(power))


def minimum_detectable_effect(contacts: int, controls: int, baseline: float,
                              significance: float = 0.05, power: float = 0.8) -> float | None:
    """The smallest difference in the share buying, contacted minus control, that a two-sided
    test at `significance` detects with probability `power`:
    (z(1 - significance/2) + z(power)) x sqrt(p(1 - p)(1/contacts + 1/controls)), p the
    baseline share (at least 1 %, at most 99 %). None when a group is empty."""
    if contacts <= 0 or controls <= 0:
        return None
    p = min(max(baseline, 0.01), 0.99)
    return z_sum(significance, power) * math.sqrt(p * (1 - p) * (1 / contacts + 1 / controls))


def controls_needed(size: int, effect: float, baseline: float, options: HoldOutOptions
                    ) -> int | None:
    """The smallest control group of a list of `size` that detects `effect` at the configured
    power, or None when not even `max_share` of the list does."""
    limit = int(size * options.max_share)
    if limit < 1 or effect <= 0:
        return None

    def detects(controls: int) -> bool:
        mde = minimum_detectable_effect(size - controls, controls, baseline,
                                        options.significance, options.power)
        return mde is not None and mde <= effect

    if not detects(limit):
        return None
    low, high = 1, limit  # the detectable effect shrinks as the control grows (up to half)
    while low < high:
        middle = (low + high) // 2
        if detects(middle):
            high = middle
        else:
            low = middle + 1
    return low


@dataclass(frozen=True)
class HoldOut:
    """How a list's control group was sized, and what it can measure."""

    share: float  # share of the measurable customers held out
    controls: int
    key_accounts: int  # always contacted, not measured
    minimum_detectable_effect: float | None  # in points of the share buying, at the power
    power: float
    note: str  # how the group was sized, or why there is none


def hold_out_plan(measurable: int, key_accounts: int, configured_share: float,
                  effect: float, baseline: float, options: HoldOutOptions) -> HoldOut:
    """The control group's size for `measurable` customers (the list less its key accounts),
    in this order: the configured share when it detects `effect` this month; raised to the
    smallest group that does, up to `max_share`; else the configured share, when lists of
    this size pooled over up to `pool_months` months would detect it (the measurement pools
    a play's campaigns); else none: too small to measure."""
    if configured_share <= 0:
        return HoldOut(0.0, 0, key_accounts, None, options.power,
                       "control groups are off (playbook.control_share 0)")
    configured = round(configured_share * measurable)
    needed = controls_needed(measurable, effect, baseline, options)
    if needed is not None:
        controls = max(needed, configured)
        note = (f"raised from {configured_share:.0%} of the list to detect an expected "
                f"effect of {effect:.1%}" if controls > configured
                else f"{configured_share:.0%} of the list")
        return HoldOut(controls / measurable, controls, key_accounts,
                       minimum_detectable_effect(measurable - controls, controls, baseline,
                                                 options.significance, options.power),
                       options.power, note)
    single = minimum_detectable_effect(measurable - configured, configured, baseline,
                                       options.significance, options.power)
    months = math.ceil((single / effect) ** 2) if single is not None and effect > 0 else None
    if months is not None and months <= options.pool_months:
        return HoldOut(configured / measurable, configured, key_accounts, single, options.power,
                       f"too small to detect an expected effect of {effect:.1%} in one month; "
                       f"pooled with this play's next lists of this size, about {months} "
                       "months of campaigns detect it")
    return HoldOut(0.0, 0, key_accounts, None, options.power,
                   f"too small to measure an expected effect of {effect:.1%} even over "
                   f"{options.pool_months} months: no control group, everyone is contacted")


def with_groups(audience: pl.DataFrame, unit: str, period: str, action: str,
                share: float, *, value: str | None = None,
                never: frozenset[str] = frozenset()) -> pl.DataFrame:
    """The audience with `group` (contact, control or contact_key_account) and `stratum` (the
    value decile, 1 the highest; empty for key accounts) after customer_id: one control drawn
    at random in each block of about 1/share customers of similar value (`value` column, else
    the audience's order), redrawn while the control's mean value is off balance."""
    columns = [name for name in audience.columns if name != "customer_id"]
    keys = audience["customer_id"].cast(pl.String)
    key_account = keys.is_in(list(never)) if never else pl.Series([False] * audience.height)
    measurable = audience.filter(~key_account)
    if value is not None:
        measurable = measurable.sort([value, "customer_id"], descending=[True, False],
                                     nulls_last=True)
    ids = measurable["customer_id"].cast(pl.String).to_list()
    size = len(ids)
    values = (measurable[value].fill_null(0.0).to_numpy() if value is not None
              else np.zeros(size))
    best = np.zeros(size, dtype=bool)
    best_gap = math.inf
    attempts = 0 if share <= 0 or size == 0 else BALANCE_ATTEMPTS if value is not None else 1
    for attempt in range(attempts):
        chosen = _block_draw(_draws(ids, unit, period, action, attempt), share,
                             uniform_draw(unit, period, action, "last block", attempt))
        gap = _imbalance(values, chosen)
        if gap < best_gap:
            best, best_gap = chosen, gap
        if gap <= BALANCE_TOLERANCE:
            break
    groups = pl.DataFrame({
        "customer_id": measurable["customer_id"],
        "group": [CONTROL if held else CONTACT for held in best.tolist()],
        "stratum": [min(STRATA, index * STRATA // size + 1) for index in range(size)],
    }, schema={"customer_id": audience["customer_id"].dtype, "group": pl.String,
               "stratum": pl.Int64})
    keyed = audience.filter(key_account).select(
        "customer_id", pl.lit(KEY_ACCOUNT).alias("group"),
        pl.lit(None, dtype=pl.Int64).alias("stratum"))
    labelled = pl.concat([groups, keyed]) if keyed.height else groups
    return audience.join(labelled, on="customer_id", how="left", maintain_order="left") \
        .select("customer_id", "group", "stratum", *columns)


def _draws(ids: list[str], unit: str, period: str, action: str, attempt: int) -> np.ndarray:
    """One uniform draw per customer: attempt 0 each customer's own hash (`uniform_draw`);
    a redraw a generator seeded by the list's keys and the attempt, over the list's order."""
    if attempt == 0:
        return np.array([uniform_draw(unit, period, action, i) for i in ids])
    seed = int(uniform_draw(unit, period, action, "redraw", attempt) * 2**63)
    return np.random.default_rng(seed).random(len(ids))


def _block_draw(draws: np.ndarray, share: float, last_draw: float) -> np.ndarray:
    """Control or not for each customer of the list (one draw each, in the list's order;
    `share` above 0), one per block of consecutive customers (the block of position i is
    floor(i x share)): the customer of the smallest draw in the block. The last block, when
    partial, holds one with the chance its size allows (`last_draw` below size x share)."""
    size = draws.size
    held = np.zeros(size, dtype=bool)
    blocks = np.floor(np.arange(size) * share).astype(np.int64)
    order = np.lexsort((draws, blocks))  # by block, then draw
    firsts = order[np.r_[True, blocks[order][1:] != blocks[order][:-1]]]
    held[firsts] = True
    last = blocks[-1]
    last_size = int((blocks == last).sum())
    complete = math.floor(size * share) > last  # the position after the end opens a block
    if not complete and last_draw >= last_size * share:
        held[firsts[blocks[firsts] == last]] = False
    return held


def _imbalance(values: np.ndarray, held: np.ndarray) -> float:
    """|control mean / contact mean - 1| (0 when there is nothing to compare)."""
    if not held.any() or held.all():
        return 0.0
    contact_mean = float(values[~held].mean())
    if contact_mean == 0:
        return 0.0
    return abs(float(values[held].mean()) / contact_mean - 1)


@dataclass(frozen=True)
class MeasuredResponse:
    """A play's response measured on its earlier campaigns: contacted customers' share buying
    again minus the control group's (`uplift`, pooled over `campaigns` weighted by contacted
    customers), as a share of the customers the control groups show would not have bought:
    the playbook's response. Clipped to [0, 1]."""

    response: float
    campaigns: int
    uplift: float  # the pooled difference in the share buying, before clipping
