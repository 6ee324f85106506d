"""Statistical models with no knowledge of reports: customer lifetime value (`models.clv`) and
product recommendations (`models.recommend`).

Everything here takes NumPy arrays or Polars frames and returns plain results (frozen
dataclasses, arrays, frames). It imports NumPy, SciPy, Polars and scikit-learn only, never
the rest of reportgen nor a rendering library (tests/test_layers.py checks it), so a model can
be read, tested and changed without the report around it. The chapters (`reportgen.chapters`)
call these models and turn their results into pages.
"""
