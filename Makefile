# Two commands on a fresh machine: `make run` (install + gateway on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run demo test lint bench bench-fleet soak clean

$(BIN)/ocpp-ledger: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/ocpp-ledger
	$(BIN)/ocpp-ledger serve $(ARGS)

demo: $(BIN)/ocpp-ledger
	$(BIN)/ocpp-ledger serve --demo $(ARGS)

lint: $(BIN)/ocpp-ledger
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

soak: $(BIN)/ocpp-ledger
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

bench: $(BIN)/ocpp-ledger
	$(BIN)/python bench/ingest.py

# The fleet against the bare `ocpp` library's charge points, e.g. ARGS='--sizes 100,1000 --before /tmp/before'
bench-fleet: $(BIN)/ocpp-ledger
	$(BIN)/python bench/fleet.py $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
