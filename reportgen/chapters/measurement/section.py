"""The measurement page: for each earlier month still within its window, newest first, one
table and one chart of its action lists, contacted customers against their control group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.measurement.analysis import CampaignResult, MeasurementResult
from reportgen.chapters.measurement.charts import response_difference_chart
from reportgen.display.charts import Chart


@dataclass(frozen=True)
class CampaignRow:
    """One list's measured figures as the table shows them."""

    title: str
    sent: datetime | None
    contact: int
    control: int
    response_contact: float
    response_control: float | None
    response_difference: float | None
    response_interval: tuple[float, float] | None
    revenue_per_customer_contact: float
    revenue_per_customer_control: float | None
    incremental_revenue: float | None
    incremental_interval: tuple[float, float] | None
    significant: bool | None
    note: str | None
    not_in_data: int


@dataclass(frozen=True)
class MonthBlock:
    """The lists one earlier report proposed."""

    label: str
    chart: str | None  # key of its chart, when a difference was measured
    rows: tuple[CampaignRow, ...]
    measured_from: datetime  # the earliest start of its lists
    measured_through: datetime  # the last day with purchases counted
    complete: bool  # every list's window is over


@dataclass(frozen=True)
class MeasuredPlay:
    """A play whose expected response now comes from its campaigns."""

    title: str
    response: float
    uplift: float
    campaigns: int


@dataclass(frozen=True)
class MeasurementView:
    """What the page shows."""

    months: tuple[MonthBlock, ...]
    problems: tuple[str, ...]
    confidence: float
    window_months: int
    min_campaigns: int
    measured_plays: tuple[MeasuredPlay, ...]


def measurement_section(result: MeasurementResult, inputs: SectionInputs
                        ) -> Section[MeasurementView] | None:
    """The page; None when there is nothing to measure, to report or to feed back."""
    if not result.has_page:
        return None
    months: list[MonthBlock] = []
    charts: dict[str, Chart] = {}
    for month in result.months:
        campaigns = [c for c in result.campaigns if c.period == month]
        measured = [c for c in campaigns if c.response_interval is not None]
        key = None
        if measured:
            key = f"response_{month}"
            charts[key] = Chart("", "", response_difference_chart(pl.DataFrame({
                "action": [c.title for c in measured],
                "difference": [100 * (c.response_difference or 0.0) for c in measured],
                "low": [100 * c.response_interval[0] for c in measured],  # type: ignore[index]
                "high": [100 * c.response_interval[1] for c in measured],  # type: ignore[index]
                "carried_out": [c.carried_out for c in measured],
            })))
        months.append(MonthBlock(
            label=month.label, chart=key, rows=tuple(campaign_row(c) for c in campaigns),
            measured_from=min(c.start for c in campaigns),
            measured_through=max(c.measured_until for c in campaigns) - timedelta(days=1),
            complete=all(c.complete for c in campaigns)))
    titles = {c.play: c.title for c in result.campaigns}
    titles.update({r.id: r.title for r in inputs.playbook.recommendations})
    return Section(
        MeasurementView(
            months=tuple(months), problems=result.problems,
            confidence=result.params.confidence, window_months=result.params.window_months,
            min_campaigns=result.params.min_campaigns,
            measured_plays=tuple(
                MeasuredPlay(titles.get(play, play), m.response, m.uplift, m.campaigns)
                for play, m in sorted(result.measured_responses.items())),
        ),
        charts=charts,
    )


def campaign_row(campaign: CampaignResult) -> CampaignRow:
    """A measured list as a table row."""
    has_control = campaign.control.customers > 0
    return CampaignRow(
        title=campaign.title, sent=campaign.sent,
        contact=campaign.contact.customers, control=campaign.control.customers,
        response_contact=campaign.contact.response,
        response_control=campaign.control.response if has_control else None,
        response_difference=campaign.response_difference,
        response_interval=campaign.response_interval,
        revenue_per_customer_contact=campaign.contact.revenue_per_customer,
        revenue_per_customer_control=(campaign.control.revenue_per_customer if has_control
                                      else None),
        incremental_revenue=campaign.incremental_revenue,
        incremental_interval=campaign.incremental_interval,
        significant=campaign.significant, note=campaign.note, not_in_data=campaign.not_in_data,
    )
