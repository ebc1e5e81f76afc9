# Two commands on a fresh machine: `make run` serves the demo, `make test` passes the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint openapi bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## run: install, migrate, ingest the demo articles, serve on http://$(HOST):$(PORT) (SQLite)
run: install
	$(BIN)/corpus migrate
	$(BIN)/corpus ingest examples/corpus
	$(BIN)/corpus serve --host $(HOST) --port $(PORT)

## test: the whole suite, every database test on SQLite and on PostgreSQL
test: install
	@command -v chromium >/dev/null 2>&1 || echo "make test: Chromium is missing, so the browser tests (/ and /docs) will be SKIPPED (under CI=true they FAIL). Install Debian's package: sudo apt-get install chromium" >&2
	$(BIN)/pytest -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy app

## openapi: re-export openapi/openapi.json from the running code
openapi: install
	$(BIN)/corpus openapi > openapi/openapi.json

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache corpus.db corpus.db-wal corpus.db-shm
