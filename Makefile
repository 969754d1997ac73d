# The two set-up commands of the README:
#   make run    builds the environment, creates the embedded sample bank if absent, runs the main job
#   make test   builds the environment and runs the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SOURCE ?= data/sample_bank.duckdb

.PHONY: run test test-fast install fonts lock sample validate bench clean

# the exact versions of requirements.lock, then the suite itself (with its extras, no further resolution)
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e ".[sql,dashboards,test]"
	touch $@

# re-resolve requirements.lock from pyproject.toml (an upgrade on purpose; then run make test)
lock: install
	$(BIN)/pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --no-strip-extras --extra sql --extra dashboards --extra test \
	    --output-file requirements.lock --no-emit-index-url --no-emit-find-links \
	    pyproject.toml

install: $(BIN)/.installed

# the print fonts: Noto Sans CJK SC with TrueType outlines, embedded in the PDFs instead of Type 3 glyphs
# (postloan/run/print_fonts.py; about 30 s once per environment). Without fonts-noto-cjk it says so and
# the run prints with the system's fonts.
fonts: install
	-@$(BIN)/postloan fonts --if-absent

sample: install
	$(BIN)/postloan sample --if-absent --size small --seed 42 --out $(SOURCE)

validate: sample
	$(BIN)/postloan validate --source $(SOURCE)

# the main job: the latest month of the sample bank, for the whole bank and every branch
run: sample fonts
	$(BIN)/postloan run --source $(SOURCE)

test: install fonts
	$(BIN)/python -m pytest

# the fast lane: unit tests only (no browser, server, published run or notebook), about half a minute
test-fast: install
	$(BIN)/python -m pytest -m "not slow"

# the full monthly cycle on the large sample bank (and medium), and the naive baseline: see benchmarks/
bench: install fonts
	$(BIN)/python benchmarks/bench_cycle.py

clean:
	rm -rf $(VENV) data
