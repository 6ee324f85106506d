"""`make bench`: every benchmark, or those named:
python -m benchmarks [aggregation] [clv] [report] [pipeline] [clusters] [suggestions] [spark]
[database] [large_catalogue].
The 100 M-line run is separate: `make bench-large` (benchmarks/large.py)."""

from __future__ import annotations

import sys

from benchmarks import (
    aggregation,
    clustering,
    clv_fitting,
    database_read,
    large_catalogue,
    pipeline_stages,
    report,
    spark_engine,
    suggestions,
)

BENCHMARKS = {
    "aggregation": aggregation.main, "clv": clv_fitting.main, "report": report.main,
    "pipeline": pipeline_stages.main, "clusters": clustering.main,
    "suggestions": suggestions.main, "spark": spark_engine.main,
    "database": database_read.main, "large_catalogue": large_catalogue.main,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHMARKS):
        print(f"\n== {name} ==")
        BENCHMARKS[name]()
