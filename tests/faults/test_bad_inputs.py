"""Issue 18's failing cases: bad inputs and faults that gave a silently wrong report, a formula
in an export, a broken table, a wrong cause or exit status, or a folder left behind. Each test
asserts the message, the exit status and that nothing published was lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import DraftRenderer, run_cli, run_report

from reportgen.config import load_unit_config
from reportgen.display.formatting import cell
from reportgen.outputs.exports import csv_bytes
from reportgen.outputs.publish import publish_folder
from reportgen.period import Period
from reportgen.report.templates import template_environment

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def unit(folder: Path, body: str, **settings: object) -> Path:
    """A unit over a CSV of `body` lines; extra top-level settings as given."""
    (folder / "t.csv").write_text(HEADER + body, encoding="utf-8")
    config = folder / "t.yaml"
    config.write_text(yaml.safe_dump({"unit": "t", "title": "T", "currency": "GBP",
                                      "source": {"path": "t.csv"}, **settings}))
    return config


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def day_first_rows(days: range) -> str:
    return "".join(f"{n},2{n % 5},MUG,2,{d:02d}/11/2011 10:00,2.5,{100 + n % 9},United Kingdom\n"
                   for n, d in enumerate(days))


# 1. Dates that read both ways are refused; dates that read one way only say so.

def test_dates_that_read_day_first_and_month_first_are_refused(tmp_path: Path) -> None:
    config = unit(tmp_path, day_first_rows(range(1, 13)))
    validated = run_cli("validate", config)
    assert validated.returncode == 3
    assert "read both day-first and month-first" in validated.stderr
    assert "source.date_format" in validated.stderr and "'%d/%m/%Y %H:%M'" in validated.stderr
    ran = run_cli("run", config, "--period", "2011-11", "--output", tmp_path / "out")
    message = one_line_error(ran.stderr)
    assert ran.returncode == 3 and "'02/11/2011 10:00'" in message
    assert not (tmp_path / "out" / "t" / "2011-11").exists()
    # saying which order makes it valid
    settled = unit(tmp_path, day_first_rows(range(1, 13)),
                   source={"path": "t.csv", "date_format": "%d/%m/%Y %H:%M"})
    assert run_cli("validate", settled).returncode == 0


def test_a_parquet_input_is_measured_by_its_lines_not_its_compressed_size(
        tmp_path: Path) -> None:
    from reportgen.inputs.files import MEMORY_PER_LINE, memory_needed

    path = tmp_path / "lines.parquet"
    pl.DataFrame({"Quantity": [1] * 100_000}).write_parquet(path)  # compresses to a few kB
    assert path.stat().st_size < 10_000
    assert memory_needed(path, "parquet") == 100_000 * MEMORY_PER_LINE


def test_a_parquet_input_is_measured_by_the_lines_before_the_period(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 35: the lines after the period are counted, not held, so a month early in a long
    history needs the memory of the lines before it only (here half the file)."""
    from datetime import datetime, timedelta

    from reportgen.errors import InputError
    from reportgen.inputs.files import MEMORY_PER_LINE
    from reportgen.inputs.load import read_transactions

    start = datetime(2011, 1, 1)
    pl.DataFrame({
        "InvoiceNo": [str(i) for i in range(20_000)], "StockCode": "A", "Description": "MUG",
        "Quantity": 1, "InvoiceDate": [start + timedelta(hours=i) for i in range(20_000)],
        "UnitPrice": 2.5, "CustomerID": "1", "Country": "United Kingdom",
    }).write_parquet(tmp_path / "t.parquet")
    config = load_unit_config(unit(tmp_path, "", source={"path": "t.parquet"}))
    monkeypatch.setattr("reportgen.inputs.files.available_memory",
                        lambda: int(15_000 * MEMORY_PER_LINE))
    before = start + timedelta(hours=10_000)
    assert read_transactions(config, before).transactions.height == 10_000
    needed = f"{20_000 * MEMORY_PER_LINE / 2**20:.1f} MiB"  # every line, as without a bound
    with pytest.raises(InputError, match=f"needs about {needed}"):
        read_transactions(config, start + timedelta(hours=20_000))


