"""Every month in one place: `<output>/index.html`, a static page listing every unit and every
published month with its headline figures and links to its report and files, and each unit's
history of those figures as small charts.

A month is listed when its folder holds a complete run (its ledger says `complete`) and its
manifest; the figures are the manifest's, as the report printed them. The page is one file
with its charts inline (SVG drawn offline) and relative links, so it works opened from disk
or from any static file server, with no network access. It is written atomically; `run` and
`run-all` refresh it after publishing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reportgen.errors import ReportgenError
from reportgen.jobs.ledger import read_ledger
from reportgen.outputs.publish import write_atomic
from reportgen.period import Period

SITE_FILE = "index.html"
PERIOD_FOLDER = re.compile(r"^\d{4}-\d{2}$")
# The headline figures listed for each month: manifest kpis key, label, kind.
HEADLINES = (("revenue", "Revenue", "money"), ("orders", "Orders", "count"),
             ("active_customers", "Active customers", "count"),
             ("new_customers", "New customers", "count"))
LINKED_FILES = ("report.pdf", "report.html", "customers.csv", "actions/no_action.csv")


@dataclass(frozen=True)
class PublishedMonth:
    """One published month of a unit: where it is, what it printed, which files it has."""

    period: Period
    folder: str  # relative to the output folder
    figures: dict[str, float | None]  # HEADLINES' values
    files: tuple[str, ...]  # LINKED_FILES present, then the action lists
    pages: int | None
    title: str  # the unit's title and currency as this month's report printed them
    currency: str


@dataclass(frozen=True)
class PublishedUnit:
    """A unit and its published months, newest first."""

    unit: str
    title: str
    currency: str
    months: tuple[PublishedMonth, ...]


def published_units(output_dir: Path) -> tuple[PublishedUnit, ...]:
    """Every unit folder of `output_dir` with at least one complete, published month."""
    units = []
    for unit_folder in sorted(p for p in output_dir.iterdir() if p.is_dir()) \
            if output_dir.is_dir() else []:
        months = [month for folder in sorted(unit_folder.iterdir(), reverse=True)
                  if (month := _published_month(output_dir, folder)) is not None]
        if months:  # the newest month's title and currency
            units.append(PublishedUnit(unit_folder.name, months[0].title, months[0].currency,
                                       tuple(months)))
    return tuple(units)


def _published_month(output_dir: Path, folder: Path) -> PublishedMonth | None:
    """The month a period folder holds, or None when it is not a complete published run."""
    if not folder.is_dir() or not PERIOD_FOLDER.match(folder.name):
        return None  # another folder (demo data, a lock, a staging folder): not a month
    try:
        period = Period.parse(folder.name)
    except ReportgenError:
        return None
    ledger = read_ledger(folder)
    manifest = _manifest(folder)
    if not ledger or ledger.get("status") != "complete" or not manifest:
        return None
    kpis = manifest.get("kpis") or {}
    figures = {key: _number(kpis.get(key)) for key, _, _ in HEADLINES}
    files = [name for name in LINKED_FILES if (folder / name).is_file()]
    files += sorted(f"actions/{path.name}" for path in (folder / "actions").glob("*.csv")
                    if f"actions/{path.name}" not in files)
    pages = manifest.get("pdf_pages")
    return PublishedMonth(period, folder.relative_to(output_dir).as_posix(), figures,
                          tuple(files), pages if isinstance(pages, int) else None,
                          str(manifest.get("title", folder.parent.name)),
                          str(manifest.get("config", {}).get("currency", "")))


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        loaded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def history_chart(unit: PublishedUnit) -> Markup:
    """The unit's monthly revenue and active customers as small inline SVG charts (none for
    a unit of one month)."""
    months = sorted(unit.months, key=lambda m: m.period)
    if len(months) < 2:
        return Markup("")
    import altair as alt
    import polars as pl

    from reportgen.currencies import currency_symbol
    from reportgen.display.charts import finish_spec, inline_data
    from reportgen.report.render import Renderer

    charts = []
    for key, label, kind in HEADLINES[::2]:
        rows = [{"month": m.period.short_label, "order": index, "value": m.figures[key]}
                for index, m in enumerate(months) if m.figures[key] is not None]
        title = f"{label} ({currency_symbol(unit.currency)})" if kind == "money" else label
        charts.append(alt.Chart(inline_data(pl.DataFrame(rows))).mark_line(point=True).encode(
            x=alt.X("month:O", title="Month", sort=alt.SortField("order"),
                    axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("value:Q", title=title, axis=alt.Axis(format="~s")),
        ).properties(width=220, height=90))
    chart = alt.hconcat(*charts)
    return Renderer().chart_svg(finish_spec(chart, 220, 90), f"site-{unit.unit}")


def site_html(units: tuple[PublishedUnit, ...]) -> str:
    """The index page of the published units."""
    from reportgen.report.templates import template_environment

    return template_environment().get_template("site.html.j2").render(
        units=units, headlines=HEADLINES, charts={u.unit: history_chart(u) for u in units})


def write_site(output_dir: Path) -> Path:
    """Write `<output_dir>/index.html` from what is published there; its path."""
    path = output_dir / SITE_FILE
    write_atomic(path, site_html(published_units(output_dir)).encode("utf-8"))
    return path


def refresh_site(output_dir: Path) -> str | None:
    """Rewrite the index after a publish; the reason when it could not be written (the
    report itself is published, so this is a warning, never a failed run)."""
    try:
        write_site(output_dir)
    except Exception as exc:  # the index must not fail the run that published a report
        return str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)
    return None
