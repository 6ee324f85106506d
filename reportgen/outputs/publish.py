"""Writing published files atomically, so a reader never sees half a file or half a report."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

STAGING = ".staging-"
OLD = ".old-"


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a temporary file beside `path`, flush it to disk, then rename it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def publish_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Replace `folder` by one holding exactly `files`, all at once.

    The files are written into a staging folder beside it, then the old folder is renamed
    away and the staging folder renamed into place. A crash before the swap leaves the old
    folder untouched; a crash between the two renames is repaired by `recover_folder`.
    """
    recover_folder(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}{STAGING}", dir=folder.parent))
    old = folder.parent / f".{folder.name}{OLD}{os.getpid()}"
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if folder.exists():
            os.rename(folder, old)
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if old.exists() and not folder.exists():
            os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def recover_folder(folder: Path) -> None:
    """Undo what an interrupted publish left beside `folder`."""
    if not folder.parent.is_dir():
        return
    leftovers = sorted(folder.parent.glob(f".{folder.name}{OLD}*"))
    if leftovers and not folder.exists():
        os.rename(leftovers.pop(), folder)  # crashed between the renames: restore the report
    for path in [*leftovers, *folder.parent.glob(f".{folder.name}{STAGING}*")]:
        shutil.rmtree(path, ignore_errors=True)
