"""The command line as a user meets it: help, one-line errors with exit codes, validate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CliResult, UnitFactory, lines, run_cli

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
GOOD_CSV = HEADER + "536365,22,MUG,2,2011-11-01 08:26:00,2.5,17850,United Kingdom\n"


reportgen = run_cli

HEAVY = ("sklearn", "weasyprint", "altair", "vl_convert", "lifetimes", "polars", "scipy")


def test_the_installed_command_answers_help_without_the_analysis_stack() -> None:
    # `reportgen --help` and configuration errors must answer at once: the CLI module loads
    # no analysis or rendering library until a command needs one.
    probe = ("import sys, runpy; sys.argv = ['reportgen', '--help']\n"
             "try:\n    runpy.run_module('reportgen', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def assert_one_line_error(result: CliResult, code: int, *parts: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert error_lines[0].startswith("error: ")
    for part in parts:
        assert part in error_lines[0], (part, error_lines[0])


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["demo"], ["generate-data"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = reportgen(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_missing_config_file(tmp_path: Path) -> None:
    result = reportgen("run", tmp_path / "nope.yaml", "--period", "2011-11",
                       "--output", tmp_path / "out")
    assert_one_line_error(result, 2, "nope.yaml", "configuration file not found")


def test_unknown_config_key(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(colour="blue")
    result = reportgen("run", path, "--period", "2011-11",
                       "--output", tmp_path / "out")
    assert_one_line_error(result, 2, "test:", str(path), "unknown key 'colour'")


def test_missing_input_file(tmp_path: Path, write_unit: UnitFactory) -> None:
    result = reportgen("run", write_unit(data_name="absent.csv"), "--period", "2011-11",
                       "--output", tmp_path / "out")
    assert_one_line_error(result, 3, "test:", "absent.csv", "input file not found", "source.path")


def test_missing_column(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(data_name="t.csv", source={"columns": {"customer_id": "Customer ID"}})
    (tmp_path / "t.csv").write_text(GOOD_CSV)
    result = reportgen("run", path, "--period", "2011-11",
                       "--output", tmp_path / "out")
    assert_one_line_error(result, 3, "test:", "t.csv", "column 'Customer ID'", "customer_id")


def test_wrong_encoding(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(data_name="t.csv")
    (tmp_path / "t.csv").write_bytes(
        (HEADER + "536365,22,CRÈME JAR,2,2011-11-01 08:26:00,2.5,17850,France\n").encode("cp1252")
    )
    result = reportgen("run", path, "--period", "2011-11",
                       "--output", tmp_path / "out")
    assert_one_line_error(result, 3, "test:", "t.csv", "not valid utf-8", "source.encoding")


def test_empty_file(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(data_name="t.csv")
    (tmp_path / "t.csv").write_text("")
    result = reportgen("run", path, "--period", "2011-11", "--output", tmp_path / "out")
    assert_one_line_error(result, 3, "t.csv", "empty")


def test_period_without_data(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(data_name="t.csv")
    (tmp_path / "t.csv").write_text(GOOD_CSV)
    result = reportgen("run", path, "--period", "2012-05", "--output", tmp_path / "out")
    assert_one_line_error(result, 4, "test:", "no purchases in 2012-05", "1 Nov 2011")
    assert not (tmp_path / "out" / "test" / "2012-05").exists()


def test_malformed_period(write_unit: UnitFactory) -> None:
    result = reportgen("run", write_unit(), "--period", "November")
    assert_one_line_error(result, 2, "YYYY-MM")


def test_validate_lists_every_problem(tmp_path: Path, write_unit: UnitFactory) -> None:
    path = write_unit(data_name="t.csv", source={"columns": {
        "customer_id": "Customer ID", "unit_price": "Price"}})
    (tmp_path / "t.csv").write_text(GOOD_CSV)
    result = reportgen("validate", path)
    assert result.returncode == 3  # input problems, as `run` reports them
    assert "column 'Customer ID'" in result.stderr and "column 'Price'" in result.stderr
    assert "2 problem(s)" in result.stderr


def test_validate_lists_every_config_problem(write_unit: UnitFactory) -> None:
    result = reportgen("validate", write_unit(currency="pounds", colour="blue"))
    assert result.returncode == 2
    assert "currency" in result.stderr and "unknown key 'colour'" in result.stderr


def test_validate_accepts_a_good_unit(tmp_path: Path, write_unit: UnitFactory) -> None:
    data = lines(("536365", "22", 2, "2011-11-01 08:26:00", 2.5, "17850"))
    result = reportgen("validate", write_unit(data))
    assert result.returncode == 0, result.stderr
    assert "for the unit: rows 1;" in result.stdout and "valid" in result.stdout


@pytest.mark.slow  # a whole run through the CLI
def test_run_writes_the_report(tmp_path: Path, draft_rendering: None) -> None:
    data = tmp_path / "demo.csv"
    assert reportgen("generate-data", data, "--customers", "200").returncode == 0
    config = tmp_path / "demo.yaml"
    config.write_text(yaml.safe_dump({
        "unit": "demo", "title": "Demo", "currency": "EUR", "source": {"path": "demo.csv"},
        "clv": {"enabled": False}}))  # the CLI is under test here; the CLV chapter elsewhere
    result = reportgen("run", config, "--period", "2024-11", "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "demo" / "2024-11" / "report.pdf").is_file()
    assert "load" in result.stdout and "pdf" in result.stdout


def test_a_report_without_clv_exits_6_and_says_why(
    tmp_path: Path, write_unit: UnitFactory, draft_rendering: None
) -> None:
    path = write_unit(data_name="t.csv")
    (tmp_path / "t.csv").write_text(GOOD_CSV)
    result = reportgen("run", path, "--period", "2011-11", "--output", tmp_path / "out")
    assert result.returncode == 6, result.stderr
    assert "warning: test: CLV not available: 1 identified customers" in result.stderr
    assert (tmp_path / "out" / "test" / "2011-11" / "report.pdf").is_file()
