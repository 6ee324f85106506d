"""`make bench`: every benchmark, or those named:
python -m benchmarks [pipeline] [clv] [clusters] [suggestions]."""

from __future__ import annotations

import sys

from benchmarks import clustering, clv_fitting, pipeline_stages, suggestions

BENCHMARKS = {
    "pipeline": pipeline_stages.main, "clv": clv_fitting.main, "clusters": clustering.main,
    "suggestions": suggestions.main,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHMARKS):
        print(f"\n== {name} ==")
        BENCHMARKS[name]()
