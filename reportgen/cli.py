"""Command line: reportgen run | run-all | schedule | campaigns | validate | demo |
generate-data."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reportgen.api import EXIT_INCOMPLETE, summary_of
from reportgen.api import RunResult as ApiRunResult
from reportgen.config import DEFAULTS_FILE_NAME, UnitConfig, load_unit_config
from reportgen.errors import ConfigError, OutputError, ReportgenError
from reportgen.paths import CONFIG_DIR
from reportgen.period import Period

if TYPE_CHECKING:
    from reportgen.jobs.deliver import DeliveryOutcome
    from reportgen.jobs.runner import UnitOutcome
    from reportgen.pipeline import RunResult

T = TypeVar("T")

# The analysis and rendering stack is imported inside the commands that need it, so that
# --help and configuration errors answer at once.
DEMO_CONFIG = CONFIG_DIR / "demo.yaml"
DEMO_PERIOD = "2024-12"
DEMO_CUSTOMERS = 4_000
DEMO_SEED = 20240101
# Demo units by shape: their configuration and the customers simulated by default.
DEMO_SHAPES = {"gifts": (DEMO_CONFIG, DEMO_CUSTOMERS),
               "grocery": (CONFIG_DIR / "grocery.yaml", 300),
               "shop": (CONFIG_DIR / "shop.yaml", 3_000)}

app = typer.Typer(
    help="Monthly CRM reports from transaction logs: RFM segments, KPIs and data quality, "
    "as PDF, HTML and CSV.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

ConfigArg = Annotated[Path, typer.Argument(help="The business unit's YAML file.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Recompute even if up to date.")]
SendOpt = Annotated[bool, typer.Option("--send", help="Email the summary (once) to the unit's "
                                       "delivery.to and delivery.cc.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Write the email as summary.eml "
                                         "next to the report instead of sending it.")]
SkipOpt = Annotated[int | None, typer.Option(
    "--skip-exit-code", min=1, max=255, help="Exit with this code when there is nothing to "
    "do: the period is already published from the same input and configuration (Airflow "
    "treats 99 as skipped).")]
ResendOpt = Annotated[bool, typer.Option("--resend", help="Send again even if the run ledger says "
                                         "sent or unknown.")]
OutputOpt = Annotated[
    Path, typer.Option("--output", "-o", help="Folder to write <unit>/<period>/ into.")
]


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option(help="Show full tracebacks on errors.")] = False,
    log_format: Annotated[str, typer.Option(
        "--log-format", help="text: progress for a terminal; json: one JSON object per line "
        "on stderr (run_id, unit, period, stage, seconds, level, message), for schedulers."
    )] = "text",
) -> None:
    """Monthly CRM reports from transaction logs."""
    if log_format not in ("text", "json"):
        raise ConfigError(f"unknown --log-format '{log_format}'", hint="use text or json")
    _state["debug"] = debug
    _state["json"] = log_format == "json"


_state: dict[str, Any] = {"debug": False, "json": False, "run": None}
RUN_ID = uuid.uuid4().hex[:12]  # one command's runs share it in the JSON log


def log_event(level: str, message: str, *, unit: str | None = None,
              period: str | None = None, stage: str | None = None,
              seconds: float | None = None) -> None:
    """One JSON line on stderr (--log-format json only)."""
    if not _state["json"]:
        return
    record = {"time": datetime.now().astimezone().isoformat(timespec="seconds"),
              "run_id": RUN_ID, "unit": unit, "period": period, "stage": stage,
              "seconds": None if seconds is None else round(seconds, 3), "level": level,
              "message": message}
    sys.stderr.write(json.dumps(record) + "\n")
    sys.stderr.flush()


def print_summary(result: ApiRunResult) -> None:
    """The run's one-line JSON summary, the last line on stdout, for orchestrators."""
    sys.stdout.write(json.dumps(result.summary()) + "\n")
    sys.stdout.flush()


