PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SLOW ?= 0
PYTEST_ARGS ?=
# pytest-xdist workers: one per core (at most 4), work stealing so no worker idles while another holds
# a queue of slow tests; PYTEST_WORKERS=0 runs in this process
PYTEST_WORKERS ?= auto

.PHONY: run test venv quick bench clean docs lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

run: venv
	$(BIN)/opentangle reproduce --out results

quick: venv
	$(BIN)/opentangle reproduce --out results --quick

test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	SLOW=$(SLOW) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist worksteal --durations=25 $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m pip install --quiet -e ".[test]"
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

# The site (mkdocs --strict: a warning is an error) into site/. The gallery reuses
# $$OPENTANGLE_REPORT or build/docs-report/, else runs `reproduce --quick` once (see CONTRIBUTING.md).
docs: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	OMP_NUM_THREADS=1 NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/python -m mkdocs build --strict --clean --site-dir site

# ruff (lint and format check) and mypy, configured in pyproject.toml; zero findings expected.
lint: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lint]"
	$(BIN)/python -m ruff check src tests benchmarks docs
	$(BIN)/python -m ruff format --check src tests benchmarks docs
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) results build site *.egg-info src/*.egg-info
