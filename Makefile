# User Asset Warehouse: the two commands are `make demo` and `make test` (README).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
INSTALLED_SPARK := $(VENV)/.installed-spark
SEED ?= 42
TIER ?= small
# The tracking format of the sample's events (docs/event-formats.md): contract, sensors, segment
# or table. `make build` and `make demo` read that format; an already set USER_ASSETS_EVENTS_FORMAT
# is kept (and is the default FORMAT).
FORMAT ?= $(or $(USER_ASSETS_EVENTS_FORMAT),contract)
FORMAT := $(FORMAT)

export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export GX_ANALYTICS_ENABLED := false
export USER_ASSETS_RAW_DIR ?= data/raw
export USER_ASSETS_DUCKDB_PATH ?= warehouse.duckdb
# The Dagster instance `make ui` serves and `make build` reports to (absolute, as Dagster requires).
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
# Every deletion goes through orchestration/safe_paths.py: only what the project created (marked),
# anything else refused by name (docs/safety.md). It needs no venv, so `make clean` works without one.
SAFE_PATHS = "$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))" -m orchestration.safe_paths

.PHONY: help install install-spark data build summary demo test test-slow test-spark test-bench lint format dbt-test pytest docs clean clean-data eval calibrate bench ui publish validate bi test-bi

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# A venv that has the spark extra keeps it up to date (pyspark's own dependencies with it).
	extras=dev; test -f $(INSTALLED_SPARK) && extras=dev,spark; \
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$$extras]"
	@touch $@

install: $(INSTALLED) ## Create .venv and install the locked dependencies

$(INSTALLED_SPARK): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,spark]'
	@touch $@

install-spark: $(INSTALLED_SPARK) ## Add dbt-spark and pyspark (the `spark` target; needs Java 17+)

# The simulator keeps a sample of this tier and format, replaces one of another tier or format,
# and refuses (exit 1, nothing touched) a folder holding files it did not generate.
data: $(INSTALLED) ## Generate the sample data (TIER=tiny|small|large, SEED=42, FORMAT=contract|sensors|segment|table) unless present
	@$(BIN)/python -m orchestration.simulate --tier $(TIER) --seed $(SEED) --format $(FORMAT) --out "$(USER_ASSETS_RAW_DIR)" --keep-existing

build demo validate: export USER_ASSETS_EVENTS_FORMAT ?= $(FORMAT)

# The results are then reported to the Dagster instance (orchestration/dagster_report.py), so
# `make ui` shows every asset materialized and every check evaluated; dbt's exit status is kept.
build: $(INSTALLED) ## dbt build (seeds, models, tests) on $USER_ASSETS_RAW_DIR; results shown in `make ui`
	$(BIN)/dbt build; status=$$?; $(BIN)/python -m orchestration.dagster_report && exit $$status

summary: $(INSTALLED) ## Print rows per layer and rejects per reason of the last build; charts in reports/summary.html
	@$(BIN)/python -m orchestration.summary

demo: data build validate summary ## Install, generate the small sample, build, validate, summarise

validate: $(INSTALLED) ## Great Expectations suites on the current build; Data Docs in quality_docs/
	$(BIN)/python -m orchestration.quality.validate

test: $(INSTALLED) lint dbt-test ## Every check: ruff, sqlfluff, dbt build on tiny data, pytest

lint: $(INSTALLED) ## ruff and sqlfluff (dbt templater)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2 models tests/singular

format: $(INSTALLED) ## Apply ruff format and sqlfluff fix
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix --processes 2 models tests/singular

# The tiny tier, in a temporary folder and DuckDB file (never the demo's); pytest reuses the
# build through USER_ASSETS_TEST_BUILD_DIR instead of building it again.
dbt-test: $(INSTALLED)
	@set -e; work=$$(mktemp -d -t uaw-test-XXXXXX); $(SAFE_PATHS) mark "$$work" "make dbt-test"; \
	trap '$(SAFE_PATHS) remove "$$work" >/dev/null' EXIT; \
	echo "Test build in $$work"; \
	$(BIN)/python -m orchestration.simulate --tier tiny --seed 7 --out "$$work/raw"; \
	USER_ASSETS_RAW_DIR="$$work/raw" USER_ASSETS_DUCKDB_PATH="$$work/warehouse.duckdb" \
		DBT_TARGET_PATH="$$work/target" DBT_LOG_PATH="$$work/logs" $(BIN)/dbt build; \
	$(BIN)/dbt parse --quiet; \
	USER_ASSETS_TEST_BUILD_DIR="$$work" $(BIN)/pytest -n 2 --dist loadfile -m "not slow and not bench and not spark"

# Suites too slow for `make test` (kept under 12 minutes), marked in the tests and run by their own
# targets and by CI (.ci/run): `slow`, the suites that build the tiny tier again, most of them many
# times over (day by day against one full build, a killed build, every events format, partial data
# sets, the person models' incremental == full, Dagster in process), and `bench`, the bench's flow.
test-slow: $(INSTALLED) ## Suites that build the tiny tier again: day by day = one full build, killed build, every events format, partial data, Dagster in process
	$(BIN)/dbt parse --quiet  # the Dagster definitions the collected modules import read the manifest
	$(BIN)/pytest -p no:cacheprovider -n 2 --dist loadfile -m slow

test-bench: $(INSTALLED) ## The bench's own tests: the whole bench flow on the tiny tier (about 5 minutes)
	$(BIN)/dbt parse --quiet
	$(BIN)/pytest -p no:cacheprovider -m bench

