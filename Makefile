# Two commands on a fresh machine: `make run` (install + gateway on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# The SDK versions the compatibility tests are written against (0.2.1 differs from it only in its version string).
OCPPLAB_SDK = ocpplab==0.2.2

.PHONY: run demo test lint bench bench-fleet soak clean

$(BIN)/ocpp-ledger: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# OCPPLAB's own SDK, a test client of the suite (tests/sdk): installed without its dependencies, as its
	# pin on pydantic-core (<2.44) is older than the one our pydantic needs; it works with the newer one, and
	# httpx, pydantic and typing_extensions are already here. Not in the dev extras: pip would then refuse to
	# resolve them (the two pins cannot both hold).
	$(BIN)/pip install --quiet --no-deps $(OCPPLAB_SDK)
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
