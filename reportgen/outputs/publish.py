"""Writing published files atomically, so a reader never sees half a file or half a report."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

STAGING = ".staging-"
OLD = ".old-"


def _umask() -> int:
    """The process's file-creation mask (read by setting it, then set back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a temporary file beside `path`, flush it to disk, then rename it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            # a temporary file is private (0600); the file it becomes is an ordinary one
            os.fchmod(temp.fileno(), 0o666 & ~_umask())
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
    staging.chmod(folder_mode())  # mkdtemp's 0700 would hide the report from colleagues
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
    remove_tree(old)


def recover_folder(folder: Path) -> None:
    """Undo what an interrupted publish left beside `folder`."""
    if not folder.parent.is_dir():
        return
    leftovers = sorted(folder.parent.glob(f".{folder.name}{OLD}*"))
    if leftovers and not folder.exists():
        os.rename(leftovers.pop(), folder)  # crashed between the renames: restore the report
    for path in [*leftovers, *folder.parent.glob(f".{folder.name}{STAGING}*")]:
        remove_tree(path)


def folder_mode() -> int:
    """The mode a new folder gets under this process's umask (0o755 under umask 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def remove_tree(path: Path) -> None:
    """Remove a folder and everything in it, also when it or its folders were made read-only
    (an earlier report someone protected); whatever still cannot go is left, silently."""
    def make_writable_and_retry(function: Any, name: str, _: Any) -> None:
        try:
            os.chmod(os.path.dirname(name), stat.S_IRWXU)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, stat.S_IRWXU)
            function(name)
        except OSError:
            pass

    if path.exists():
        with contextlib.suppress(OSError):
            os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(path, onerror=make_writable_and_retry)
