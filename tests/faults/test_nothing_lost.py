"""Every bad input a user brings, run over a unit with a report already published: one line
that names the problem, the documented exit status, and the published report, the input and
the rest of the output folder byte-identical afterwards. (The cases issue 18 found working are
kept here so they stay working; their first tests are in tests/test_cli.py, tests/report,
tests/outputs and tests/jobs.)"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
GOOD = "".join(f"{n},2{n % 5},MUG,2,2011-11-{1 + n % 28:02d} 10:00,2.5,{100 + n % 9},"
               "United Kingdom\n" for n in range(40))
BASE = {"unit": "t", "title": "T", "currency": "GBP", "source": {"path": "t.csv"},
        "clv": {"enabled": False}}


def digest(folder: Path) -> dict[str, str]:
    """Every file under the folder and its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A unit folder with the November 2011 report published (drawn, not laid out)."""
    from conftest import DraftRenderer

    import reportgen.pipeline

    folder = tmp_path_factory.mktemp("published")
    (folder / "t.csv").write_text(HEADER + GOOD)
    (folder / "t.yaml").write_text(yaml.safe_dump(BASE))
    real = reportgen.pipeline.Renderer
    reportgen.pipeline.Renderer = DraftRenderer  # type: ignore[misc]
    try:
        ran = run_cli("run", folder / "t.yaml", "--period", "2011-11", "--output",
                      folder / "out")
    finally:
        reportgen.pipeline.Renderer = real  # type: ignore[misc]
    assert ran.returncode == 0, ran.stderr
    return folder


Breaker = Callable[[Path], list[str]]  # changes a copy of the unit; the command to run


def with_config(**changes: object) -> Breaker:
    def breaker(folder: Path) -> list[str]:
        (folder / "t.yaml").write_text(yaml.safe_dump({**BASE, **changes}))
        return ["run", str(folder / "t.yaml"), "--period", "2011-11", "--force"]
    return breaker


def with_data(body: bytes, name: str = "t.csv", **changes: object) -> Breaker:
    def breaker(folder: Path) -> list[str]:
        (folder / name).write_bytes(body)
        source = {"path": name, **changes.pop("source", {})}  # type: ignore[dict-item]
        (folder / "t.yaml").write_text(yaml.safe_dump({**BASE, "source": source, **changes}))
        return ["run", str(folder / "t.yaml"), "--period", "2011-11", "--force"]
    return breaker


def with_command(*args: str) -> Breaker:
    def breaker(folder: Path) -> list[str]:
        return [arg.replace("{unit}", str(folder / "t.yaml")) for arg in args]
    return breaker


CASES: dict[str, tuple[Breaker, int, str]] = {
    "unknown config key": (with_config(colour="blue"), 2, "unknown key 'colour'"),
    "bad currency": (with_config(currency="pounds"), 2, "currency"),
    "malformed period": (with_command("run", "{unit}", "--period", "November"), 2, "YYYY-MM"),
    "missing input file": (with_config(source={"path": "nowhere.csv"}), 3, "nowhere.csv"),
    "header only": (with_data(HEADER.encode()), 3, "no rows"),
    "empty file": (with_data(b""), 3, "t.csv"),
    "missing column": (with_data((HEADER.replace("CustomerID", "Client") + GOOD).encode()), 3,
                       "column 'CustomerID': not found"),
    "wrong encoding": (with_data((HEADER + "1,22,CAFÉ,2,2011-11-01 10:00,2.5,100,UK\n")
                                 .encode("latin-1")), 3, "source.encoding"),
    "quantities are text": (with_data((HEADER + GOOD.replace(",2,2011", ",two,2011"))
                                      .encode()), 3, "not a valid quantity"),
    "unknown country": (with_config(filters={"countries": ["Atlantis"]}), 3, "Atlantis"),
    "unknown format": (with_data(b"x", name="t.json"), 3, "source.format"),
    "ambiguous dates": (with_data((HEADER + "".join(
        f"{n},22,MUG,2,{d:02d}/11/2011 10:00,2.5,{100 + n},United Kingdom\n"
        for n, d in enumerate(range(1, 13)))).encode()), 3, "source.date_format"),
    "every price zero": (with_data((HEADER + GOOD.replace(",2.5,", ",0,")).encode()), 3,
                         "Price zero or negative"),
    "period outside the data": (with_command("run", "{unit}", "--period", "2013-01",
                                             "--force"), 4, "no purchases in 2013-01"),
    "playbook names an unknown fact": (with_config(playbook={"entries": [{
        "id": "x", "title": "X", "trigger": "no_such_fact > 1", "evidence": "{no_such_fact}",
        "action": "Do it."}]}), 2, "no_such_fact"),
    "campaign for a list not published": (with_command(
        "campaigns", "mark", "t", "2011-11", "no_such_play", "--sent", "2011-12-02"), 2,
        "no action list 'no_such_play'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_input_is_one_line_and_loses_nothing(case: str, published: Path,
                                                   tmp_path: Path) -> None:
    import shutil

    folder = Path(shutil.copytree(published, tmp_path / "unit"))
    before = digest(folder / "out")
    breaker, status, words = CASES[case]
    command = breaker(folder)
    result = run_cli(*command, *(["--output", str(folder / "out")]
                                 if "--output" not in command else []))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == status, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and words in lines[0], lines[0]
    # every published output as it was; the ledger may only add the failed attempt
    ledger = "t/2011-11/ledger.json"
    after = digest(folder / "out")
    assert {k: v for k, v in after.items() if k != ledger} == {
        k: v for k, v in before.items() if k != ledger}
    recorded = json.loads((folder / "out" / ledger).read_text())
    assert recorded["status"] == "complete"
    failure = recorded.get("last_failure")
    if failure is None:
        assert after[ledger] == before[ledger]
    else:
        assert lines[0] == f"error: {failure['error']}"
