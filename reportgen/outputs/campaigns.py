"""The campaign log and the earlier action lists a report measures.

A unit's published action lists (`<output>/<unit>/<period>/actions/<play>.csv`) are the record
of what was proposed. The campaign log, `<output>/<unit>/campaigns.yaml`, records which of them
were carried out and when; `reportgen campaigns mark` writes it, or the analyst edits it:

    campaigns:
      - {period: 2011-11, play: winback_high_value, sent: 2011-12-03}

Nothing here reads outside the unit's own output folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from reportgen.errors import ConfigError, InputError
from reportgen.outputs.publish import write_atomic
from reportgen.paths import CAMPAIGN_LOG
from reportgen.period import Period
from reportgen.playbook.control import CONTACT, CONTROL
from reportgen.playbook.no_action import NO_ACTION_FILE

PERIOD_FOLDER = re.compile(r"^\d{4}-\d{2}$")
LOG_HEADER = (
    "# Action lists carried out, with the date they went out (reportgen campaigns mark).\n"
    "# Lists not named here are measured as not carried out: their audience's natural response.\n"
)


@dataclass(frozen=True)
class PublishedList:
    """One action list of an earlier report: who was in it, in which group, and whether and
    when it was carried out."""

    period: Period
    play: str
    title: str
    groups: pl.DataFrame  # customer_id, group (contact / control / contact_key_account),
    # stratum (the value stratum it was drawn in; empty for lists drawn before strata)
    has_control_column: bool  # lists published before control groups have none
    sent: date | None  # when it was carried out (None: not marked as carried out)


@dataclass(frozen=True)
class EarlierLists:
    """The unit's earlier action lists, and one line for each thing that could not be read."""

    lists: tuple[PublishedList, ...] = ()
    problems: tuple[str, ...] = ()


def campaign_log_path(output_dir: Path, unit: str) -> Path:
    """Where the unit's campaign log lives."""
    return output_dir / unit / CAMPAIGN_LOG


def read_campaign_log(path: Path) -> dict[tuple[str, str], date]:
    """Sent dates by (period, play); empty when there is no log. InputError naming the file
    and the entry when it cannot be read."""
    if not path.is_file():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the campaign log: {exc}", file=path,
                         hint="fix or delete the file; reportgen campaigns mark rewrites it"
                         ) from None
    entries = loaded.get("campaigns", []) if isinstance(loaded, dict) else None
    if not isinstance(entries, list):
        raise InputError("the campaign log needs a list under 'campaigns:'", file=path,
                         hint="see README, section Control groups and measured response")
    marks: dict[tuple[str, str], date] = {}
    for number, entry in enumerate(entries, start=1):
        try:
            period = str(Period.parse(str(entry["period"])))
            play = str(entry["play"])
            sent = entry["sent"] if isinstance(entry["sent"], date) else date.fromisoformat(
                str(entry["sent"]))
        except (KeyError, TypeError, ValueError, ConfigError) as exc:
            raise InputError(f"campaign {number} needs period (YYYY-MM), play and sent "
                             f"(YYYY-MM-DD): {exc}", file=path,
                             hint="see README, section Control groups and measured response"
                             ) from None
        marks[(period, play)] = sent
    return marks


def write_campaign_log(path: Path, marks: dict[tuple[str, str], date]) -> None:
    """Write the log, sorted by period and play, atomically."""
    entries = [{"period": period, "play": play, "sent": sent.isoformat()}
               for (period, play), sent in sorted(marks.items())]
    body = yaml.safe_dump({"campaigns": entries}, sort_keys=False, default_flow_style=None)
    write_atomic(path, (LOG_HEADER + body).encode("utf-8"))


def published_periods(unit_folder: Path) -> list[Period]:
    """Periods with a complete published report (a manifest) in the unit's folder, oldest first."""
    if not unit_folder.is_dir():
        return []
    periods = []
    for child in unit_folder.iterdir():
        if PERIOD_FOLDER.match(child.name) and (child / "manifest.json").is_file():
            try:
                periods.append(Period.parse(child.name))
            except ConfigError:
                continue  # a folder named like a month that is none (2011-13)
    return sorted(periods)


