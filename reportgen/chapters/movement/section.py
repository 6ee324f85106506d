"""The month explained: the bridge, the movers, what stands out, next month and the targets; and
the sentences the executive summary and the email lead with."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import Section, SectionInputs
from reportgen.chapters.forecast.analysis import ForecastResult
from reportgen.chapters.forecast.section import ForecastView, forecast_view
from reportgen.chapters.movement.analysis import (
    PART_LABELS,
    AccountMover,
    Anomaly,
    MovementResult,
    RevenueBridge,
)
from reportgen.chapters.movement.charts import bridge_chart
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.summary.analysis import SummaryResult
from reportgen.chapters.summary.kpis import KPIS
from reportgen.config import TARGET_KEYS, TargetsConfig
from reportgen.display.charts import Chart
from reportgen.display.formatting import day, figure, money, pct, segment_label


@dataclass(frozen=True)
class BridgeRow:
    """One part of the bridge against each comparison month."""

    label: str
    customers: int
    change: float
    customers_year: int | None  # against the same month a year earlier, where measured
    change_year: float | None


@dataclass(frozen=True)
class MoverRow:
    """An account that moved, as the tables show it."""

    customer_id: str
    segment: str
    last_order: str
    value: float
    previous_value: float
    usual_value: float
    change: float  # this month against the usual month, relative


@dataclass(frozen=True)
class TargetRow:
    """A target of the month against what happened."""

    label: str
    kind: str
    actual: float | None
    target: float
    gap: float | None  # (actual - target) / target


@dataclass(frozen=True)
class MovementView:
    """What the month-explained page shows."""

    reading: str  # the bridge in one sentence
    previous_label: str
    year_label: str | None  # the same month a year earlier, when its bridge is measured
    rows: tuple[BridgeRow, ...]
    revenue: float
    previous_revenue: float
    revenue_year: float | None
    falling: tuple[MoverRow, ...]
    rising: tuple[MoverRow, ...]
    anomalies: tuple[Anomaly, ...]
    forecast: ForecastView | None
    forecast_missing: str  # why there is no forecast, when there is none
    targets: tuple[TargetRow, ...]
    next_target: float | None  # next month's revenue target


def movement_section(result: MovementResult, inputs: SectionInputs) -> Section[MovementView]:
    """The page, its waterfall and the past forecasts' chart."""
    currency, symbol = inputs.config.currency, inputs.symbol
    bridge, year = result.bridge, result.bridge_year
    segments = inputs.results.get("segments", SegmentsResult)
    labels = (dict(segments.customers.select("customer_id", "segment").iter_rows())
              if segments is not None else {})
    rows = tuple(
        BridgeRow(PART_LABELS[name], bridge.counts[name], change,
                  year.counts[name] if year else None, getattr(year, name) if year else None)
        for name, change in bridge.parts())
    forecast = inputs.results.get("forecast", ForecastResult)
    charts = {"bridge": Chart("", "", bridge_chart(bridge, currency, symbol))}
    view_of_forecast = None
    if forecast is not None and forecast.next_month is not None:
        view_of_forecast, forecast_charts = forecast_view(forecast, inputs)
        charts.update(forecast_charts)
    targets = inputs.config.targets
    summary = inputs.results.of("summary", SummaryResult)
    view = MovementView(
        reading=bridge_reading(bridge, result.anomalies, currency),
        previous_label=bridge.previous_period.label,
        year_label=year.previous_period.label if year else None,
        rows=rows, revenue=bridge.revenue, previous_revenue=bridge.previous_revenue,
        revenue_year=year.previous_revenue if year else None,
        falling=tuple(mover_row(m, labels) for m in result.movers if m.direction == "falling"),
        rising=tuple(mover_row(m, labels) for m in result.movers if m.direction == "rising"),
        anomalies=result.anomalies,
        forecast=view_of_forecast,
        forecast_missing=forecast_missing(forecast),
        targets=target_rows(targets, summary, inputs),
        next_target=targets.for_month("revenue", str(inputs.period.shift(1))),
    )
    return Section(view, charts=charts)  # the summary's story carries its reading


def forecast_missing(forecast: ForecastResult | None) -> str:
    """Why next month has no forecast ("" when it has one)."""
    if forecast is None:
        return "there is no lifetime-value model this month to forecast identified customers with"
    return "" if forecast.next_month is not None else forecast.reason


def mover_row(mover: AccountMover, segments: dict[str, str]) -> MoverRow:
    """A mover with its segment and last order in words."""
    return MoverRow(mover.customer_id, segment_label(segments.get(mover.customer_id) or ""),
                    day(mover.last_order), mover.value, mover.previous_value, mover.usual_value,
                    mover.recent_value / mover.usual_value - 1)


