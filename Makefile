# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Both (re)create .venv when it is missing or requirements.txt / constraints.txt / pyproject.toml changed.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HURACAN_HOME ?= $(CURDIR)/.huracan
# PostgreSQL used by the store tests; CI sets nothing, so this default must work on the CI machine.
export HURACAN_TEST_PG_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/huracan_test

.PHONY: run test test-fast lint format typecheck bench bench-download bench-validate bench-env bench-train bench-backtest bench-pipeline bench-emulator \
	airflow-ui mlflow-ui emulator clean-venv

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# The daily training DAG end to end, offline: project-local Airflow (.airflow/), the exchange emulator,
# `airflow dags test huracan_training`, then a summary. See huracan/pipeline/offline_run.py.
run: $(STAMP)
	$(BIN)/python -m huracan.pipeline.offline_run

# Airflow (scheduler, dag-processor, API server, triggerer) on this project's dags/ and .airflow/; prints
# where to log in. Export HURACAN_EXCHANGE_URL=http://127.0.0.1:8765 (and run `make emulator`) to stay offline.
airflow-ui: $(STAMP)
	$(BIN)/python -m huracan.pipeline.local_airflow standalone

# MLflow UI on the tracking store the pipeline writes ($$HURACAN_HOME/mlflow.db unless MLFLOW_TRACKING_URI).
mlflow-ui: $(STAMP)
	$(BIN)/python -m huracan.pipeline.mlflow_ui

# The Binance emulator (simulated market) on 127.0.0.1:8765, for the Airflow UI offline.
emulator: $(STAMP)
	$(BIN)/huracan emulator --port 8765 --seed 7 --market trending --symbol BTC/USDT --symbol ETH/USDT

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Ruff (lint and format check) and mypy, configured in pyproject.toml; `make format` rewrites in place.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

# The benchmarks print their numbers and ratios to a reference measured in the same run. Those that
# compare with other libraries (gym-anytrading, vectorbt) need the `bench` extra, locked in constraints.txt.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[bench]" -c constraints.txt
	touch $(BENCH_STAMP)

bench: bench-download bench-validate bench-env bench-train bench-backtest bench-pipeline bench-emulator

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

bench-emulator: $(STAMP)
	$(BIN)/python bench/emulator_orders.py

clean-venv:
	rm -rf $(VENV)