@app.command()
def run(
    config: ConfigArg,
    period: Annotated[
        str | None,
        typer.Option(help="Month to report, YYYY-MM; default: the last complete month."),
    ] = None,
    output: OutputOpt = Path("output"),
    force: ForceOpt = False,
    send: SendOpt = False,
    dry_run: DryRunOpt = False,
    resend: ResendOpt = False,
    skip_exit_code: SkipOpt = None,
) -> None:
    """Compute the unit's report for one month and write report.pdf, report.html,
    customers.csv and manifest.json into OUTPUT/<unit>/<period>/. A period already published
    from the same input and configuration is left as it is unless --force. The last line on
    stdout is the run's JSON summary."""
    unit_config = load_unit_config(config)
    chosen = _period(period)
    started = time.monotonic()
    _state["run"] = (unit_config.unit, str(chosen), started)
    outcome = _run_unit(unit_config, chosen, output, force)
    if outcome.result is None:
        _say(f"{unit_config.unit} {chosen}: up to date in {outcome.folder}/ "
             "(same input and configuration; --force recomputes)")
    elif not _state["json"]:
        _print_result(unit_config, chosen, outcome.result)
    if send or dry_run or resend:
        delivered = _deliver(unit_config, chosen, outcome.folder, dry_run, resend)
        _say(f"{unit_config.unit} {chosen}: email {delivered.state} ({delivered.detail})")
    summary = summary_of(outcome, time.monotonic() - started, skip_exit_code)
    _state["run"] = None
    for problem in summary.incomplete:
        if not _state["json"]:
            err.print(f"[yellow]warning:[/yellow] {unit_config.unit}: {escape(problem)}")
        log_event("warning", problem, unit=unit_config.unit, period=str(chosen))
    log_event("info", f"finished: {summary.status}", unit=unit_config.unit,
              period=str(chosen), seconds=summary.seconds)
    print_summary(summary)
    if summary.exit_code:
        raise typer.Exit(summary.exit_code)


def _say(text: str) -> None:
    """A line for a person at a terminal (text log format only)."""
    if not _state["json"]:
        out.print(text)


@app.command("run-all")
def run_all(
    folder: Annotated[Path, typer.Argument(help="Folder of unit YAML files.")],
    period: Annotated[
        str, typer.Option(help="Month to report, YYYY-MM, or 'previous' for the last "
                          "complete month.")
    ] = "previous",
    output: OutputOpt = Path("output"),
    force: ForceOpt = False,
    catch_up: Annotated[bool, typer.Option(
        "--catch-up", help="Also produce every missing month since each unit's last "
        "complete one.")] = False,
    send: SendOpt = False,
    dry_run: DryRunOpt = False,
    resend: ResendOpt = False,
    skip_exit_code: SkipOpt = None,
) -> None:
    """Run every unit in FOLDER (all *.yaml but defaults.yaml and playbook.yaml). A failing
    unit never stops the others; the exit status is 1 when any unit failed. Each unit's month
    ends with its JSON summary line on stdout, after the table."""
    files = unit_files(folder)
    if not files:
        raise ConfigError("no unit YAML files in the folder", file=folder,
                          hint="point run-all at the folder holding the units' YAML files")
    chosen = _period(period)
    table = Table(title=f"reportgen run-all — {chosen.label}")
    for column in ("Unit", "Period", "Status", "Pages", "Seconds", "Detail"):
        table.add_column(column, justify="right" if column in ("Pages", "Seconds") else "left")
    failed = incomplete = 0
    summaries: list[ApiRunResult] = []
    from reportgen.jobs.runner import catch_up_periods

    for path in files:
        try:
            unit_config = load_unit_config(path)
            periods = (catch_up_periods(output / unit_config.unit, chosen) if catch_up
                       else [chosen])
        except ReportgenError as exc:
            failed += 1
            table.add_row(path.stem, "", "[red]failed[/red]", "", "", escape(exc.one_line()))
            summaries.append(ApiRunResult(path.stem, str(chosen), "failed", exc.exit_code,
                                          None, None, 0.0, error=exc.one_line()))
            log_event("error", exc.one_line(), unit=path.stem, period=str(chosen))
            continue
        for month in periods:
            try:
                outcome = _run_unit(unit_config, month, output, force)
            except ReportgenError as exc:
                failed += 1
                table.add_row(unit_config.unit, str(month), "[red]failed[/red]", "", "",
                              escape(exc.one_line()))
                summaries.append(ApiRunResult(unit_config.unit, str(month), "failed",
                                              exc.exit_code, None, None, 0.0,
                                              error=exc.one_line()))
                log_event("error", exc.one_line(), unit=unit_config.unit, period=str(month))
                continue
            except Exception as exc:  # one unit's bug must not stop the others
                failed += 1
                message = f"internal error: {type(exc).__name__}: {exc}"
                table.add_row(unit_config.unit, str(month), "[red]failed[/red]", "", "",
                              escape(message))
                summaries.append(ApiRunResult(unit_config.unit, str(month), "failed", 1,
                                              None, None, 0.0, error=message))
                log_event("error", message, unit=unit_config.unit, period=str(month))
                continue
            result = outcome.result
            summaries.append(summary_of(outcome, result.elapsed if result else 0.0,
                                      skip_exit_code))
            email = ""
            if send or dry_run or resend:
                try:
                    delivered = _deliver(unit_config, month, outcome.folder, dry_run, resend)
                    email = f"; email {delivered.state}"
                except ReportgenError as exc:
                    failed += 1
                    table.add_row(unit_config.unit, str(month), "[red]email failed[/red]", "",
                                  "", escape(exc.one_line()))
                    continue
            if result is None:
                table.add_row(unit_config.unit, str(month), "up to date", "", "",
                              f"{outcome.folder}{email}")
                continue
            incomplete += bool(result.incomplete)
            status = "[yellow]incomplete[/yellow]" if result.incomplete else "[green]published[/green]"
            table.add_row(unit_config.unit, str(month), status, str(result.pdf_pages),
                          f"{sum(result.seconds.values()):.1f}",
                          ("; ".join(result.incomplete) or str(result.folder)) + email)
    if not _state["json"]:
        out.print(table)
    for summary in summaries:
        print_summary(summary)
    if failed:
        raise typer.Exit(1)
    if incomplete:
        raise typer.Exit(EXIT_INCOMPLETE)
    if skip_exit_code and summaries and all(s.status == "up to date" for s in summaries):
        raise typer.Exit(skip_exit_code)


