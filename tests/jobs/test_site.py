"""Issue 33: every month in one place — OUTPUT/index.html lists what the ledgers say is
published, with the figures the reports printed and links that resolve, and needs no network."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import DraftRenderer, run_cli, write_demo_unit

from reportgen.config import load_unit_config
from reportgen.display.formatting import figure
from reportgen.jobs.ledger import read_ledger
from reportgen.jobs.runner import run_unit
from reportgen.jobs.site import HEADLINES, write_site
from reportgen.period import Period

NOW = __import__("datetime").datetime(2025, 1, 2, 6, 0).astimezone()


class Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two months of the demo unit (no models) published, and a month whose run failed."""
    units = tmp_path_factory.mktemp("units")
    write_demo_unit(units, title="Demo <Unit>", clv={"enabled": False},
                    clusters={"enabled": False}, suggestions={"enabled": False})
    config = load_unit_config(units / "demo.yaml")
    output = tmp_path_factory.mktemp("out")
    for month in (11, 12):
        run_unit(config, Period(2024, month), output, NOW, force=True, renderer=DraftRenderer())
    failed = output / "demo" / "2024-10"
    failed.mkdir()
    (failed / "ledger.json").write_text(json.dumps({"status": "failed"}))
    return output


def test_the_index_lists_every_published_month_as_the_ledgers_say(published: Path) -> None:
    index = write_site(published).read_text()
    complete = sorted(folder.name for folder in (published / "demo").iterdir()
                      if (read_ledger(folder) or {}).get("status") == "complete")
    assert complete == ["2024-11", "2024-12"]
    listed = re.findall(r'href="demo/(\d{4}-\d{2})/report\.pdf"', index)
    assert listed == ["2024-12", "2024-11"]  # newest first; the failed month is not listed
    assert "Demo &lt;Unit&gt;" in index  # titles are escaped
    for month in complete:
        manifest = json.loads((published / "demo" / month / "manifest.json").read_text())
        for key, _, kind in HEADLINES:
            assert figure(manifest["kpis"][key], kind, "GBP") in index, (month, key)
    # every link resolves to a file beside the index; nothing is fetched from elsewhere
    parser = Links()
    parser.feed(index)
    assert parser.found
    for link in parser.found:
        assert "://" not in link and (published / link).is_file(), link
    assert "<svg" in index  # the unit's history, drawn offline


def test_the_site_command_writes_the_index(published: Path) -> None:
    (published / "index.html").unlink(missing_ok=True)
    result = run_cli("site", "--output", published)
    assert result.returncode == 0, result.stderr
    assert (published / "index.html").is_file()
    assert oct((published / "index.html").stat().st_mode)[-3:] == "644"


def test_an_empty_output_folder_says_nothing_is_published(tmp_path: Path) -> None:
    index = write_site(tmp_path / "none").read_text()
    assert "No report is published in this folder yet." in index


def test_other_folders_and_files_beside_the_units_are_not_months(published: Path,
                                                                 tmp_path: Path) -> None:
    (published / "demo-data").mkdir(exist_ok=True)
    (published / "demo-data" / "transactions.csv").write_text("x\n")
    (published / "test" / "before").mkdir(parents=True, exist_ok=True)
    (published / "notes.txt").write_text("hello\n")
    (published / "demo" / ".lock").write_text("")
    (published / "demo" / "2024-13").mkdir(exist_ok=True)  # not a month
    index = write_site(published).read_text()
    assert re.findall(r'href="(\w+)/(\d{4}-\d{2})/report\.pdf"', index) == [
        ("demo", "2024-12"), ("demo", "2024-11")]
