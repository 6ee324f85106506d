"""Publishing: whole folders swap atomically; interrupted runs leave the last report intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from reportgen.demo_data import DemoSpec, generate_transactions, write_demo_csv
from reportgen.publish import publish_folder, recover_folder


def test_publish_replaces_the_whole_folder(tmp_path: Path) -> None:
    folder = tmp_path / "unit" / "2024-12"
    publish_folder(folder, {"a.txt": b"one", "actions/x.csv": b"x"})
    publish_folder(folder, {"a.txt": b"two"})
    assert sorted(p.name for p in folder.rglob("*")) == ["a.txt"]
    assert (folder / "a.txt").read_bytes() == b"two"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["2024-12"]


def test_a_crash_between_the_renames_is_repaired(tmp_path: Path) -> None:
    folder = tmp_path / "2024-12"
    publish_folder(folder, {"report.pdf": b"old"})
    os.rename(folder, tmp_path / ".2024-12.old-123")  # as if killed right after this rename
    (tmp_path / ".2024-12.staging-abc").mkdir()
    recover_folder(folder)
    assert (folder / "report.pdf").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024-12"]


def test_killing_a_run_while_rendering_keeps_the_previous_report(tmp_path: Path) -> None:
    write_demo_csv(generate_transactions(DemoSpec(customers=300, seed=3)), tmp_path / "d.csv")
    config = tmp_path / "demo.yaml"
    config.write_text(yaml.safe_dump({"unit": "demo", "title": "Demo", "currency": "GBP",
                                      "source": {"path": "d.csv"}}))
    command = [sys.executable, "-m", "reportgen", "run", str(config), "--period", "2024-12",
               "--output", str(tmp_path / "out")]
    assert subprocess.run(command, capture_output=True, timeout=300).returncode == 0
    folder = tmp_path / "out" / "demo" / "2024-12"
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    env = {**os.environ, "REPORTGEN_TEST_PAUSE_AT": "render"}
    # --force: the folder is up to date, and this run must reach rendering to be killed there.
    process = subprocess.Popen([*command, "--force"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    marker = tmp_path / "out" / ".paused"
    deadline = time.monotonic() + 240
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the run never reached rendering")
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    # Only the period folder and the unit's lock file (its lock died with the process).
    leftovers = [p.name for p in (tmp_path / "out" / "demo").iterdir()
                 if p.name not in ("2024-12", ".lock")]
    assert leftovers == []
