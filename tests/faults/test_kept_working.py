"""Cases issue 18 found working, kept so here: hostile text in every field a user's data can
fill is printed as text (report, email, exports), and a second run of a unit while one holds its
lock exits 7 at once, losing nothing."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import polars as pl
import yaml
from conftest import DraftRenderer, run_cli, run_report

from reportgen.config import load_unit_config
from reportgen.period import Period

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
HOSTILE = "<script>alert(1)</script>"
TITLE = f'{HOSTILE} O\'Brien & "Sons"'


def test_hostile_text_in_the_data_and_the_title_is_printed_as_text(tmp_path: Path) -> None:
    rows = []
    for n in range(60):
        customer = HOSTILE if n % 10 == 0 else str(100 + n % 9)
        description = HOSTILE if n % 3 == 0 else "MUG"
        country = HOSTILE if n % 4 == 0 else "France"
        rows.append(f"{n},{'<b>' if n % 5 == 0 else 22},{description},2,"
                    f"2011-11-{1 + n % 28:02d} 10:00,2.5,{customer},{country}\n")
    (tmp_path / "t.csv").write_text(HEADER + "".join(rows))
    (tmp_path / "t.yaml").write_text(yaml.safe_dump({
        "unit": "t", "title": TITLE, "currency": "GBP", "source": {"path": "t.csv"},
        "report": {"organisation": HOSTILE}}))
    result = run_report(load_unit_config(tmp_path / "t.yaml"), Period(2011, 11),
                        tmp_path / "out", renderer=DraftRenderer())
    for page in ("report.html", "email/summary.html"):
        html = (result.folder / page).read_text()
        assert HOSTILE not in html, page
        assert "&lt;script&gt;" in html, page
    # issue 18, case 5: the plain-text part is text, never HTML codes
    text = (result.folder / "email" / "summary.txt").read_text()
    assert text.startswith(TITLE)
    assert not any(code in text for code in ("&lt;", "&#39;", "&#34;", "&amp;"))
    customers = pl.read_csv(result.folder / "customers.csv",
                            schema_overrides={"customer_id": pl.String})
    assert HOSTILE in customers["customer_id"].to_list()  # kept whole in the export


def test_a_second_run_while_the_unit_is_locked_exits_7_and_loses_nothing(
        tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(HEADER + "1,22,MUG,2,2011-11-01 10:00,2.5,100,UK\n")
    (tmp_path / "t.yaml").write_text(yaml.safe_dump({
        "unit": "t", "title": "T", "currency": "GBP", "source": {"path": "t.csv"}}))
    unit_folder = tmp_path / "out" / "t"
    unit_folder.mkdir(parents=True)
    holder = os.open(unit_folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        result = run_cli("run", tmp_path / "t.yaml", "--period", "2011-11",
                         "--output", tmp_path / "out")
    finally:
        os.close(holder)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 7 and len(lines) == 1
    assert "another run of this unit is already running" in lines[0]
    assert sorted(p.name for p in unit_folder.iterdir()) == [".lock"]
