# The two commands a newcomer needs: `make run` and `make test`. Both are idempotent:
# the second run skips what is already installed (stamp files track pyproject.toml).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test test-dates lint install install-test translations db demo chromium bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.stamp-install-test: pyproject.toml $(VENV)/.stamp-install
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.stamp-install translations
install-test: $(VENV)/.stamp-install-test translations chromium node_modules/.stamp-npm

# ical.js (Thunderbird's parser) reads the calendar feeds back in the tests; npm ci installs
# exactly package-lock.json. Without npm those tests are skipped (and fail in CI).
node_modules/.stamp-npm: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm no está instalado; las pruebas con ical.js se omitirán"; fi

# Catalogs are compiled, never committed: the .po files are the source.
translations: $(VENV)/.stamp-install
	@$(BIN)/pybabel compile -d app/translations >/dev/null

db: install
	@mkdir -p instance
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask demo load --if-empty

# The worker (mail, the clock's state changes) runs beside the web server and stops with it.
run: demo
	$(BIN)/flask demo logins
	@export PORT=$(PORT); $(BIN)/flask worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Browser tests need Debian's Chromium; install it when missing and the machine allows it.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Instalando chromium (Debian)…"; \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	      { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	    else echo "chromium no está instalado; las pruebas de navegador se omitirán"; fi; }

lint: $(VENV)/.stamp-install-test
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench

# The suite runs at a fixed instant (tests/conftest.py): VITRINA_TEST_NOW=2027-01-04 picks
# another. `make test-dates` runs it again on each of TEST_DATES (the day after a nomination
# deadline, early January) without the demo date sweep, which covers a whole year by itself.
TEST_DATES ?= 2026-12-01 2027-01-04
test: install-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-dates: install-test
	@for day in $(TEST_DATES); do \
	  echo "== the suite on $$day"; \
	  VITRINA_TEST_NOW=$$day $(BIN)/python -m pytest -m "not date_sweep" $(PYTEST_ARGS) || exit 1; \
	done

# The load generator is Debian's wrk, installed when missing and the machine allows it.
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; }; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
