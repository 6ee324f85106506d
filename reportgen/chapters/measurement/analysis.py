"""Measured response to earlier action lists: contacted customers against their control group.

Each list is measured from its campaign date (when marked as carried out) or else from the
first day after the month that proposed it, for `window_months`, up to the analysis date. A
customer responded when they bought anything in that window; revenue is what they spent in it.
A list not carried out measures its audience's natural response (neither group was contacted).
Key accounts (group contact_key_account) were never drawn, so they are left out; a list drawn
in value strata is compared stratum by stratum (`stats`).
"""

from __future__ import annotations

import hashlib
from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from reportgen.chapters.measurement.stats import (
    mean_difference_interval,
    proportion_difference_interval,
    stratified_mean_difference,
    stratified_proportion_difference,
)
from reportgen.config import MeasurementConfig
from reportgen.outputs.campaigns import EarlierLists, PublishedList
from reportgen.period import Period
from reportgen.playbook.control import CONTACT, CONTROL, MeasuredResponse


@dataclass(frozen=True)
class GroupOutcome:
    """What one group of a list did in the measurement window."""

    customers: int
    buyers: int
    revenue: float

    @property
    def response(self) -> float:
        """Share of the group who bought again."""
        return self.buyers / self.customers if self.customers else 0.0

    @property
    def revenue_per_customer(self) -> float:
        """Revenue in the window per customer of the group."""
        return self.revenue / self.customers if self.customers else 0.0


@dataclass(frozen=True)
class CampaignResult:
    """One earlier action list, measured."""

    period: Period  # the month whose report proposed it
    play: str
    title: str
    sent: datetime | None  # campaign date when marked as carried out
    start: datetime
    measured_until: datetime
    window_end: datetime
    contact: GroupOutcome
    control: GroupOutcome
    response_difference: float | None  # contact minus control (None: not measurable)
    response_interval: tuple[float, float] | None
    revenue_difference: float | None  # per customer, contact minus control
    revenue_interval: tuple[float, float] | None
    not_in_data: int  # customers of the list with no purchase at all in this run's data
    note: str | None  # why the difference is not measured, if it is not

    @property
    def carried_out(self) -> bool:
        """Whether the list was marked as carried out."""
        return self.sent is not None

    @property
    def complete(self) -> bool:
        """Whether the whole measurement window is over."""
        return self.measured_until >= self.window_end

    @property
    def incremental_revenue(self) -> float | None:
        """Revenue per customer difference times the contacted customers."""
        if self.revenue_difference is None:
            return None
        return self.revenue_difference * self.contact.customers

    @property
    def incremental_interval(self) -> tuple[float, float] | None:
        """The revenue interval times the contacted customers."""
        if self.revenue_interval is None:
            return None
        low, high = self.revenue_interval
        return low * self.contact.customers, high * self.contact.customers

    @property
    def significant(self) -> bool | None:
        """Whether the incremental revenue's interval excludes zero (None: not measured)."""
        if self.revenue_interval is None:
            return None
        low, high = self.revenue_interval
        return low > 0 or high < 0


@dataclass(frozen=True)
class MeasurementResult:
    """The earlier lists still within their window (newest month first), the measured
    responses the playbook uses, and what could not be read."""

    campaigns: tuple[CampaignResult, ...]
    measured_responses: dict[str, MeasuredResponse]
    problems: tuple[str, ...]
    params: MeasurementConfig

    @property
    def has_page(self) -> bool:
        """Whether there is anything to measure, report or feed back (else no page)."""
        return bool(self.campaigns or self.problems or self.measured_responses)

    @property
    def months(self) -> tuple[Period, ...]:
        """The proposing months shown, newest first."""
        return tuple(sorted({c.period for c in self.campaigns}, reverse=True))


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def measurement_analysis(orders: pl.DataFrame, earlier: EarlierLists, period: Period,
                         unit: str, params: MeasurementConfig) -> MeasurementResult:
    """Measure every earlier list; keep those whose window reaches into this month or later.
    `orders`: one row per order (`CleanTransactions.orders`; windows start at midnight, and an
    order never spans two days)."""
    analysis_date = period.analysis_date
    identified = orders.filter(pl.col("customer_id").is_not_null())
    in_data = identified.select("customer_id").unique()
    measured: list[CampaignResult] = []
    shown: list[CampaignResult] = []
    for published in earlier.lists:
        start = (datetime.combine(published.sent, datetime.min.time()) if published.sent
                 else published.period.analysis_date)
        if start >= analysis_date:
            continue  # carried out after this report's month: nothing to measure yet
        # a list whose window ended before this month only feeds back its response: no page,
        # so no bootstrap
        on_page = add_months(start, params.window_months) > period.start
        result = measure_list(identified, in_data, published, start, analysis_date, unit,
                              params, with_revenue_interval=on_page)
        measured.append(result)
        if on_page:
            shown.append(result)
    shown.sort(key=lambda c: (-c.period.start.timestamp(), c.play))
    return MeasurementResult(tuple(shown),
                             measured_responses(measured, params.min_campaigns),
                             earlier.problems, params)


