# The two set-up commands of the README:
#   make run    builds the environment, creates the embedded sample bank if absent, runs the main job
#   make test   builds the environment and runs the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SOURCE ?= data/sample_bank.duckdb

.PHONY: run test install sample validate bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

sample: install
	$(BIN)/postloan sample --if-absent --size small --seed 42 --out $(SOURCE)

validate: sample
	$(BIN)/postloan validate --source $(SOURCE)

# the main job: the latest month of the sample bank, for the whole bank and every branch
run: sample
	$(BIN)/postloan run --source $(SOURCE)

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_foundation.py

clean:
	rm -rf $(VENV) data
