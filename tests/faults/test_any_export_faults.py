"""Issue 28's faults: what a user of another retailer's export hits. Each test asserts the
one-line message, the exit status and what was (or was not) published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DraftRenderer, run_cli, run_report
from faults.test_bad_inputs import HEADER, one_line_error, unit

from reportgen.config import load_unit_config
from reportgen.period import Period

NOVEMBER = "".join(f"{n},2{n % 5},MUG,2,2011-11-{1 + n % 28:02d} 10:00,2.5,{100 + n % 9},"
                   "United Kingdom\n" for n in range(40))


def test_a_period_before_the_data_is_no_data_with_the_datas_dates(tmp_path: Path) -> None:
    ran = run_cli("run", unit(tmp_path, NOVEMBER), "--period", "2010-05",
                  "--output", tmp_path / "out")
    message = one_line_error(ran.stderr)
    assert ran.returncode == 4
    assert "no purchases in 2010-05" in message
    assert "the data runs from 1 Nov 2011 to 28 Nov 2011" in message
    assert "column mapping" not in message


@pytest.mark.parametrize("period", ["0000-01", "0011-11", "3000-01"])
def test_a_period_outside_any_plausible_year_is_a_usage_error(tmp_path: Path,
                                                               period: str) -> None:
    ran = run_cli("run", unit(tmp_path, NOVEMBER), "--period", period,
                  "--output", tmp_path / "out")
    message = one_line_error(ran.stderr)
    assert ran.returncode == 2 and f"period '{period}' has a year outside 1900–2999" in message


def test_a_currency_that_is_not_iso_4217_is_refused(tmp_path: Path) -> None:
    ran = run_cli("validate", unit(tmp_path, NOVEMBER, currency="XYZ"))
    assert ran.returncode == 2
    assert "key 'currency': 'XYZ' is not an ISO 4217 currency code" in ran.stderr


def semicolon_export(folder: Path, **source: object) -> Path:
    """A ;-separated export with decimal commas and dotted thousands."""
    rows = "".join(f"{n};2{n % 5};MUG;2;2011-11-{1 + n % 28:02d} 10:00;1.002,50;{100 + n % 9};"
                   "France\n" for n in range(40))
    (folder / "t.csv").write_text(HEADER.replace(",", ";") + rows, encoding="utf-8")
    config = folder / "t.yaml"
    config.write_text(json.dumps({"unit": "t", "title": "T", "currency": "EUR",
                                  "source": {"path": "t.csv", **source}}))
    return config


def test_a_semicolon_export_is_told_its_delimiter_then_its_decimal_comma(
        tmp_path: Path) -> None:
    first = run_cli("validate", semicolon_export(tmp_path))
    assert first.returncode == 3
    assert "the file's columns are separated by ';', not ','" in first.stderr
    assert 'set source.delimiter: ";"' in first.stderr
    assert "source.columns" not in first.stderr  # one cause, not eight missing columns
    second = run_cli("validate", semicolon_export(tmp_path, delimiter=";"))
    assert second.returncode == 3
    assert "e.g. '1.002,50'" in second.stderr
    assert "the numbers use a decimal comma: set source.decimal_comma: true" in second.stderr
    third = run_cli("validate", semicolon_export(tmp_path, delimiter=";", decimal_comma=True))
    assert third.returncode == 0, third.stderr


def test_decimal_commas_are_read_as_their_amounts(tmp_path: Path,
                                                   draft_rendering: None) -> None:
    config = load_unit_config(semicolon_export(tmp_path, delimiter=";", decimal_comma=True))
    result = run_report(config, Period(2011, 11), tmp_path / "out", renderer=DraftRenderer())
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["kpis"]["revenue"] == pytest.approx(40 * 2 * 1002.5)
    assert "€80,200" in (result.folder / "report.html").read_text()


def test_validate_refuses_an_input_larger_than_free_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = unit(tmp_path, NOVEMBER * 50)
    monkeypatch.setattr("reportgen.inputs.files.available_memory", lambda: 50_000)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was read")

    monkeypatch.setattr("reportgen.inputs.validate.read_raw_file", never)
    ran = run_cli("validate", config)
    assert ran.returncode == 3
    assert "of memory once read" in ran.stderr and "free" in ran.stderr


def test_prices_keyed_as_barcodes_are_listed_not_published_as_revenue(
        tmp_path: Path, draft_rendering: None) -> None:
    barcodes = ("90,22,MUG,1,2011-11-20 11:00,4902567812345,101,United Kingdom\n"
                "91,23,MUG,1,2011-11-20 11:05,4902567812346,102,United Kingdom\n")
    config = load_unit_config(unit(tmp_path, NOVEMBER + barcodes))
    result = run_report(config, Period(2011, 11), tmp_path / "out", renderer=DraftRenderer())
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["kpis"]["revenue"] == pytest.approx(40 * 5.0)
    errors = manifest["suspected_entry_errors"]
    assert [(e["invoice"], e["reason"]) for e in errors] == [("90", "price"), ("91", "price")]
    html = (result.folder / "report.html").read_text()
    assert "price far above usual" in html and "£4,902,567,812,345" in html


def test_no_control_group_is_said_when_control_share_is_zero(tmp_path: Path,
                                                             draft_rendering: None) -> None:
    config = load_unit_config(unit(tmp_path, NOVEMBER, playbook={"control_share": 0}))
    result = run_report(config, Period(2011, 11), tmp_path / "out", renderer=DraftRenderer())
    html = (result.folder / "report.html").read_text()
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["recommendations"]
    assert "No control group is held out" in html
    assert "holds out a random control group" not in html
    assert all(r["control_size"] == 0 for r in manifest["recommendations"])
