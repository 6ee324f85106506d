"""reportgen: monthly CRM reports from transaction logs. See ARCHITECTURE.md for the map.

config -> inputs -> chapters (analyses) -> facts -> playbook -> sections (report) -> render
-> outputs -> jobs; pipeline.build_report runs it, cli.py is the command line.
"""

import os
from typing import TYPE_CHECKING, Any

# OpenMP threads (scikit-learn's K-Means and gradient boosting) that have finished their work
# sleep instead of spinning for the next: spinning, they took the cores from Polars and BLAS
# between stages (UK 2011-11 on 2 cores: clusters 2.2 s spinning, 1.2 s sleeping). Set before
# any OpenMP runtime loads; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if TYPE_CHECKING:
    from reportgen.api import RunResult as RunResult
    from reportgen.api import run as run
    from reportgen.api import validate as validate

__all__ = ["RunResult", "run", "validate"]


def __getattr__(name: str) -> Any:
    """The Python API (`reportgen.api`), loaded when first asked for, so that importing a part
    of reportgen (the models, say) loads nothing else."""
    if name in __all__:
        from reportgen import api

        return getattr(api, name)
    raise AttributeError(f"module 'reportgen' has no attribute '{name}'")
