"""Publishing: whole folders swap atomically; interrupted runs leave the last report intact."""

from __future__ import annotations

import os
from pathlib import Path

from reportgen.outputs.publish import publish_folder, recover_folder


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


# Runs the CLI in a child process whose PDF layout stops at a known point, so the test can
# kill it mid-render; the marker file says it got there.
