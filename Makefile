# The two commands a newcomer needs: `make run` and `make test`.
# Everything is installed into .venv; nothing outside the repository is changed,
# except that on a Debian machine without Python's venv module we install it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs on this many processes (one test file each at a time).
TEST_WORKERS ?= 2

.PHONY: install run audio test lint translations check-translations bench clean

$(STAMP): pyproject.toml
	@if ! $(PYTHON) -m venv --help >/dev/null 2>&1 || ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then \
		echo "Python's venv module is missing; installing python3-venv (Debian)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Serve the demo council on http://$(HOST):$(PORT) (SQLite under instance/). Read-aloud
## audio is built meanwhile, in the background at low priority (until then pages have what
## they need made on first need); the build is stopped when the server stops.
run: install
	$(BIN)/viewpoint db upgrade
	$(BIN)/viewpoint demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop); building read-aloud audio meanwhile"
	@nice -n 10 $(BIN)/viewpoint audio build & builder=$$!; \
	trap 'kill $$builder 2>/dev/null; wait $$builder 2>/dev/null' EXIT INT TERM HUP; \
	$(BIN)/viewpoint run --host $(HOST) --port $(PORT)

## Read-aloud audio for every question in every language, made with espeak-ng (installed in
## .venv with the app). Only what is missing is made.
audio: install
	$(BIN)/viewpoint audio build

## The test identity provider (oidc-provider from npm, run with node) for the staff sign-in
## tests; skipped where node is missing (CI installs it from Debian).
tests/oidc/node_modules/.installed: tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/oidc && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm is missing: the council sign-in tests will be skipped"; fi

## The whole suite: lint and the layers' import contracts, catalogs, definitions, then every
## test on SQLite and PostgreSQL.
test: install tests/oidc/node_modules/.installed
	$(BIN)/ruff check viewpoint tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/viewpoint questionnaires check
	$(BIN)/python -m viewpoint.catalogs check
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check viewpoint tests benchmarks
	$(BIN)/lint-imports

## Extract every string into translations/messages.pot, update each language, compile.
translations: install
	$(BIN)/python -m viewpoint.catalogs update

check-translations: install
	$(BIN)/python -m viewpoint.catalogs check

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
