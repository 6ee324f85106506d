"""Dependable runs: nothing redone without cause, one run per unit at a time, run-all isolates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from conftest import DraftRenderer, run_cli, write_demo_unit

from reportgen.config import UnitConfig, load_unit_config
from reportgen.errors import BusyError
from reportgen.jobs.ledger import read_ledger
from reportgen.jobs.runner import UnitOutcome, run_unit, unit_lock
from reportgen.period import Period

NOW = datetime(2025, 1, 2, 6, 0)
PERIOD = Period(2024, 12)


@pytest.fixture(scope="module")
def unit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo unit, without the models: these tests are about runs, not numbers."""
    folder = tmp_path_factory.mktemp("units")
    write_demo_unit(folder, title="Demo", clv={"enabled": False},
                    clusters={"enabled": False})
    return folder


def run(config: UnitConfig, output: Path, period: Period = PERIOD,
        force: bool = False) -> UnitOutcome:
    return run_unit(config, period, output, NOW, force=force, renderer=DraftRenderer())


@pytest.mark.slow  # runs the unit three times
def test_an_identical_rerun_does_nothing_and_a_change_recomputes(
    unit_folder: Path, tmp_path: Path
) -> None:
    config = load_unit_config(unit_folder / "demo.yaml")
    first = run(config, tmp_path)
    assert first.status == "published"
    ledger = read_ledger(first.folder)
    assert ledger is not None and ledger["status"] == "complete"
    assert ledger["delivery"] == {"state": "not sent"}
    assert set(ledger["outputs"]) >= {"report.pdf", "customers.csv", "manifest.json"}
    pdf_time = (first.folder / "report.pdf").stat().st_mtime_ns
    again = run(config, tmp_path)
    assert again.status == "up to date" and again.result is None
    assert (first.folder / "report.pdf").stat().st_mtime_ns == pdf_time
    forced = run(config, tmp_path, force=True)
    assert forced.status == "published"
    history = read_ledger(first.folder)["history"]  # type: ignore[index]
    assert len(history) == 1 and history[0]["ran_at"] == NOW.isoformat(timespec="seconds")
    changed = load_unit_config(unit_folder / "demo.yaml").model_copy(
        update={"title": "Demo (renamed)"})
    changed._config_file = config.config_file
    assert run(changed, tmp_path).status == "published"


@pytest.mark.slow  # runs the unit twice
def test_a_tampered_output_is_recomputed(unit_folder: Path, tmp_path: Path) -> None:
    config = load_unit_config(unit_folder / "demo.yaml")
    folder = run(config, tmp_path).folder
    (folder / "customers.csv").write_text("edited by hand\n")
    assert run(config, tmp_path).status == "published"
    assert (folder / "customers.csv").read_text().startswith("customer_id,")


def test_a_second_run_of_the_same_unit_is_refused(unit_folder: Path, tmp_path: Path) -> None:
    config = load_unit_config(unit_folder / "demo.yaml")
    with unit_lock(tmp_path / "demo", "demo"):
        with pytest.raises(BusyError, match="already running"):
            run(config, tmp_path)
        result = run_cli("run", unit_folder / "demo.yaml", "--period", "2024-12",
                         "--output", tmp_path)
        assert result.returncode == 7
        assert "another run of this unit is already running" in result.stderr


@pytest.mark.slow  # runs two units
def test_run_all_isolates_a_failing_unit(
    unit_folder: Path, tmp_path: Path, draft_rendering: None
) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    demo = yaml.safe_load((unit_folder / "demo.yaml").read_text())
    demo["source"]["path"] = str(unit_folder / "demo.csv")
    demo["delivery"] = {"to": ["director@example.com"]}
    (folder / "demo.yaml").write_text(yaml.safe_dump(demo))
    (folder / "broken.yaml").write_text(yaml.safe_dump({
        "unit": "broken", "title": "Broken", "currency": "GBP", "source": {"path": "none.csv"}}))
    (folder / "defaults.yaml").write_text("{}\n")
    (folder / "playbook.yaml").write_text((Path(__file__).parents[2] / "config" /
                                           "playbook.yaml").read_text())
    result = run_cli("run-all", folder, "--period", "2024-12", "--output", tmp_path / "out",
                     "--dry-run")
    assert result.returncode == 1
    assert "broken" in result.stdout and "failed" in result.stdout
    assert "input file not found" in result.stdout
    assert "published" in result.stdout
    assert (tmp_path / "out" / "demo" / "2024-12" / "report.pdf").is_file()
    assert (tmp_path / "out" / "demo" / "2024-12" / "summary.eml").is_file()
    assert "email dry run" in result.stdout
    # the index of reports is refreshed after publishing, listing what was published
    index = (tmp_path / "out" / "index.html").read_text()
    assert 'href="demo/2024-12/report.pdf"' in index and "broken" not in index


@pytest.mark.slow  # runs the unit for several months
def test_catch_up_lists_the_months_since_the_last_complete_one(
    unit_folder: Path, tmp_path: Path
) -> None:
    from reportgen.jobs.runner import catch_up_periods

    config = load_unit_config(unit_folder / "demo.yaml")
    assert catch_up_periods(tmp_path / "demo", PERIOD) == [PERIOD]
    run(config, tmp_path, Period(2024, 9))
    assert catch_up_periods(tmp_path / "demo", PERIOD) == [
        Period(2024, 10), Period(2024, 11), Period(2024, 12)]
    (tmp_path / "demo" / "2024-10").mkdir()  # a folder without a complete ledger counts not
    assert catch_up_periods(tmp_path / "demo", Period(2024, 10)) == [Period(2024, 10)]


def test_deploy_files_match_the_schedule_command() -> None:
    from reportgen.jobs.schedule import crontab_line, systemd_units

    deploy = Path(__file__).parents[2] / "deploy"
    exe = Path("/opt/reportgen/.venv/bin/reportgen")
    folder, out = Path("/opt/reportgen/config"), Path("/opt/reportgen/output")
    assert crontab_line(exe, folder, out) in (deploy / "crontab").read_text()
    for name, text in systemd_units(exe, folder, out).items():
        assert (deploy / name).read_text() == text
    assert "--catch-up" in crontab_line(exe, folder, out)
    result = run_cli("schedule")
    assert result.returncode == 0 and "OnCalendar=*-*-02 06:00:00" in result.stdout
