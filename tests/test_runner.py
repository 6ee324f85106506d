"""Dependable runs: nothing redone without cause, one run per unit at a time, run-all isolates."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from reportgen.config import load_unit_config
from reportgen.demo_data import DemoSpec, generate_transactions, write_demo_csv
from reportgen.errors import BusyError
from reportgen.period import Period
from reportgen.runner import read_ledger, run_unit, unit_lock

NOW = datetime(2025, 1, 2, 6, 0)
PERIOD = Period(2024, 12)


@pytest.fixture(scope="module")
def unit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("units")
    write_demo_csv(generate_transactions(DemoSpec(customers=300, seed=3)), folder / "d.csv")
    (folder / "demo.yaml").write_text(yaml.safe_dump({
        "unit": "demo", "title": "Demo", "currency": "GBP", "source": {"path": "d.csv"}}))
    return folder


def test_an_identical_rerun_does_nothing_and_a_change_recomputes(
    unit_folder: Path, tmp_path: Path
) -> None:
    config = load_unit_config(unit_folder / "demo.yaml")
    first = run_unit(config, PERIOD, tmp_path, NOW)
    assert first.status == "published"
    ledger = read_ledger(first.folder)
    assert ledger is not None and ledger["status"] == "complete"
    assert ledger["delivery"] == {"state": "not sent"}
    assert set(ledger["outputs"]) >= {"report.pdf", "customers.csv", "manifest.json"}
    pdf_time = (first.folder / "report.pdf").stat().st_mtime_ns
    again = run_unit(config, PERIOD, tmp_path, NOW)
    assert again.status == "up to date" and again.result is None
    assert (first.folder / "report.pdf").stat().st_mtime_ns == pdf_time
    forced = run_unit(config, PERIOD, tmp_path, NOW, force=True)
    assert forced.status == "published"
    history = read_ledger(first.folder)["history"]  # type: ignore[index]
    assert len(history) == 1 and history[0]["ran_at"] == NOW.isoformat(timespec="seconds")
    changed = load_unit_config(unit_folder / "demo.yaml").model_copy(
        update={"title": "Demo (renamed)"})
    changed._config_file = config.config_file
    assert run_unit(changed, PERIOD, tmp_path, NOW).status == "published"


def test_a_tampered_output_is_recomputed(unit_folder: Path, tmp_path: Path) -> None:
    config = load_unit_config(unit_folder / "demo.yaml")
    folder = run_unit(config, PERIOD, tmp_path, NOW).folder
    (folder / "customers.csv").write_text("edited by hand\n")
    assert run_unit(config, PERIOD, tmp_path, NOW).status == "published"
    assert (folder / "customers.csv").read_text().startswith("customer_id,")


def test_a_second_run_of_the_same_unit_is_refused(unit_folder: Path, tmp_path: Path) -> None:
    config = load_unit_config(unit_folder / "demo.yaml")
    with unit_lock(tmp_path / "demo", "demo"):
        with pytest.raises(BusyError, match="already running"):
            run_unit(config, PERIOD, tmp_path, NOW)
        result = subprocess.run(
            [sys.executable, "-m", "reportgen", "run", str(unit_folder / "demo.yaml"),
             "--period", "2024-12", "--output", str(tmp_path)],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 7
        assert "another run of this unit is already running" in result.stderr


def test_run_all_isolates_a_failing_unit(unit_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    demo = yaml.safe_load((unit_folder / "demo.yaml").read_text())
    demo["source"]["path"] = str(unit_folder / "d.csv")
    demo["delivery"] = {"to": ["director@example.com"]}
    (folder / "demo.yaml").write_text(yaml.safe_dump(demo))
    (folder / "broken.yaml").write_text(yaml.safe_dump({
        "unit": "broken", "title": "Broken", "currency": "GBP", "source": {"path": "none.csv"}}))
    (folder / "defaults.yaml").write_text("{}\n")
    (folder / "playbook.yaml").write_text((Path(__file__).parent.parent / "config" /
                                           "playbook.yaml").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "run-all", str(folder), "--period", "2024-12",
         "--output", str(tmp_path / "out"), "--dry-run"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "broken" in result.stdout and "failed" in result.stdout
    assert "input file not found" in result.stdout
    assert "published" in result.stdout
    assert (tmp_path / "out" / "demo" / "2024-12" / "report.pdf").is_file()
    assert (tmp_path / "out" / "demo" / "2024-12" / "summary.eml").is_file()
    assert "email dry run" in result.stdout


def test_catch_up_lists_the_months_since_the_last_complete_one(
    unit_folder: Path, tmp_path: Path
) -> None:
    from reportgen.runner import catch_up_periods

    config = load_unit_config(unit_folder / "demo.yaml")
    assert catch_up_periods(tmp_path / "demo", PERIOD) == [PERIOD]
    run_unit(config, Period(2024, 9), tmp_path, NOW)
    assert catch_up_periods(tmp_path / "demo", PERIOD) == [
        Period(2024, 10), Period(2024, 11), Period(2024, 12)]
    (tmp_path / "demo" / "2024-10").mkdir()  # a folder without a complete ledger counts not
    assert catch_up_periods(tmp_path / "demo", Period(2024, 10)) == [Period(2024, 10)]


def test_deploy_files_match_the_schedule_command() -> None:
    from reportgen.schedule import crontab_line, systemd_units

    deploy = Path(__file__).parent.parent / "deploy"
    exe = Path("/opt/reportgen/.venv/bin/reportgen")
    folder, out = Path("/opt/reportgen/config"), Path("/opt/reportgen/output")
    assert crontab_line(exe, folder, out) in (deploy / "crontab").read_text()
    for name, text in systemd_units(exe, folder, out).items():
        assert (deploy / name).read_text() == text
    assert "--catch-up" in crontab_line(exe, folder, out)
    result = subprocess.run([sys.executable, "-m", "reportgen", "schedule"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "OnCalendar=*-*-02 06:00:00" in result.stdout