def measure_list(identified: pl.DataFrame, in_data: pl.DataFrame, published: PublishedList,
                 start: datetime, analysis_date: datetime, unit: str,
                 params: MeasurementConfig, with_revenue_interval: bool = True
                 ) -> CampaignResult:
    """Contact against control for one list over [start, min(window end, analysis date));
    the revenue interval only when asked for (it is the costly part)."""
    window_end = add_months(start, params.window_months)
    until = min(window_end, analysis_date)
    spent = (identified.filter(pl.col("invoice_date").is_between(start, until, closed="left"))
             .group_by("customer_id").agg(pl.col("revenue").sum().alias("revenue")))
    customers = (published.groups.unique("customer_id", keep="first", maintain_order=True)
                 .join(spent, on="customer_id", how="left")
                 .with_columns(pl.col("revenue").is_not_null().alias("bought"),
                               pl.col("revenue").fill_null(0.0)))
    not_in_data = customers.join(in_data, on="customer_id", how="anti").height
    contact_rows = customers.filter(pl.col("group") == CONTACT)
    control_rows = customers.filter(pl.col("group") == CONTROL)
    contact, control = outcome(contact_rows), outcome(control_rows)
    strata = paired_strata(contact_rows, control_rows)
    note = None
    if not published.has_control_column:
        note = "published before control groups: no control group to compare with"
    elif control.customers < params.min_group or contact.customers < params.min_group:
        note = (f"a group has fewer than {params.min_group} customers: the difference is not "
                "measured")
    response_difference = response_interval = revenue_difference = revenue_interval = None
    seed = stable_seed(unit, str(published.period), published.play)
    if note is None and strata:  # drawn in value strata: like compared with like
        response_difference, response_interval = stratified_proportion_difference(
            [(outcome(c).buyers, c.height, outcome(k).buyers, k.height) for c, k in strata],
            params.confidence)
        revenue_difference, interval = stratified_mean_difference(
            [(c["revenue"].to_numpy(), k["revenue"].to_numpy()) for c, k in strata],
            params.confidence, params.bootstrap_samples if with_revenue_interval else 1, seed)
        revenue_interval = interval if with_revenue_interval else None
    elif note is None:
        response_difference = contact.response - control.response
        response_interval = proportion_difference_interval(
            contact.buyers, contact.customers, control.buyers, control.customers,
            params.confidence)
        revenue_difference = contact.revenue_per_customer - control.revenue_per_customer
        if with_revenue_interval:
            revenue_interval = mean_difference_interval(
                contact_rows["revenue"].to_numpy(), control_rows["revenue"].to_numpy(),
                params.confidence, params.bootstrap_samples, seed=seed)
    return CampaignResult(
        period=published.period, play=published.play, title=published.title,
        sent=datetime.combine(published.sent, datetime.min.time()) if published.sent else None,
        start=start, measured_until=until, window_end=window_end,
        contact=contact, control=control,
        response_difference=response_difference, response_interval=response_interval,
        revenue_difference=revenue_difference, revenue_interval=revenue_interval,
        not_in_data=not_in_data, note=note,
    )


def paired_strata(contact: pl.DataFrame, control: pl.DataFrame
                  ) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """The value strata holding both groups, as (contact rows, control rows); empty for a list
    drawn without strata (or with one), which is compared as a whole."""
    if "stratum" not in contact.columns or contact["stratum"].null_count() == contact.height:
        return []
    pairs = [(contact.filter(pl.col("stratum") == s), control.filter(pl.col("stratum") == s))
             for s in sorted(set(contact["stratum"].drop_nulls().to_list()))]
    pairs = [(c, k) for c, k in pairs if c.height and k.height]
    return pairs if len(pairs) > 1 else []


def outcome(rows: pl.DataFrame) -> GroupOutcome:
    """Customers, buyers and revenue of a group's rows."""
    return GroupOutcome(rows.height, int(rows["bought"].sum()), float(rows["revenue"].sum()))


def stable_seed(*keys: str) -> int:
    """A bootstrap seed fixed by the keys, so a re-run gives the same interval."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(keys).encode(), digest_size=8).digest(),
                          "big")


def measured_responses(results: list[CampaignResult], min_campaigns: int
                       ) -> dict[str, MeasuredResponse]:
    """Per play with at least `min_campaigns` campaigns carried out and measured over their
    whole window with a control group: the response difference pooled over them (weighted by
    contacted customers) over the pooled share of the control groups not buying, clipped to
    [0, 1]."""
    by_play: dict[str, list[CampaignResult]] = {}
    for result in results:
        if result.carried_out and result.complete and result.response_difference is not None:
            by_play.setdefault(result.play, []).append(result)
    responses = {}
    for play, campaigns in by_play.items():
        if len(campaigns) < min_campaigns:
            continue
        weights = np.array([c.contact.customers for c in campaigns], dtype=float)
        differences = np.array([c.response_difference for c in campaigns], dtype=float)
        uplift = float((weights * differences).sum() / weights.sum())
        buying_anyway = float((weights * np.array([c.control.response for c in campaigns]))
                              .sum() / weights.sum())
        # the extra buyers as a share of those who would not have bought: the playbook's
        # response (an expected effect of response x (1 - buying anyway))
        response = uplift / (1 - buying_anyway) if buying_anyway < 1 else 0.0
        responses[play] = MeasuredResponse(min(max(response, 0.0), 1.0), len(campaigns), uplift)
    return responses

