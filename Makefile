# The two commands a newcomer needs: `make run` and `make test`.
# Everything is installed into .venv; nothing outside the repository is changed,
# except that on a Debian machine without Python's venv module we install it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

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

## Serve the demo council on http://$(HOST):$(PORT) (SQLite under instance/).
run: install
	$(BIN)/viewpoint db upgrade
	@$(MAKE) --no-print-directory audio
	$(BIN)/viewpoint demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	$(BIN)/viewpoint run --host $(HOST) --port $(PORT)

## Read-aloud audio for every question in every language (espeak-ng, from Debian's packages;
## installed here when missing and we may). Only what is missing is made.
audio: install
	@if ! command -v espeak-ng >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing espeak-ng (Debian) to make read-aloud audio"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null; \
	fi
	@if command -v espeak-ng >/dev/null 2>&1; then $(BIN)/viewpoint audio build; \
	else echo "espeak-ng is not installed (apt-get install espeak-ng): pages will say there is no audio yet."; fi

## The whole suite: lint and the layers' import contracts, catalogs, definitions, then every
## test on SQLite and PostgreSQL.
test: install
	$(BIN)/ruff check viewpoint tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/viewpoint questionnaires check
	$(BIN)/python -m viewpoint.catalogs check
	$(BIN)/python -m pytest

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
