"""Issue 34: fitting the schedulers people run — a JSON log on stderr, a one-line JSON summary
on stdout, an exit code for "nothing to do", and a Python entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, write_demo_unit

import reportgen
from reportgen.errors import ConfigError, NoDataError

LOG_KEYS = {"time", "run_id", "unit", "period", "stage", "seconds", "level", "message"}
SUMMARY_KEYS = {"unit", "period", "status", "exit_code", "folder", "pages", "seconds",
                "incomplete", "error"}


@pytest.fixture
def unit(tmp_path: Path) -> Path:
    """The demo unit without the models: these tests are about runs, not numbers."""
    return write_demo_unit(tmp_path, clv={"enabled": False}, clusters={"enabled": False},
                           suggestions={"enabled": False})


def json_lines(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_the_json_log_and_the_summary_line(unit: Path, tmp_path: Path,
                                           draft_rendering: None) -> None:
    output = tmp_path / "out"
    ran = run_cli("--log-format", "json", "run", unit, "--period", "2024-12", "--output", output)
    assert ran.returncode == 0, ran.stderr
    log = json_lines(ran.stderr)  # every line of stderr is one JSON object
    assert log and all(set(record) == LOG_KEYS for record in log)
    assert len({record["run_id"] for record in log}) == 1
    stages = [record["stage"] for record in log if record["stage"]]
    assert stages[:2] == ["load", "clean"] and "pdf" in stages
    seconds = [record["seconds"] for record in log if record["stage"]]
    assert seconds == sorted(seconds)  # time since the run started
    summary = json_lines(ran.stdout)[-1]  # stdout is the summary line only
    assert set(summary) == SUMMARY_KEYS and len(json_lines(ran.stdout)) == 1
    assert summary["status"] == "published" and summary["exit_code"] == 0
    assert summary["pages"] == 1 and Path(summary["folder"]) == output / "demo" / "2024-12"
    # nothing to do: 0 by default, the skip code when asked for
    again = run_cli("run", unit, "--period", "2024-12", "--output", output)
    assert again.returncode == 0
    assert json_lines(again.stdout.splitlines()[-1])[0]["status"] == "up to date"
    skipped = run_cli("--log-format", "json", "run", unit, "--period", "2024-12", "--output",
                      output, "--skip-exit-code", "99")
    assert skipped.returncode == 99
    assert json_lines(skipped.stdout)[-1]["exit_code"] == 99


def test_a_failed_run_logs_one_error_line_and_a_failed_summary(unit: Path,
                                                              tmp_path: Path) -> None:
    ran = run_cli("--log-format", "json", "run", unit, "--period", "2030-01", "--output",
                  tmp_path / "out")
    assert ran.returncode == NoDataError.exit_code
    errors = [r for r in json_lines(ran.stderr) if r["level"] == "error"]
    assert len(errors) == 1 and "no purchases in 2030-01" in errors[0]["message"]
    summary = json_lines(ran.stdout)[-1]
    assert (summary["status"], summary["exit_code"]) == ("failed", NoDataError.exit_code)
    assert summary["error"] == errors[0]["message"]


def test_run_all_ends_with_one_summary_per_unit(unit: Path, tmp_path: Path,
                                                draft_rendering: None) -> None:
    folder = unit.parent
    (folder / "defaults.yaml").write_text("{}\n")
    output = tmp_path / "out"
    first = run_cli("run-all", folder, "--period", "2024-12", "--output", output)
    assert first.returncode == 0, first.stdout
    assert json_lines(first.stdout.splitlines()[-1])[0]["status"] == "published"
    second = run_cli("--log-format", "json", "run-all", folder, "--period", "2024-12",
                     "--output", output, "--skip-exit-code", "99")
    assert second.returncode == 99
    assert [s["status"] for s in json_lines(second.stdout)] == ["up to date"]


def test_the_python_api_runs_and_validates(unit: Path, tmp_path: Path,
                                           draft_rendering: None) -> None:
    result = reportgen.run(unit, "2024-12", output=tmp_path / "out")
    assert isinstance(result, reportgen.RunResult)
    assert (result.status, result.exit_code, result.pages) == ("published", 0, 1)
    assert (tmp_path / "out" / "index.html").is_file()
    assert reportgen.run(unit, "2024-12", output=tmp_path / "out").status == "up to date"
    with pytest.raises(NoDataError, match="no purchases in 2030-01"):
        reportgen.run(unit, "2030-01", output=tmp_path / "out")
    assert any("rows" in fact for fact in reportgen.validate(unit))
    broken = tmp_path / "broken.yaml"
    broken.write_text("unit: broken\ntitle: B\ncurrency: GBP\nsource: {path: missing.csv}\n"
                      "colour: blue\n")
    with pytest.raises(ConfigError, match="problem"):
        reportgen.validate(broken)
