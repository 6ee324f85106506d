# Two entry points for a fresh machine with python3 and make: `make demo` and `make test`.
# Installs come from requirements.lock (exact versions and hashes); `make update-deps` renews it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# Tests keep their compiled (and pytest's rewritten) modules between runs even where the
# environment turns bytecode off: collecting without them costs seconds on every run. The
# suite runs one worker per core, so each worker computes on one thread (Polars, BLAS,
# OpenMP): threads competing for the same cores cost 13 % of the suite's time on 2 cores.
PYTEST := env -u PYTHONDONTWRITEBYTECODE POLARS_MAX_THREADS=1 OMP_NUM_THREADS=1 \
	OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest

.PHONY: install demo test test-fast bench bench-large lint update-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reportgen demo

test: $(STAMP)
	$(PYTEST) -q -n auto --dist loadfile --no-loadscope-reorder

test-fast: $(STAMP)
	$(PYTEST) -q -n auto --dist loadfile --no-loadscope-reorder -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# 1 M, 10 M and 100 M synthetic lines end to end; inputs cached in ~/.cache/reportgen/bench.
bench-large: $(STAMP)
	$(BIN)/python -m benchmarks.large

lint: $(STAMP)
	$(BIN)/ruff check reportgen tests benchmarks
	$(BIN)/mypy

# Resolve pyproject.toml's ranges to the newest versions again, with hashes (needs the network).
update-deps:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --extra dev --extra spark --extra database \
		--strip-extras --no-emit-index-url --no-emit-find-links --output-file $(LOCK) \
		pyproject.toml build-requirements.in
	rm -rf .venv-lock $(STAMP)

clean:
	rm -rf $(VENV) output