def action_titles(folder: Path) -> dict[str, str]:
    """Each fired action's title as its report's manifest recorded it (empty if unreadable)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return {str(r["id"]): str(r["title"]) for r in manifest.get("recommendations", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def action_list_files(folder: Path) -> list[Path]:
    """A published report folder's action lists (actions/<play>.csv), not the customers in no
    list (actions/no_action.csv)."""
    return sorted(path for path in (folder / "actions").glob("*.csv")
                  if f"actions/{path.name}" != NO_ACTION_FILE)


def read_groups(path: Path) -> tuple[pl.DataFrame, bool]:
    """A published action list's customer_id, group (all contact in a list published before
    control groups) and stratum (empty before strata), and whether it had a group column.
    PolarsError or OSError when it cannot be read."""
    table = pl.read_csv(path, schema_overrides={"customer_id": pl.String, "group": pl.String,
                                                "stratum": pl.Int64})
    has_groups = "group" in table.columns
    groups = table.select(
        "customer_id", pl.col("group") if has_groups else pl.lit(CONTACT).alias("group"),
        pl.col("stratum") if "stratum" in table.columns
        else pl.lit(None, dtype=pl.Int64).alias("stratum"),
    ).drop_nulls("customer_id")
    return groups, has_groups


def earlier_action_lists(output_dir: Path, unit: str, period: Period,
                         months_back: int) -> EarlierLists:
    """The action lists published for the unit's months before `period`, with their campaign
    dates; a line for each month of the last `months_back` without a published report (once
    the unit has any), each list that cannot be read, and a campaign log that cannot be read."""
    unit_folder = output_dir / unit
    problems: list[str] = []
    try:
        marks = read_campaign_log(campaign_log_path(output_dir, unit))
    except InputError as exc:
        problems.append(f"{exc.message}: every list is measured as not carried out")
        marks = {}
    earlier = [p for p in published_periods(unit_folder) if p < period]
    if earlier:
        for back in range(months_back, 0, -1):
            month = period.shift(-back)
            if month >= earlier[0] and month not in earlier:
                problems.append(f"No report is published for {month.label}: its action lists "
                                "cannot be measured.")
    lists: list[PublishedList] = []
    for month in earlier:
        folder = unit_folder / str(month)
        titles = action_titles(folder)
        for path in action_list_files(folder):
            try:
                groups, has_groups = read_groups(path)
            except (pl.exceptions.PolarsError, OSError) as exc:
                problems.append(f"The {month.label} list {path.name} could not be read "
                                f"({type(exc).__name__}): it is not measured.")
                continue
            lists.append(PublishedList(month, path.stem, titles.get(path.stem, path.stem),
                                       groups, has_groups, marks.get((str(month), path.stem))))
    return EarlierLists(tuple(lists), tuple(problems))


def mark_campaign(output_dir: Path, unit: str, period: Period, play: str, sent: date) -> Path:
    """Record that the period's list of `play` went out on `sent`; the log's path. ConfigError
    when no such list is published or the date is before the list could exist."""
    folder = output_dir / unit / str(period)
    if not (folder / "actions" / f"{play}.csv").is_file():
        published = [path.stem for path in action_list_files(folder)]
        listed = ", ".join(published) if published else "none"
        raise ConfigError(f"no action list '{play}' is published for {period}", unit=unit,
                          file=folder, hint=f"published lists of {period}: {listed}")
    if sent < period.analysis_date.date():
        raise ConfigError(f"--sent {sent} is before the list existed (the report of {period} "
                          f"covers the month up to {period.last_day})", unit=unit,
                          hint="give the date the campaign went out, "
                          f"{period.analysis_date:%Y-%m-%d} or later")
    path = campaign_log_path(output_dir, unit)
    marks = read_campaign_log(path)
    marks[(str(period), play)] = sent
    write_campaign_log(path, marks)
    return path


def unmark_campaign(output_dir: Path, unit: str, period: Period, play: str) -> None:
    """Take the period's `play` out of the log; ConfigError when it is not in it."""
    path = campaign_log_path(output_dir, unit)
    marks = read_campaign_log(path)
    if marks.pop((str(period), play), None) is None:
        raise ConfigError(f"{period} {play} is not marked as carried out", unit=unit, file=path)
    write_campaign_log(path, marks)


def campaign_rows(output_dir: Path, unit: str) -> list[dict[str, Any]]:
    """Every published list: period, play, customers, control, sent (None if not marked)."""
    marks = read_campaign_log(campaign_log_path(output_dir, unit))
    rows = []
    for month in published_periods(output_dir / unit):
        for path in action_list_files(output_dir / unit / str(month)):
            try:
                groups, _ = read_groups(path)
            except (pl.exceptions.PolarsError, OSError):
                continue
            sent = marks.get((str(month), path.stem))
            rows.append({"period": str(month), "play": path.stem, "customers": groups.height,
                         "control": int((groups["group"] == CONTROL).sum()),
                         "sent": sent.isoformat() if sent else None})
    return rows
