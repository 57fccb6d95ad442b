# Mini AI Studio. Two commands: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8790
DATA_DIR ?= data
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
WEB_DIST := src/miniaistudio/web_dist/index.html
WEB_SOURCES := $(shell find web/src web/index.html web/package.json web/vite.config.ts -type f 2>/dev/null)

.PHONY: run cluster test test-postgres system-deps system-deps-test web web-test lint typecheck clean bench

run: system-deps $(STAMP) web
	$(BIN)/miniaistudio migrate --data-dir $(DATA_DIR)
	$(BIN)/miniaistudio serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# The distributed studio on one machine (README "When one machine is not enough"): throwaway PostgreSQL,
# Redis and S3 (SeaweedFS) servers on loopback and two API processes sharing them; Ctrl-C stops everything.
cluster: system-deps-test $(TEST_STAMP) web
	$(BIN)/python scripts/cluster.py --port $(PORT)

test: system-deps-test $(TEST_STAMP) web
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python scripts/api_types.py --check
	$(MAKE) web-test
	@set +e; $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc
	$(MAKE) test-postgres

# The API suites again with the studio on PostgreSQL 15 + Redis (throwaway servers, tests/servers.py).
PG_SUITES ?= tests/api tests/sharing tests/billing tests/keys tests/aivs tests/celery
test-postgres: system-deps-test $(TEST_STAMP)
	@set +e; $(BIN)/python -m pytest --backend=postgres $(PG_SUITES) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

system-deps:
	@scripts/system-deps.sh

system-deps-test:
	@scripts/system-deps.sh --test

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# One pip command per stamp, so torch==2.13.0 resolves together with what depends on it.
$(STAMP): pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[models,creative]'
	$(BIN)/python -m miniaistudio.setup_assets
	@touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[models,creative,test]'
	@touch $@

# The canvas is built into the package when its sources are newer than the bundle.
web: $(WEB_DIST)

$(WEB_DIST): $(WEB_SOURCES)
	@if [ -f web/package.json ]; then \
	  cd web && (npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error) && npm run build; \
	else echo "no web/ sources yet"; fi

# Front-end unit tests (Vitest); the browser tests run with pytest (-m browser).
web-test: web
	cd web && ([ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error) && npm test

lint:
	$(BIN)/ruff check src tests bench

typecheck:
	$(BIN)/mypy
	$(BIN)/python scripts/api_types.py --check

bench: $(TEST_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) src/miniaistudio/web_dist web/node_modules