def target_rows(targets: TargetsConfig, summary: SummaryResult,
                inputs: SectionInputs) -> tuple[TargetRow, ...]:
    """The month's targets that are set, against the month's figures."""
    month = str(inputs.period)
    rows = []
    for key in TARGET_KEYS:
        target = targets.for_month(key, month)
        if target is None:
            continue
        kpi = next(kpi for kpi in KPIS if kpi.key == key)  # the catalogue names each target
        label, kind = kpi.label, kpi.kind
        actual = getattr(summary.kpis, key)
        rows.append(TargetRow(label, kind, actual, target,
                              (actual - target) / target if actual is not None and target
                              else None))
    return tuple(rows)


def bridge_reading(bridge: RevenueBridge, anomalies: tuple[Anomaly, ...], currency: str) -> str:
    """The bridge in one sentence: the change and the parts that drove it, largest first."""
    if bridge.previous_revenue <= 0:
        return (f"Revenue of {money(bridge.revenue, currency)} in {bridge.period.label}; "
                f"{bridge.previous_period.label} had none to compare with.")
    change = bridge.change
    return (f"Revenue {'rose' if change >= 0 else 'fell'} {money(abs(change), currency)} "
            f"({pct(abs(change) / bridge.previous_revenue)}) on "
            f"{bridge.previous_period.label}. {bridge_drivers(bridge, anomalies, currency)}")


def bridge_drivers(bridge: RevenueBridge, anomalies: tuple[Anomaly, ...], currency: str) -> str:
    """Where the change came from: orders without a customer id and identified customers,
    the larger first, and the identified customers' four parts; "" without a month before."""
    if bridge.previous_revenue <= 0:
        return ""
    change = bridge.change
    identified = change - bridge.anonymous
    parts = ", ".join(f"{part_words(name)} {signed(value, currency)}"
                      for name, value in sorted(bridge.parts()[:-1], key=lambda p: -abs(p[1]))
                      if value)
    known = f"{signed(identified, currency)} from identified customers ({parts})"
    if not (bridge.anonymous or bridge.counts["anonymous"]):  # no orders without an id
        return f"The {'rise' if change >= 0 else 'fall'} by customer: {parts}."
    big_orders = [a for a in anomalies if a.kind == "order" and a.customer_id is None]
    anonymous = f"{signed(bridge.anonymous, currency)} from orders without a customer id" + (
        f" ({len(big_orders)} single order{'s' if len(big_orders) > 1 else ''} worth "
        f"{money(sum(a.value for a in big_orders), currency)})" if big_orders else "")
    first, second = ((anonymous, known) if abs(bridge.anonymous) > abs(identified)
                     else (known, anonymous))
    return (f"Of the {money(abs(change), currency)} {'rise' if change >= 0 else 'fall'}: "
            f"{first}; {second}.")


def part_words(part: str) -> str:
    """A bridge part as the sentence says it."""
    return {"new": "new", "reactivated": "back after a break",
            "retained": "bought in both months", "lost": "did not buy again",
            "anonymous": "orders without a customer id"}[part]


def signed(value: float, currency: str) -> str:
    """+£1,234 or −£1,234."""
    return ("+" if value >= 0 else "−") + money(abs(value), currency)


def who_moved(result: MovementResult, currency: str) -> str:
    """The largest falling and rising accounts, in one sentence."""
    parts = []
    for direction in ("falling", "rising"):
        mover = result.largest(direction)
        if mover is not None:
            parts.append(
                f"largest {'fall' if direction == 'falling' else 'rise'}: customer "
                f"{mover.customer_id}, {money(mover.value, currency)} this month against "
                f"{money(mover.usual_value, currency)} in a usual month (last order "
                f"{day(mover.last_order)})")
    if not parts:
        return "No account moved far from its usual level."
    text = "; ".join(parts) + "."
    return text[:1].upper() + text[1:]


def what_stands_out(anomalies: tuple[Anomaly, ...], currency: str) -> str:
    """The anomalies in one sentence: orders first, then the rest."""
    if not anomalies:
        return "Nothing stands out: no order or figure far from its own history."
    orders = [a for a in anomalies if a.kind == "order"][:3]
    words = [f"order {a.invoice} of {money(a.value, currency)} "
             f"({'no customer id' if a.customer_id is None else 'customer ' + a.customer_id})"
             for a in orders]
    words += [a.note for a in anomalies if a.kind == "anonymous_share"]
    labels = {kpi.key: kpi.label.lower() for kpi in KPIS}
    figures = [labels.get(a.subject, a.subject) for a in anomalies if a.kind == "kpi"]
    if figures:
        listed = (", ".join(figures[:-1]) + " and " + figures[-1]) if len(figures) > 1 \
            else figures[0]
        words.append(f"{listed} outside {'their' if len(figures) > 1 else 'its'} range of the "
                     "previous 12 months")
    text = "; ".join(words) + "."
    return text[:1].upper() + text[1:]


def target_words(row: TargetRow, currency: str) -> str:
    """A target against the actual in words."""
    if row.actual is None or row.gap is None:
        return f"{row.label} target {figure(row.target, row.kind, currency)}: not measured"
    return (f"{row.label} {figure(row.actual, row.kind, currency)} against a target of "
            f"{figure(row.target, row.kind, currency)} ({'+' if row.gap >= 0 else '−'}"
            f"{pct(abs(row.gap))})")
