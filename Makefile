# Signpost: `make demo` runs the product on SQLite with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
FRONTEND := site/static/nhsuk/.built

.PHONY: frontend demo test test-sqlite test-postgres test-elasticsearch elasticsearch bench-search bench-oruk bench-import bench-pages bench-reporting bench-load bench-failover venv lint format clean lock

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=24'
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# The NHS.UK frontend, from the npm registry, copied into site/static/ (served by Django).
$(FRONTEND): package.json package-lock.json frontend/build.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

frontend: $(FRONTEND)

## Serve the demo directory at http://127.0.0.1:$(PORT) (SQLite, no other service needed).
demo: export WAGTAILADMIN_BASE_URL = http://127.0.0.1:$(PORT)
demo: $(STAMP) $(FRONTEND)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## The whole suite: the import contracts and system checks, then the tests on SQLite, then on
## PostgreSQL (installed and started when not already running).
test: $(STAMP) $(FRONTEND) lint
	scripts/test.sh

test-sqlite: $(STAMP)
	$(BIN)/pytest

test-postgres: $(STAMP)
	scripts/test.sh postgres

## The search backend's Elasticsearch tests, against a local node (started when needed).
test-elasticsearch: $(STAMP)
	scripts/test.sh elasticsearch

## Start a local Elasticsearch 8 node on 127.0.0.1:$${ES_PORT:-9200} (Java 17+ and Maven; logs in var/).
elasticsearch:
	scripts/elasticsearch.sh

## Search benchmark: BENCH_N activities (default 50,000) on PostgreSQL and Elasticsearch, through
## the HTTP API at concurrency 1 and 8; figures printed and written to BENCH_OUT.
BENCH_DB := postgres://postgres@127.0.0.1:$(or $(PGPORT),54329)
# A benchmark's own PostgreSQL database, created when missing: $(call create_bench_db,NAME)
create_bench_db = $(BIN)/python -c "import psycopg; c = psycopg.connect('$(BENCH_DB)/postgres', autocommit=True); \
	  c.execute(\"SELECT 1 FROM pg_database WHERE datname = '$(1)'\").fetchone() or c.execute('CREATE DATABASE $(1)')"
bench-search: export DEBUG = false
bench-search: $(STAMP)
	scripts/postgres.sh
	scripts/elasticsearch.sh
	$(call create_bench_db,signpost_bench)
	DATABASE_URL=$(BENCH_DB)/signpost_bench $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DB)/signpost_bench $(BIN)/python manage.py bench_search

## ORUK API benchmark: /oruk/services and /oruk/service_at_locations near a postcode (and each by id)
## on BENCH_N activities (default 50,000; the bench-search database, generated once) on PostgreSQL:
## p50, p95 and SQL queries per page, printed and written to BENCH_OUT (benchmarks/results/oruk.json).
bench-oruk: export DEBUG = false
bench-oruk: $(STAMP)
	scripts/postgres.sh
	$(call create_bench_db,signpost_bench)
	DATABASE_URL=$(BENCH_DB)/signpost_bench $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DB)/signpost_bench $(BIN)/python manage.py bench_oruk

## Import benchmark: an ORUK feed of BENCH_IMPORT_N services (default 5,000) into an empty scratch
## PostgreSQL directory, then again unchanged; goals 60 s and 10 s; written to benchmarks/results/import.json.
bench-import: export DEBUG = false
bench-import: $(STAMP)
	scripts/postgres.sh
	$(BIN)/python manage.py bench_import --database-url $(BENCH_DB)/signpost_bench_import

## Page budgets: server time (in-process, 200 requests), SQL queries and gzip bytes of HTML, CSS and
## JavaScript for the home, search and activity pages, on a fresh scratch SQLite demo in var/; written to BENCH_OUT.
BENCH_PAGES_DB := sqlite:///var/bench-pages.sqlite3
BENCH_REPORTING_DB ?= sqlite:///$(CURDIR)/var/bench-reporting.sqlite3
## Reporting benchmark: 100,000 generated referrals over two years (rolled back afterwards) on a
## scratch database (SQLite by default; BENCH_REPORTING_DB=postgres://... for PostgreSQL).
## BENCH_REPORTING_ARGS="--keep" keeps the generated data in that (throwaway) database;
## "--existing --only dashboard" measures it again without generating.
bench-reporting: export DATABASE_URL = $(BENCH_REPORTING_DB)
bench-reporting: export DEBUG = false
bench-reporting: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py setup_site -v 0
	$(BIN)/python manage.py bench_reporting --referrals $(or $(BENCH_REFERRALS),100000) $(BENCH_REPORTING_ARGS)

## Load test: the production stack on this machine (gunicorn with the production settings over plain
## HTTP, PostgreSQL, Elasticsearch at ELASTICSEARCH_URL, BENCH_LOAD_WORKERS task workers) on the demo
## directory (plus BENCH_N generated activities), driven by Locust in steps of BENCH_LOAD_STEPS users
## (default 10,20,40,80,160,320) for BENCH_LOAD_SECONDS each (default 60); benchmarks/results/load.json.
## BENCH_LOAD_CLUSTER=1: against two Elasticsearch nodes (one replica per shard) and two workers,
## stopping the elected master half-way through the first step; no search may fall back.
bench-load: export DEBUG = false
bench-load: $(STAMP) $(FRONTEND)
	scripts/postgres.sh
	scripts/elasticsearch.sh
	$(BIN)/python manage.py bench_load --database-url $(BENCH_DB)/signpost_load

## Failover: two Elasticsearch nodes forming one cluster (scripts/elasticsearch-cluster.sh, HTTP 9201/9202,
## one replica per shard); searches through the API while one node (the elected master) stops: every
## answer must come from Elasticsearch, not the database fallback. Written to benchmarks/results/failover.json.
bench-failover: export DEBUG = false
bench-failover: $(STAMP)
	scripts/postgres.sh
	$(call create_bench_db,signpost_failover)
	DATABASE_URL=$(BENCH_DB)/signpost_failover $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DB)/signpost_failover $(BIN)/python manage.py bench_failover

bench-pages: export DATABASE_URL = $(BENCH_PAGES_DB)
bench-pages: export DEBUG = false
bench-pages: $(STAMP) $(FRONTEND)
	mkdir -p var && rm -f var/bench-pages.sqlite3
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py load_demo -v 0
	$(BIN)/python manage.py bench_pages

## Refresh the pinned versions after changing pyproject.toml.
lock:
	rm -rf /tmp/signpost-lock && $(PYTHON) -m venv /tmp/signpost-lock
	/tmp/signpost-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/signpost-lock/bin/pip freeze --exclude-editable | grep -v '^signpost' > requirements.lock

## The layers and no import cycles (import-linter contracts in pyproject.toml), Django's system
## checks, and no missing migrations. A broken contract fails the run.
lint: $(STAMP)
	PYTHONPATH=.:site $(BIN)/lint-imports
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles node_modules site/static/nhsuk site/static/leaflet
