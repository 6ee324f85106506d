"""The Python entry point for schedulers (Airflow, Dagster, Prefect): `reportgen.run` and
`reportgen.validate`, raising the command line's error classes (`reportgen.errors`), and the
run's summary as a typed result, the same one the command line prints as its last line.

    import reportgen
    result = reportgen.run("config/uk.yaml", "2011-11", output="output")
    result.status      # "published", "incomplete" or "up to date"
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reportgen.errors import ConfigError, InputError

if TYPE_CHECKING:
    from reportgen.jobs.runner import UnitOutcome

EXIT_INCOMPLETE = 6  # the report was published without a section (e.g. CLV)

Status = Literal["published", "incomplete", "up to date", "failed"]


@dataclass(frozen=True)
class RunResult:
    """What one run of one unit and month did: its status and exit code, where the report is,
    how many PDF pages it has and how long the run took."""

    unit: str
    period: str
    status: Status
    exit_code: int
    folder: str | None
    pages: int | None
    seconds: float
    incomplete: tuple[str, ...] = ()  # what the report had to leave out
    error: str | None = None  # the error's one line, for a failed run

    def summary(self) -> dict[str, Any]:
        """The one-line JSON summary's fields."""
        fields = asdict(self)
        fields["incomplete"] = list(self.incomplete)
        return fields


def run(config_path: str | Path, period: str | None = None, output: str | Path = "output",
        *, force: bool = False) -> RunResult:
    """Run the unit's report for `period` (YYYY-MM; default the last complete month) into
    `output`, as `reportgen run` does: skipped when the same input and configuration are
    already published (status 'up to date'). Raises the command line's errors
    (ConfigError, InputError, NoDataError, OutputError, BusyError, EngineError)."""
    from reportgen.config import load_unit_config
    from reportgen.jobs.runner import run_unit
    from reportgen.period import Period

    config = load_unit_config(Path(config_path))
    chosen = Period.parse(period) if period and period != "previous" else \
        Period.last_complete(datetime.now().date())
    started = datetime.now().astimezone()
    outcome = run_unit(config, chosen, Path(output), started, force=force)
    if outcome.result is not None:
        from reportgen.jobs.site import refresh_site

        failure = refresh_site(Path(output))  # the report is published: warn, do not fail
        if failure:
            warnings.warn(f"the index of reports was not written: {failure}", stacklevel=2)
    return summary_of(outcome, (datetime.now().astimezone() - started).total_seconds())


def summary_of(outcome: UnitOutcome, seconds: float, skip_exit_code: int | None = None
               ) -> RunResult:
    """A run's summary: published, incomplete (exit EXIT_INCOMPLETE), or up to date (exit 0,
    or `skip_exit_code`: nothing to do)."""
    result = outcome.result
    if result is None:
        return RunResult(outcome.unit, outcome.period, "up to date", skip_exit_code or 0,
                         str(outcome.folder), None, round(seconds, 2))
    return RunResult(outcome.unit, outcome.period,
                     "incomplete" if result.incomplete else "published",
                     EXIT_INCOMPLETE if result.incomplete else 0, str(result.folder),
                     result.pdf_pages, round(seconds, 2), result.incomplete)


def validate(config_path: str | Path) -> list[str]:
    """Check the unit's configuration and every input file it names, as `reportgen validate`
    does; the facts found about the input when all is well. Raises ConfigError (a problem in
    the configuration) or InputError (in the input), naming every problem found."""
    from reportgen.chapters import fact_specs
    from reportgen.config import UnitConfig
    from reportgen.inputs.validate import validate_unit
    from reportgen.playbook.entries import load_playbook

    def check_playbook(unit: UnitConfig) -> None:
        load_playbook(unit, fact_specs())

    path = Path(config_path)
    report = validate_unit(path, checks=[check_playbook])
    if report.problems:
        error = ConfigError if report.exit_code == ConfigError.exit_code else InputError
        count = len(report.problems)
        raise error(f"{count} problem{'' if count == 1 else 's'} found in {path}: "
                    + "; ".join(report.problems))
    return list(report.facts)
