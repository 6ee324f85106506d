"""Same figures before and after a refactor: build the UK 2011-11 report (when ../shared holds
the UCI file) and the demo's 2024-12 (drafts: no charts, no PDF) into a folder, then compare
two such folders: every CSV cell and manifest figure equal, numbers to 1e-9 relative.

    git worktree add /tmp/before <commit>       # the code before the change
    .venv/bin/python -m benchmarks.same_figures build /tmp/fig-before /tmp/before
    .venv/bin/python -m benchmarks.same_figures build /tmp/fig-after
    .venv/bin/python -m benchmarks.same_figures compare /tmp/fig-before /tmp/fig-after

(With a source folder, its reportgen is imported instead of the installed one; the test
helpers come from this project.)

Only the paths and the configuration echoed in the manifest may differ between two folders.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import polars as pl

REL = 1e-9
PROJECT = Path(__file__).resolve().parents[1]


def build(out: Path, source: Path | None = None) -> None:
    """Write the files of the UK and demo reports under out/uk and out/demo, with the reportgen
    of `source` (a checkout) when given."""
    if source is not None:  # the editable install's finder would import this project's
        sys.meta_path = [finder for finder in sys.meta_path
                         if not type(finder).__module__.startswith("__editable__")]
        sys.path.insert(0, str(source))
    sys.path.extend([str(PROJECT / "tests"), str(PROJECT)])
    from conftest import SHARED_DATA, DraftRenderer, write_demo_unit

    from reportgen.config import load_unit_config
    from reportgen.period import Period
    from reportgen.pipeline import build_report

    (out / "demo-unit").mkdir(parents=True, exist_ok=True)
    units = [("demo", load_unit_config(write_demo_unit(out / "demo-unit")), Period(2024, 12))]
    if SHARED_DATA.exists():
        units.insert(0, ("uk", load_unit_config(PROJECT / "config" / "uk.yaml"), Period(2011, 11)))
    for name, config, period in units:
        for file, content in build_report(config, period, renderer=DraftRenderer()).files.items():
            target = out / name / file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        print(name, period, "built with", sys.modules["reportgen"].__file__)


def compare(before: Path, after: Path) -> list[str]:
    """Every difference between two built folders (none: the same figures)."""
    problems: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            problems.extend(f"{path}: key {key} in one only" for key in set(a) ^ set(b))
            for key in set(a) & set(b):
                walk(a[key], b[key], f"{path}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{index}]")
        elif isinstance(a, float) and isinstance(b, float):
            if not (math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)
                    or (math.isnan(a) and math.isnan(b))):
                problems.append(f"{path}: {a!r} != {b!r}")
        elif a != b:
            problems.append(f"{path}: {a!r} != {b!r}")

    def number(text: str | None) -> Any:
        try:
            return float(text) if text is not None else None
        except ValueError:
            return text

    for unit in sorted(p.name for p in before.iterdir() if p.is_dir() and p.name != "demo-unit"):
        names = sorted(str(p.relative_to(before / unit)) for p in (before / unit).rglob("*")
                       if p.is_file())
        walk(names, sorted(str(p.relative_to(after / unit)) for p in (after / unit).rglob("*")
                           if p.is_file()), f"{unit} files")
        for name in names:
            if name.endswith(".csv"):
                old, new = (pl.read_csv(root / unit / name, infer_schema_length=0)
                            for root in (before, after))
                walk(old.columns, new.columns, f"{unit}/{name} columns")
                walk([[number(v) for v in row] for row in old.rows()],
                     [[number(v) for v in row] for row in new.rows()], f"{unit}/{name}")
            elif name == "manifest.json":
                old, new = (json.loads((root / unit / name).read_text()) for root in (before, after))
                for manifest in (old, new):
                    for key in ("timings_seconds", "outputs", "config_file", "config",
                                "config_sha256", "inputs", "playbook_file"):
                        manifest.pop(key, None)
                walk(old, new, f"{unit}/manifest")
    return problems


if __name__ == "__main__":
    if sys.argv[1:2] == ["build"] and len(sys.argv) in (3, 4):
        build(Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) == 4 else None)
    elif sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        found = compare(Path(sys.argv[2]), Path(sys.argv[3]))
        print(f"{len(found)} differences", *found[:30], sep="\n  ")
        sys.exit(1 if found else 0)
    else:
        sys.exit(__doc__)