def test_dates_that_read_one_way_only_are_read_so_and_the_cleaning_log_says_it(
        tmp_path: Path, draft_rendering: None) -> None:
    config = unit(tmp_path, day_first_rows(range(1, 29)))
    validated = run_cli("validate", config)
    assert validated.returncode == 0, validated.stderr
    assert "dates read day-first" in validated.stdout and "2011-11-01" not in validated.stdout
    result = run_report(load_unit_config(config), Period(2011, 11), tmp_path / "out",
                        renderer=DraftRenderer())
    log = [entry["rule"] for entry in
           json.loads((result.folder / "manifest.json").read_text())["data_quality"]]
    assert any(rule.startswith("Dates read day-first (%d/%m/%Y %H:%M) in t.csv: the other "
                               "order gives impossible dates such as '13/11/2011 10:00'")
               for rule in log), log


# 2. Formulas never reach a spreadsheet.

def test_spreadsheet_formulas_are_neutralised_in_every_export() -> None:
    table = pl.DataFrame({
        "customer_id": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\ry",
                        "12345"],
        "monetary": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "frequency": [-1, 1, 2, 3, 4, 5, 6],
    })
    written = pl.read_csv(csv_bytes(table), schema_overrides={"customer_id": pl.String})
    assert written["customer_id"].to_list() == [
        '\'=HYPERLINK("http://x","y")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\ry", "12345"]
    # numbers are left alone, negative ones too
    assert written["monetary"].to_list() == [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert written["frequency"].to_list() == [-1, 1, 2, 3, 4, 5, 6]


def test_a_hostile_customer_id_is_neutralised_in_the_published_csvs(
        tmp_path: Path, draft_rendering: None) -> None:
    body = "".join(f"{n},2{n % 5},MUG,2,2011-11-{1 + n % 28:02d} 10:00,2.5,"
                   f"{'=1+1' if n % 7 == 0 else 100 + n % 9},United Kingdom\n" for n in range(40))
    result = run_report(load_unit_config(unit(tmp_path, body)), Period(2011, 11),
                        tmp_path / "out", renderer=DraftRenderer())
    for path in [result.folder / "customers.csv", *(result.folder / "actions").glob("*.csv")]:
        ids = pl.read_csv(path, schema_overrides={"customer_id": pl.String})["customer_id"]
        assert "=1+1" not in ids.to_list(), path.name
    ids = pl.read_csv(result.folder / "customers.csv",
                      schema_overrides={"customer_id": pl.String})["customer_id"]
    assert "'=1+1" in ids.to_list()


# 3. Long values are cut in the PDF's tables, kept whole in the exports.

def test_long_text_values_are_cut_in_table_cells() -> None:
    assert cell("x" * 5_000, 16) == "x" * 15 + "…"
    assert cell("United Kingdom", 28) == "United Kingdom"
    assert cell(None) == "–"
    environment = template_environment()
    for name in ("chapters/clv.html.j2", "chapters/countries.html.j2",
                 "chapters/data_quality.html.j2", "chapters/products.html.j2"):
        source = environment.loader.get_source(environment, name)[0]  # type: ignore[union-attr]
        for field in ("c.customer_id }}", "c.country }}", "e.invoice }}", "p.stock_code }}"):
            assert f"{{{{ {field}" not in source, (name, field)


def test_a_5000_character_customer_id_and_country_stay_in_the_page(
        tmp_path: Path, draft_rendering: None) -> None:
    long_id, long_country = "9" * 5_000, "Z" * 5_000
    body = "".join(f"{n},2{n % 5},MUG,2,2011-11-{1 + n % 28:02d} 10:00,2.5,"
                   f"{long_id if n % 6 == 0 else 100 + n % 9},"
                   f"{long_country if n % 4 == 0 else 'France'}\n" for n in range(60))
    result = run_report(load_unit_config(unit(tmp_path, body)), Period(2011, 11),
                        tmp_path / "out", renderer=DraftRenderer())
    html = (result.folder / "report.html").read_text()
    assert long_id not in html and long_country not in html
    assert long_id in (result.folder / "customers.csv").read_text()


# 4. When cleaning leaves nothing, the rule that removed the rows is named.

def test_every_price_zero_names_the_rule_not_the_period(tmp_path: Path) -> None:
    body = "".join(f"{n},22,MUG,2,2011-11-{1 + n % 28:02d} 10:00,0,{100 + n},United Kingdom\n"
                   for n in range(30))
    config = unit(tmp_path, body)
    ran = run_cli("run", config, "--period", "2011-11", "--output", tmp_path / "out")
    message = one_line_error(ran.stderr)
    assert ran.returncode == 3
    assert "'Price zero or negative' removed 30 of the 30 rows read" in message
    assert "date range" not in message
    validated = run_cli("validate", config)
    assert validated.returncode == 3 and "Price zero or negative" in validated.stderr


# 6. An output folder that cannot be written is exit 5, one line.

def test_an_output_root_that_cannot_be_written_is_exit_5(tmp_path: Path) -> None:
    config = unit(tmp_path, "1,22,MUG,2,2011-11-01 10:00,2.5,100,United Kingdom\n")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    ran = run_cli("run", config, "--period", "2011-11", "--output", blocker)
    message = one_line_error(ran.stderr)
    assert ran.returncode == 5 and "cannot write to the output folder" in message
    assert blocker.read_text() == "a file where the output folder should be"


# 7. A workbook with the data on another sheet names the sheets.

def test_a_workbook_with_the_data_on_another_sheet_lists_its_sheets(tmp_path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(tmp_path / "t.xlsx")
    notes = workbook.add_worksheet("Notes")
    notes.write(0, 0, "Exported from the shop on 2 Dec")
    data = workbook.add_worksheet("Transactions")
    for column, name in enumerate(HEADER.strip().split(",")):
        data.write(0, column, name)
    for column, value in enumerate(["1", "22", "MUG", 2, "2011-11-01 10:00:00", 2.5, "100",
                                    "United Kingdom"]):
        data.write(1, column, value)
    workbook.close()
    config = tmp_path / "t.yaml"
    config.write_text(yaml.safe_dump({"unit": "t", "title": "T", "currency": "GBP",
                                      "source": {"path": "t.xlsx"}}))
    validated = run_cli("validate", config)
    assert validated.returncode == 3
    assert "the workbook's sheets: Notes, Transactions" in validated.stderr
    assert "source.sheet" in validated.stderr
    ran = run_cli("run", config, "--period", "2011-11", "--output", tmp_path / "out")
    assert ran.returncode == 3 and "source.sheet" in one_line_error(ran.stderr)


# Also seen: net monetary below zero; leftovers of a forced rerun; folder modes; bidi.

def test_net_monetary_is_never_negative(tmp_path: Path, draft_rendering: None) -> None:
    body = ("1,22,MUG,2,2011-11-02 10:00,2.5,100,United Kingdom\n"
            "C2,23,BOWL,-900,2011-11-03 10:00,2.5,100,United Kingdom\n"  # bought before the data
            + "".join(f"{n},22,MUG,2,2011-11-{1 + n % 28:02d} 10:00,2.5,{200 + n % 9},"
                      "United Kingdom\n" for n in range(3, 40)))
    config = unit(tmp_path, body, rfm={"monetary": "net"})
    result = run_report(load_unit_config(config), Period(2011, 11), tmp_path / "out",
                        renderer=DraftRenderer())
    customers = pl.read_csv(result.folder / "customers.csv",
                            schema_overrides={"customer_id": pl.String})
    assert customers["monetary"].min() >= 0  # type: ignore[operator]
    assert customers.filter(pl.col("customer_id") == "100")["monetary"].item() == 0
    assert customers["return_rate"].max() <= 1  # type: ignore[operator]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions: nothing to test")
def test_a_forced_rerun_over_a_read_only_report_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "t" / "2011-10"
    publish_folder(folder, {"report.pdf": b"old", "actions/a.csv": b"customer_id\n1\n"})
    for path in [folder / "actions" / "a.csv", folder / "report.pdf", folder / "actions", folder]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    publish_folder(folder, {"report.pdf": b"new"})
    assert (folder / "report.pdf").read_bytes() == b"new"
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["2011-10"]


def test_published_folders_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        publish_folder(tmp_path / "t" / "2011-10", {"report.pdf": b"%PDF"})
    finally:
        os.umask(previous)
    assert (tmp_path / "t" / "2011-10").stat().st_mode & 0o777 == 0o755


def test_bidirectional_controls_never_reach_a_page() -> None:
    environment = template_environment()
    page = environment.from_string("<td>{{ name }}</td><td>{{ name | cell(40) }}</td>")
    rendered = page.render(name="ACME\u202eevil\u202c Ltd")
    assert "\u202e" not in rendered and "\u202c" not in rendered
    assert rendered == "<td>ACMEevil Ltd</td><td>ACMEevil Ltd</td>"


@pytest.mark.parametrize("value", ["=1+1", "+44 20", "-x", "@y"])
def test_csv_neutralising_keeps_safe_text_as_it_is(value: str) -> None:
    table = pl.DataFrame({"text": [value, "plain", None]})
    written = pl.read_csv(csv_bytes(table))["text"].to_list()
    assert written == [f"'{value}", "plain", None]


# A chart that cannot be drawn: the report still renders, with a notice, and the run warns.

class BrokenChartRenderer(DraftRenderer):
    """Draws every chart but the revenue trend, which fails as vl-convert would."""

    def chart_svg(self, spec, key):  # type: ignore[no-untyped-def]
        if key == "revenue_trend":
            raise ValueError("Vega-Lite compile error: unknown mark\nsecond line")
        return super().chart_svg(spec, key)


def test_a_chart_that_cannot_be_drawn_is_a_notice_and_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reportgen.pipeline.Renderer", BrokenChartRenderer)
    body = "".join(f"{n},2{n % 5},MUG,2,2011-11-{1 + n % 28:02d} 10:00,2.5,{100 + n % 9},"
                   "United Kingdom\n" for n in range(40))
    config = unit(tmp_path, body)
    ran = run_cli("run", config, "--period", "2011-11", "--output", tmp_path / "out")
    assert ran.returncode == 6, ran.stderr
    assert "chart 'revenue_trend' could not be drawn (ValueError: Vega-Lite compile error: " \
           "unknown mark)" in ran.stderr
    folder = tmp_path / "out" / "t" / "2011-11"
    html = (folder / "report.html").read_text()
    assert "This chart could not be drawn (ValueError: Vega-Lite compile error" in html
    assert (folder / "report.pdf").is_file() and (folder / "email" / "summary.html").is_file()


# A full disk while publishing: the previous report stays, the ledger says so, a later run works.

@pytest.mark.slow  # runs the unit three times
def test_a_full_disk_keeps_the_published_report_and_a_later_run_completes(
        tmp_path: Path, draft_rendering: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    body = "".join(f"{n},2{n % 5},MUG,2,2011-11-{1 + n % 28:02d} 10:00,2.5,{100 + n % 9},"
                   "United Kingdom\n" for n in range(40))
    config = unit(tmp_path, body, clv={"enabled": False})  # no CLV: the run exits 0
    output = tmp_path / "out"
    assert run_cli("run", config, "--period", "2011-11", "--output", output).returncode == 0
    folder = output / "t" / "2011-11"
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
              if p.is_file() and p.name != "ledger.json"}

    real_fsync = os.fsync
    written = []

    def full_disk(descriptor: int) -> None:
        written.append(descriptor)
        if len(written) == 3:  # the third file of the new report does not fit
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr("reportgen.outputs.publish.os.fsync", full_disk)
    failed = run_cli("run", config, "--period", "2011-11", "--output", output, "--force")
    message = one_line_error(failed.stderr)
    assert failed.returncode == 5 and "No space left on device" in message
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
             if p.is_file() and p.name != "ledger.json"}
    assert after == before  # every published output as it was
    assert sorted(p.name for p in (output / "t").iterdir()) == [".lock", "2011-11"]
    ledger = json.loads((folder / "ledger.json").read_text())
    assert ledger["status"] == "complete" and "No space left" in ledger["last_failure"]["error"]

    monkeypatch.setattr("reportgen.outputs.publish.os.fsync", real_fsync)
    again = run_cli("run", config, "--period", "2011-11", "--output", output, "--force")
    assert again.returncode == 0, again.stderr
    assert "last_failure" not in json.loads((folder / "ledger.json").read_text())


# An input larger than free memory is refused before it is read.

def test_an_input_larger_than_free_memory_is_refused_before_reading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = unit(tmp_path, "1,22,MUG,2,2011-11-01 10:00,2.5,100,United Kingdom\n" * 2_000)
    monkeypatch.setattr("reportgen.inputs.files.available_memory", lambda: 50_000)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was read")

    monkeypatch.setattr("reportgen.inputs.load.read_raw_file", never)
    ran = run_cli("run", config, "--period", "2011-11", "--output", tmp_path / "out")
    message = one_line_error(ran.stderr)
    assert ran.returncode == 3
    assert "the input needs about 0.7 MiB of memory once read" in message  # 7 x 100 kB
    assert "0.0 MiB free" in message and "source.files" in message
    assert not (tmp_path / "out" / "t" / "2011-11").exists()


# Cleaning a large input writes its working files to the temporary folder: no room there is
# exit 9, one line naming the unit, the folder and what to do; nothing is published.

def test_no_room_for_cleanings_working_files_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from reportgen.inputs import clean

    config = unit(tmp_path, "1,22,MUG,2,2011-11-01 10:00,2.5,100,United Kingdom\n" * 20)
    monkeypatch.setattr(clean, "SPILL_FROM_LINES", 0)  # as a large input would
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the temporary folder should be")
    monkeypatch.setattr(tempfile, "tempdir", str(blocker))
    ran = run_cli("run", config, "--period", "2011-11", "--output", tmp_path / "out")
    message = one_line_error(ran.stderr)
    assert ran.returncode == 9
    assert message.startswith(f"error: t: cleaning could not write its working files to {blocker}")
    assert "point TMPDIR at a folder with room (about 70 MB for each million lines)" in message
    assert not (tmp_path / "out" / "t" / "2011-11").exists()
    validated = run_cli("validate", config)  # validate cleans the lines too
    assert validated.returncode == 9
    assert one_line_error(validated.stderr).startswith(
        f"error: t: cleaning could not write its working files to {blocker}")


def test_a_disk_that_fills_while_cleaning_writes_is_one_line() -> None:
    from datetime import datetime

    import narwhals as nw

    from reportgen.errors import EngineError
    from reportgen.inputs.clean import SPILL_FROM_LINES, materialiser, spilled

    lines = nw.from_native(pl.LazyFrame({"invoice_date": [datetime(2011, 1, 1)] * 100_000}))
    full = r"No space left on device \(os error 28\)"
    with pytest.raises(EngineError, match=full), materialiser(SPILL_FROM_LINES):
        spilled(lines, Path("/dev/full"))  # a device that is always full
