PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SLOW ?= 0
PYTEST_ARGS ?=

.PHONY: run test venv quick bench clean

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
	SLOW=$(SLOW) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m pip install --quiet -e ".[test]"
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) results build *.egg-info src/*.egg-info