# Spark (docs/spark.md): the tiny tier built on DuckDB and on a local Spark session,
# every mart compared. The metastore and warehouse live in the temporary folder too.
# The tests marked `spark` then land one more day on that Spark build and run it incrementally
# (not in make test).

test-spark: $(INSTALLED_SPARK) ## Build the tiny tier on local Spark and compare every mart with DuckDB
	@command -v java >/dev/null || { echo "make test-spark needs Java 17 or newer on the PATH (pyspark 4)."; exit 1; }
	@set -e; work=$$(mktemp -d -t uaw-spark-XXXXXX); $(SAFE_PATHS) mark "$$work" "make test-spark"; \
	trap '$(SAFE_PATHS) remove "$$work" >/dev/null' EXIT; \
	echo "Spark test build in $$work"; \
	$(BIN)/python -m orchestration.simulate --tier tiny --seed 7 --out "$$work/raw"; \
	export USER_ASSETS_RAW_DIR="$$work/raw" DBT_LOG_PATH="$$work/logs" USER_ASSETS_SPARK_DIR="$$work/spark"; \
	USER_ASSETS_DUCKDB_PATH="$$work/warehouse.duckdb" DBT_TARGET_PATH="$$work/target" $(BIN)/dbt build --quiet; \
	DBT_TARGET_PATH="$$work/spark-target" $(BIN)/python -m orchestration.spark_compare --duckdb "$$work/warehouse.duckdb"; \
	$(BIN)/dbt parse --quiet; \
	USER_ASSETS_SPARK_TEST_BUILD_DIR="$$work" $(BIN)/pytest -p no:cacheprovider -m spark

pytest: $(INSTALLED) ## pytest alone (builds its own tiny warehouse)
	$(BIN)/dbt parse --quiet
	$(BIN)/pytest -m "not spark"

# Dagster needs an absolute DAGSTER_HOME that exists; dagster_home/dagster.yaml turns telemetry off.
ui: $(INSTALLED) ## Dagster UI on http://127.0.0.1:$(or $(UI_PORT),3000) (asset graph, runs, checks, schedules)
	@mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/dbt parse --quiet
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p $(or $(UI_PORT),3000)

publish: $(INSTALLED) ## Publish the marts to serving/ for BI (refuses a failed build unless FORCE=1)
	$(BIN)/python -m orchestration.serving $(if $(FORCE),--force)

# BI (docs/bi.md): Apache Superset in its own .venv-bi (bi/constraints.txt; it pins SQLAlchemy 1.4),
# its metadata database, secret key and admin password in bi/superset_home/ (git-ignored).
VENV_BI := .venv-bi
BIN_BI := $(CURDIR)/$(VENV_BI)/bin
INSTALLED_BI := $(VENV_BI)/.installed
BI_PACKAGES := apache-superset duckdb-engine rich cachetools flask-caching playwright pytest
export BI_PORT ?= 8088

$(INSTALLED_BI): bi/constraints.txt
	@test -x $(BIN_BI)/python || $(PYTHON) -m venv $(VENV_BI)
	$(BIN_BI)/python -m pip install --quiet --upgrade pip
	$(BIN_BI)/python -m pip install --quiet -c bi/constraints.txt $(BI_PACKAGES)
	@touch $@

bi: $(INSTALLED_BI) ## Superset on http://127.0.0.1:$BI_PORT (8088) with the dashboards, over the serving copy of `make publish`
	@$(BIN_BI)/python -m bi.serve

# Chromium comes from Debian (Playwright drives it; it downloads no browser of its own). The
# warehouse is the published one, or the small demo built and published first.
test-bi: $(INSTALLED_BI) ## Open every dashboard headless: charts render with data; screenshots in docs/screenshots/bi/
	@command -v chromium >/dev/null || { echo "make test-bi: installing Chromium (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| { echo "make test-bi needs Chromium: apt-get install chromium (as root)"; exit 1; }
	@test -e "$(or $(USER_ASSETS_SERVING_DIR),serving)/warehouse_serving.duckdb" || $(MAKE) --no-print-directory demo publish
	$(BIN_BI)/python -m pytest --noconftest -p no:cacheprovider orchestration/tests/bi_browser/check_dashboards.py

docs: $(INSTALLED) ## Generate dbt docs (serve with: .venv/bin/dbt docs serve --host 127.0.0.1)
	$(BIN)/dbt docs generate
	@echo "Docs in target/index.html; serve them with: .venv/bin/dbt docs serve --host 127.0.0.1 --port 8080"

clean: ## Remove build output (keeps .venv and data); refuses what the project did not create
	$(SAFE_PATHS) remove target logs serving quality_docs reports --warehouse "$(USER_ASSETS_DUCKDB_PATH)"

clean-data: ## Remove the generated sample data; refuses a folder the simulator did not create
	$(SAFE_PATHS) remove "$(USER_ASSETS_RAW_DIR)" "$(USER_ASSETS_RAW_DIR)/../truth"

eval: $(INSTALLED) ## One-ID precision/recall against the simulator's ground truth (after make demo)
	$(BIN)/python -m orchestration.identity_eval

calibrate: $(INSTALLED) ## Purchase predictions against a 90-day holdout, by decile (after make demo)
	$(BIN)/python -m orchestration.predictions_eval

bench: $(INSTALLED) ## Benchmark, about an hour on large (BENCH_TIER=large; BENCH_TIER=tiny BENCH_ARGS=--quick to try); JSON in bench/results/ (docs/benchmark.md)
	$(BIN)/python -m orchestration.bench --tier $(or $(BENCH_TIER),large) $(BENCH_ARGS)
