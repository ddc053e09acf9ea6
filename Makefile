# Two commands on a fresh machine: `make run` (install + gateway on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# OCPPLAB's own SDK, a test client of the suite (tests/integration/test_sdk.py; 0.2.1 differs from 0.2.2 only
# in its version string). It is installed without its dependencies: its pin on pydantic-core (<2.44) is older
# than the one our pydantic needs, and it works with the newer one (httpx, pydantic and typing_extensions
# are ours already). Not in the dev extras: pip would then refuse to resolve them, the two pins cannot both
# hold.
OCPPLAB_SDK = ocpplab==0.2.2

.PHONY: run demo test lint bench bench-fleet soak clean

# The Makefile too: a venv made before a change of the install steps (e.g. the SDK below) is brought up to date.
$(BIN)/ocpp-ledger: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
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