@app.command()
def schedule(
    folder: Annotated[Path, typer.Argument(help="Folder of unit YAML files.")] = Path("config"),
    output: OutputOpt = Path("output"),
) -> None:
    """Print a crontab line and a systemd service + timer that run every unit monthly
    (on the 2nd at 06:00, catching up any missed month) with this installation."""
    from reportgen.jobs.schedule import crontab_line, systemd_units

    executable = Path(sys.argv[0]).resolve()
    folder, output = folder.resolve(), output.resolve()
    out.print("# crontab (crontab -e):")
    out.print(crontab_line(executable, folder, output), markup=False)
    for name, text in systemd_units(executable, folder, output).items():
        out.print(f"\n# /etc/systemd/system/{name}", markup=False)
        out.print(text, markup=False)


def unit_files(folder: Path) -> list[Path]:
    """The unit YAML files of a folder, without the shared defaults and playbook."""
    shared = {DEFAULTS_FILE_NAME, "playbook.yaml"}
    return sorted(p for p in folder.glob("*.yaml") if p.name not in shared)


campaigns_app = typer.Typer(
    help="The campaign log: which published action lists were carried out, and when. The "
    "next reports measure each list against its control group from that date.",
    no_args_is_help=True)
app.add_typer(campaigns_app, name="campaigns")
UnitArg = Annotated[str, typer.Argument(help="The unit's id (as in output/<unit>/), or its YAML.")]


@campaigns_app.command("mark")
def campaigns_mark(
    unit: UnitArg,
    period: Annotated[str, typer.Argument(help="Month of the report that proposed it, YYYY-MM.")],
    play: Annotated[str, typer.Argument(help="The action's id (actions/<id>.csv).")],
    sent: Annotated[str, typer.Option("--sent", help="Date the campaign went out, YYYY-MM-DD.")],
    output: OutputOpt = Path("output"),
) -> None:
    """Record that an action list was carried out on a date (OUTPUT/<unit>/campaigns.yaml)."""
    from reportgen.outputs.campaigns import mark_campaign

    unit_id = _unit_id(unit)
    path = mark_campaign(output, unit_id, _period(period), play, _date(sent, "--sent"))
    out.print(f"{unit_id} {period} {play}: carried out on {sent} (recorded in {path})")


@campaigns_app.command("unmark")
def campaigns_unmark(
    unit: UnitArg,
    period: Annotated[str, typer.Argument(help="Month of the report that proposed it, YYYY-MM.")],
    play: Annotated[str, typer.Argument(help="The action's id.")],
    output: OutputOpt = Path("output"),
) -> None:
    """Take a campaign out of the log: its list is measured as not carried out again."""
    from reportgen.outputs.campaigns import unmark_campaign

    unit_id = _unit_id(unit)
    unmark_campaign(output, unit_id, _period(period), play)
    out.print(f"{unit_id} {period} {play}: no longer marked as carried out")


@campaigns_app.command("list")
def campaigns_list(unit: UnitArg, output: OutputOpt = Path("output")) -> None:
    """Every published action list of the unit: customers, control group, carried out or not."""
    from reportgen.outputs.campaigns import campaign_rows

    unit_id = _unit_id(unit)
    rows = campaign_rows(output, unit_id)
    if not rows:
        out.print(f"{unit_id}: no published action list in {output / unit_id}/")
        return
    table = Table("period", "action", "customers", "control", "carried out")
    for row in rows:
        table.add_row(row["period"], row["play"], f"{row['customers']:,}",
                      f"{row['control']:,}", row["sent"] or "not marked")
    out.print(table)


