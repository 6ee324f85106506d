"""Killing a run while it renders (kill -9) leaves the published report byte-identical and
nothing beside it (issue 18: a case that worked, kept working here)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import DraftRenderer, write_demo_unit

from reportgen.config import load_unit_config
from reportgen.jobs.runner import run_unit
from reportgen.period import Period

PAUSED_RUN = """
import pathlib, sys, time
from reportgen.report.render import Renderer

marker = pathlib.Path(sys.argv[1])

def paused(self, html):
    marker.touch()
    time.sleep(600)

Renderer.pdf = paused
sys.argv = ["reportgen", *sys.argv[2:]]
from reportgen.cli import main
main()
"""


@pytest.mark.slow
def test_killing_a_run_while_rendering_keeps_the_previous_report(tmp_path: Path) -> None:
    config = load_unit_config(write_demo_unit(tmp_path, clv={"enabled": False},
                                              clusters={"enabled": False}))
    output = tmp_path / "out"
    run_unit(config, Period(2024, 12), output, datetime(2025, 1, 2), renderer=DraftRenderer())
    folder = output / "demo" / "2024-12"
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    marker = tmp_path / "paused"
    # --force: the folder is up to date, and this run must reach rendering to be killed there.
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED_RUN, str(marker), "run", str(tmp_path / "demo.yaml"),
         "--period", "2024-12", "--output", str(output), "--force"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run never reached rendering: {process.stderr.read()!r}"
                        if process.stderr else "the run never reached rendering")
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    # Only the period folder and the unit's lock file (its lock died with the process).
    leftovers = [p.name for p in (output / "demo").iterdir() if p.name not in ("2024-12", ".lock")]
    assert leftovers == []


BLOCKED_ANALYSIS = """
import pathlib, sys, threading
from reportgen.chapters.trends import TrendsChapter

marker = pathlib.Path(sys.argv[1])

def blocked(self, inputs):
    marker.touch()
    threading.Event().wait()  # an analysis that never ends

TrendsChapter.compute = blocked
sys.argv = ["reportgen", *sys.argv[2:]]
from reportgen.cli import main
main()
"""


@pytest.mark.slow
def test_ctrl_c_during_the_analyses_ends_the_run_with_exit_130(tmp_path: Path) -> None:
    """The analyses run in threads that cannot be stopped (chapters.compute): Ctrl-C must end
    the run anyway, not wait for them (here, one that never ends), and publish nothing."""
    write_demo_unit(tmp_path, clv={"enabled": False}, clusters={"enabled": False})
    marker, output = tmp_path / "blocked", tmp_path / "out"
    environment = {name: value for name, value in os.environ.items()
                   if name != "POLARS_MAX_THREADS"}  # analyses side by side, as users run
    process = subprocess.Popen(
        [sys.executable, "-c", BLOCKED_ANALYSIS, str(marker), "run", str(tmp_path / "demo.yaml"),
         "--period", "2024-12", "--output", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the run never reached the analyses")
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("Ctrl-C did not end the run: it waited for the analyses' threads")
    assert process.returncode == 130, stderr
    assert b"interrupted" in stderr
    assert not (output / "demo" / "2024-12").exists()
