# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Both (re)create .venv when it is missing or requirements.txt / constraints.txt / pyproject.toml changed.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HURACAN_HOME ?= $(CURDIR)/.huracan
# PostgreSQL used by the store tests; CI sets nothing, so this default must work on the CI machine.
export HURACAN_TEST_PG_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/huracan_test

.PHONY: run test bench-download clean-venv

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m huracan.quickstart

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench-download: $(STAMP)
	$(BIN)/python bench/download.py

clean-venv:
	rm -rf $(VENV)
