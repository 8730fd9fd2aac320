# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: run test lint typecheck pytest pytest-postgres postgres catalogs browser i18n-extract i18n-update i18n-check bench simulate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(PIP) install --quiet -e '.[test]'
	touch $@

catalogs: $(VENV)/.runtime
	$(BIN)/python -m bot i18n compile

run: $(VENV)/.runtime catalogs
	$(BIN)/python -m bot migrate
	$(BIN)/python -m bot run

simulate: $(VENV)/.runtime catalogs
	$(BIN)/python -m bot simulate

# The suite runs on SQLite and on PostgreSQL at once (two cores: one run each; output kept apart).
test: $(VENV)/.test catalogs browser postgres lint typecheck
	$(MAKE) -j2 --output-sync=target pytest pytest-postgres

# PostgreSQL for the suite's PostgreSQL run (tests/pg_server.py starts a private server from it).
postgres:
	bash .ci/postgres.sh

# Chromium for the dashboard's browser tests (skipped, with a message, where it cannot be installed).
browser:
	bash .ci/chromium.sh

lint: $(VENV)/.test
	$(BIN)/ruff check .

typecheck: $(VENV)/.test
	$(BIN)/mypy

pytest: $(VENV)/.test catalogs
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The same suite with every database on a real PostgreSQL server; tests/growth (pure functions, no database)
# runs once, above.
pytest-postgres: $(VENV)/.test catalogs
	POSYANDU_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/growth \
		$(PYTEST_ARGS)

i18n-extract: $(VENV)/.runtime
	$(BIN)/python -m bot i18n extract

i18n-update: $(VENV)/.runtime
	$(BIN)/python -m bot i18n update

i18n-check: $(VENV)/.runtime
	$(BIN)/python -m bot i18n check

bench: $(VENV)/.test catalogs
	for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
	find locales -name '*.mo' -delete
