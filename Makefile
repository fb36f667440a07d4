# sesflow — every target creates or refreshes .venv when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# pytest-xdist workers: most tests wait on sockets and subprocesses, so 3 pay off even on 2 cores (0: none).
PYTEST_WORKERS ?= 3

.PHONY: install bootstrap test lint format bench demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,test]'
	touch $(STAMP)

install: $(STAMP)

# Chromium, Node.js + npm, PostgreSQL and Redis for the tests: installed with apt-get where possible,
# otherwise the script stops at once with the command to run (shared with .ci/run).
bootstrap:
	bash scripts/bootstrap.sh

test: $(STAMP) bootstrap
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports --no-cache   # the import graph: .importlinter

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# The whole loop on embedded defaults; writes sesflow-demo.duckdb and sesflow-demo-report.html in DEMO_DIR.
DEMO_DIR ?= .
demo: $(STAMP)
	$(BIN)/sesflow demo --dir $(DEMO_DIR)

bench: $(STAMP)
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache bench/.cache
