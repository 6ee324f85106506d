"""The layers' rules that imports can break: the models library (`reportgen.models`) knows
nothing of reports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# What a model may never load: the report, its rendering, the CLI, configuration and data
# reading, and lifetimes (the tests' reference, not a dependency of the models).
NOT_FOR_MODELS = ("jinja2", "altair", "weasyprint", "vl_convert", "typer", "rich", "lifetimes",
                  "pandas", "pydantic", "pydantic_settings", "narwhals", "markupsafe", "yaml")

# One fresh interpreter: scikit-learn, then every model module, then every chapter module
# (the modules loaded after each step). Models cannot load what a chapter may not (the
# models' test says so), so the chapters' step shows what the chapters load.
IMPORT_EVERY_LAYER = """
import importlib, json, pkgutil, sys
import sklearn.cluster, sklearn.ensemble
loaded = [sorted(sys.modules)]
for package in ("reportgen.models", "reportgen.chapters"):
    top = importlib.import_module(package)
    for info in pkgutil.walk_packages(top.__path__, package + "."):
        importlib.import_module(info.name)
    loaded.append(sorted(sys.modules))
print(json.dumps(loaded))
"""


@pytest.fixture(scope="module")
def loaded_by_layer() -> tuple[set[str], set[str], set[str]]:
    """The modules scikit-learn loads by itself, those loaded once every module under
    reportgen.models is imported after it, and once every chapter module is too."""
    finished = subprocess.run([sys.executable, "-c", IMPORT_EVERY_LAYER], capture_output=True,
                              text=True, check=True)
    own, models, chapters = json.loads(finished.stdout)
    return set(own), set(models), set(chapters)


def test_the_models_load_no_report_layer_and_no_rendering_library(
        loaded_by_layer: tuple[set[str], set[str], set[str]]) -> None:
    own, loaded, _ = loaded_by_layer
    ours = {name for name in loaded if name.split(".")[0] == "reportgen"}
    assert "reportgen.models.clv.purchase" in ours and "reportgen.models.recommend.weights" in ours
    assert ours - {"reportgen", "reportgen.models"} == {
        name for name in ours if name.startswith("reportgen.models.")}
    # scikit-learn's own imports (it loads pandas and rich where they are installed) are its
    # business; nothing beyond them may come in.
    assert not {name.split(".")[0] for name in loaded - own} & set(NOT_FOR_MODELS)
    assert "lifetimes" not in {name.split(".")[0] for name in loaded}


# What a chapter may never load: the report above it (context, templates, rendering), the
# jobs, the pipeline and the CLI, and the rendering and CLI libraries they bring.
NOT_FOR_CHAPTERS = ("reportgen.report", "reportgen.jobs", "reportgen.pipeline", "reportgen.cli",
                    "weasyprint", "vl_convert", "typer")


def test_the_chapters_load_the_display_toolkit_but_not_the_report_above_them(
        loaded_by_layer: tuple[set[str], set[str], set[str]]) -> None:
    loaded = loaded_by_layer[2]
    assert {"reportgen.chapters.clv.section", "reportgen.display.formatting"} <= loaded
    assert not {name for name in loaded
                if any(name == banned or name.startswith(banned + ".")
                       for banned in NOT_FOR_CHAPTERS)}


def test_no_model_imports_a_forbidden_library_itself() -> None:
    """What the model modules import by name (scikit-learn may load pandas; a model may not)."""
    import ast
    from pathlib import Path

    import reportgen.models as models

    imported = set()
    for path in Path(models.__path__[0]).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert {"numpy", "scipy", "polars", "sklearn"} <= imported
    assert not imported & set(NOT_FOR_MODELS)
    # threadpoolctl: scikit-learn's own thread control.
    assert imported - {"numpy", "scipy", "polars", "sklearn", "threadpoolctl", "reportgen"} <= set(
        sys.stdlib_module_names)


# Issue 35: scikit-learn (about 1 s of imports, with SciPy's statistics and pandas) is not
# loaded with the pipeline; a run loads it beside reading and cleaning, in a thread of its own.
IMPORT_THE_PIPELINE = """
import json, os, sys
import reportgen.pipeline
from reportgen.chapters.compute import ANALYSIS_LIBRARIES, import_libraries_ahead
before = "sklearn" in sys.modules
os.environ["POLARS_MAX_THREADS"] = "1"
on_one_core = import_libraries_ahead()
del os.environ["POLARS_MAX_THREADS"]
loading = import_libraries_ahead()
if loading is not None:
    loading.join()
print(json.dumps([before, on_one_core is None, loading is not None,
                  all(name in sys.modules for name in ANALYSIS_LIBRARIES)]))
"""


def test_the_pipeline_loads_scikit_learn_only_ahead_of_the_analyses() -> None:
    finished = subprocess.run([sys.executable, "-c", IMPORT_THE_PIPELINE], capture_output=True,
                              text=True, check=True)
    before, not_on_one_core, started, loaded = json.loads(finished.stdout)
    assert not before  # importing the pipeline did not load it
    # Not where the process has one core to itself (it would take reading's core); else
    # loaded ahead, in a thread of its own.
    assert not_on_one_core and started and loaded