def _unit_id(unit: str) -> str:
    """A unit's id from its id or its YAML file."""
    if unit.endswith((".yaml", ".yml")):
        return load_unit_config(Path(unit)).unit
    return unit


def _date(text: str, option: str) -> date:
    """A YYYY-MM-DD date, or a one-line error naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be a date YYYY-MM-DD, not '{text}'") from None


@app.command()
def validate(config: ConfigArg) -> None:
    """Check a unit's configuration and its input file; list every problem found."""
    from reportgen.chapters import fact_specs
    from reportgen.inputs.validate import validate_unit
    from reportgen.playbook.entries import load_playbook

    def check_playbook(unit: UnitConfig) -> None:
        load_playbook(unit, fact_specs())

    report = validate_unit(config, checks=[check_playbook])
    for problem in report.problems:
        err.print(f"[red]✗[/red] {escape(problem)}")
    for fact in report.facts:
        out.print(f"  {escape(fact)}")
    if report.problems:
        err.print(f"[red]{len(report.problems)} problem(s) found in {config}[/red]")
        raise typer.Exit(report.exit_code)
    out.print(f"[green]✓[/green] {config}: configuration and input are valid")


@app.command()
def demo(
    output: OutputOpt = Path("output"),
    customers: Annotated[int | None, typer.Option(
        help="Customers to simulate (default 4,000 for gifts, 300 households for grocery, "
        "3,000 for shop).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEMO_SEED,
    shape: Annotated[str, typer.Option(
        help="gifts: the gift wholesaler (config/demo.yaml); grocery: a US grocery loyalty "
        "panel (config/grocery.yaml); shop: a web shop where most buy once "
        "(config/shop.yaml).")] = "gifts",
) -> None:
    """Generate the synthetic demo data and write its full report (period 2024-12)."""
    if shape not in DEMO_SHAPES:
        raise ConfigError(f"unknown demo shape '{shape}'",
                          hint="choose one of " + ", ".join(DEMO_SHAPES))
    unit_config = load_unit_config(DEMO_SHAPES[shape][0])
    data_path = unit_config.source.first_path
    count = customers or DEMO_SHAPES[shape][1]
    with err.status(f"Generating demo transactions ({count:,} customers)…"):
        write_demo_data(shape, count, seed, data_path)
    err.print(f"Demo data: {data_path}")
    period = Period.parse(DEMO_PERIOD)
    # The one run-and-publish path `run` takes, forced: the demo is rebuilt every time.
    result = _run_unit(unit_config, period, output, force=True).result
    assert result is not None  # a forced run publishes or raises
    _print_result(unit_config, period, result)
    _exit_if_incomplete(unit_config, result)


def write_demo_data(shape: str, customers: int, seed: int, path: Path) -> None:
    """Simulate a demo unit's export and write it as CSV (the gift wholesaler's with its truth)."""
    if shape == "gifts":
        from reportgen.demo_data import DemoSpec, generate_transactions, write_demo_csv

        write_demo_csv(generate_transactions(DemoSpec(customers=customers, seed=seed)), path)
        return
    from reportgen.demo_shapes import ShapeSpec, simulate_shape
    from reportgen.outputs.publish import write_atomic

    export = simulate_shape(ShapeSpec(shape, customers, seed))  # type: ignore[arg-type]
    write_atomic(path, export.write_csv().encode("utf-8"))


@app.command()
def site(output: OutputOpt = Path("output")) -> None:
    """Write OUTPUT/index.html: every unit and published month with its headline figures,
    links to its report and files, and each unit's history as small charts. Opens from disk
    or any static file server; run and run-all refresh it after publishing."""
    from reportgen.jobs.site import write_site

    try:
        path = write_site(output)
    except OSError as exc:
        raise OutputError(f"cannot write the index of reports: {exc.strerror or exc}",
                          file=output / "index.html",
                          hint="choose a writable --output") from exc
    out.print(f"index of reports: {path}")


@app.command("generate-data")
def generate_data(
    path: Annotated[Path, typer.Argument(help="CSV file to write.")],
    customers: Annotated[int, typer.Option(help="Customers to simulate.")] = DEMO_CUSTOMERS,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEMO_SEED,
) -> None:
    """Write synthetic Online Retail-style transactions (and their true parameters) to PATH."""
    from reportgen.demo_data import DemoSpec, generate_transactions, write_demo_csv

    with err.status(f"Generating {customers:,} customers…"):
        data = generate_transactions(DemoSpec(customers=customers, seed=seed))
        write_demo_csv(data, path)
    out.print(f"{data.transactions.height:,} lines written to {path}")


def _deliver(config: UnitConfig, period: Period, folder: Path, dry_run: bool,
             resend: bool) -> DeliveryOutcome:
    from reportgen.config import SmtpSettings
    from reportgen.jobs.deliver import deliver

    return deliver(folder, config, period, SmtpSettings(), "dry-run" if dry_run else "send",
                   datetime.now().astimezone(), resend=resend)


def _period(text: str | None) -> Period:
    """YYYY-MM, or the last complete month for 'previous' or nothing (reads the clock)."""
    if text is None or text == "previous":
        return Period.last_complete(date.today())
    return Period.parse(text)


def _run_unit(config: UnitConfig, period: Period, output: Path, force: bool) -> UnitOutcome:
    """Run and publish the unit's month; after a publish, refresh OUTPUT/index.html."""
    from reportgen.jobs.runner import run_unit

    outcome = _with_progress(config, period, output, lambda on_stage: run_unit(
        config, period, output, datetime.now().astimezone(), force=force, on_stage=on_stage))
    if outcome.result is not None:
        _refresh_site(output)
    return outcome


def _refresh_site(output: Path) -> None:
    """Rewrite OUTPUT/index.html; a failure is a warning (the report itself is published)."""
    from reportgen.jobs.site import refresh_site

    reason = refresh_site(output)
    if reason:
        err.print(f"[yellow]warning:[/yellow] {output / 'index.html'}: could not write the "
                  f"index of reports ({reason}); run reportgen site to retry")
        log_event("warning", f"index of reports not written: {reason}")


def _with_progress(config: UnitConfig, period: Period, output: Path,
                   work: Callable[[Callable[[str], None]], T]) -> T:
    if _state["json"]:
        started = time.monotonic()
        log_event("info", "started", unit=config.unit, period=str(period))
        return work(lambda stage: log_event(
            "info", f"stage {stage}", unit=config.unit, period=str(period),
            stage=stage.split(" ")[0], seconds=time.monotonic() - started))
    with err.status(f"{config.unit} {period}: starting…") as status:
        return work(lambda stage: status.update(f"{config.unit} {period}: {stage}…"))


def _print_result(config: UnitConfig, period: Period, result: RunResult) -> None:
    table = Table(title=f"{config.title} — {period.label}", show_header=True)
    table.add_column("Stage")
    table.add_column("Seconds", justify="right")
    for stage, seconds in result.seconds.items():
        table.add_row(stage, f"{seconds:.2f}")
    # The chapters' analyses run side by side: the total is the wall time, not the sum.
    table.add_row("total (wall time)", f"{result.elapsed:.2f}", style="bold")
    out.print(table)
    out.print(f"Report ({result.pdf_pages} pages) written to {result.folder}/")
    for path in result.files:
        out.print(f"  {path.relative_to(result.folder)}")


def _exit_if_incomplete(config: UnitConfig, result: RunResult) -> None:
    """Exit with EXIT_INCOMPLETE when the report had to leave a section out."""
    for problem in result.incomplete:
        err.print(f"[yellow]warning:[/yellow] {config.unit}: {escape(problem)}")
    if result.incomplete:
        raise typer.Exit(EXIT_INCOMPLETE)


def _failed(message: str, code: int) -> None:
    """After an error during `run`: its JSON log line and summary."""
    current = _state.get("run")
    if not current:
        log_event("error", message)
        return
    unit, period, started = current
    log_event("error", message, unit=unit, period=period)
    print_summary(ApiRunResult(str(unit), str(period), "failed", code, None, None,
                               round(time.monotonic() - started, 2), error=message))
    _state["run"] = None


def interrupted(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt (Ctrl-C) is among the exceptions that led to `exc`."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def main() -> None:
    """Entry point: typer handles usage errors; reportgen errors print as one line."""
    try:
        try:
            app()
        except SystemExit as exc:
            if interrupted(exc):  # click turns Ctrl-C into "Aborted!" and exit 1
                raise KeyboardInterrupt from None
            raise
    except ReportgenError as exc:
        if _state["debug"]:
            traceback.print_exc()
        if not _state["json"]:  # the JSON log carries it as an error line
            err.print(f"[red]error:[/red] {escape(exc.one_line())}")
        _failed(exc.one_line(), exc.exit_code)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        # At once: the analyses' threads (chapters.compute) cannot be stopped, and the exit
        # would wait for them (on 10 M lines, a minute and more). What the run had written is
        # behind it already: every `with` of the main thread has closed on the way here.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if _state["debug"]:
            traceback.print_exc()
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and please report it)"
        )
        sys.exit(1)
