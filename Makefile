# The README's two commands, `make course` and `make test`, and the steps they share.
# Each step is safe to repeat: it does nothing when its work is already done.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAGE  := .ci/stage
# The engines `make test` runs the whole suite on, one after the other, where the course starts the
# engine: `current` (Docker 28, Debian's newest docker.io) and `20.10` (Debian 12's). `make test
# ENGINES=current` tests one. An engine the course did not start (Docker Desktop, a system service) is
# tested as it is, once.
ENGINES ?= current 20.10
# Jupyter refuses to run as root unless told that is intended.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: course test lint unit setup stop clean

## Open the course in JupyterLab, on the first notebook.
course: setup
	$(BIN)/jupyter trust notebooks/*.ipynb
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_setup.ipynb

## Lint, then on each engine: unit and integration tests, every notebook under nbval, and the two
## scenarios (every notebook on an engine in use; notebooks 00-04 on an engine reached by DOCKER_HOST).
test: lint unit
	@for engine in $(ENGINES); do \
	    $(STAGE) "start engine $$engine" $(BIN)/course engine start --engine $$engine || exit 1; \
	    $(STAGE) "lab image" $(BIN)/course images build || exit 1; \
	    $(STAGE) "tests and notebooks on $$engine" $(BIN)/pytest || exit 1; \
	    $(STAGE) "scenarios on $$engine" $(BIN)/pytest tests/scenarios || exit 1; \
	    $(BIN)/course engine owned || break; \
	done

## Lint and format checks (no engine needed).
lint: $(VENV)/.installed
	@$(STAGE) lint sh -c '$(BIN)/ruff check . && $(BIN)/ruff format --check .'

## Unit tests only: no engine, no notebooks (for contributors; under 30 s).
unit: $(VENV)/.installed
	@$(STAGE) "unit tests" $(BIN)/pytest -o addopts="-ra --strict-markers" -m "not integration" tests

## The environment, a running engine and the lab image.
setup: $(VENV)/.installed
	$(BIN)/course engine start
	$(BIN)/course images build

$(VENV)/.installed: pyproject.toml
	@$(STAGE) "python environment" sh -c '\
	    { $(PYTHON) -m venv $(VENV) || { apt-get update -q && apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }; } \
	    && $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e ".[test]"'
	touch $@

## Remove every course container and network, then stop the engine if the course started it.
stop:
	$(BIN)/course reset
	$(BIN)/course engine stop

## `stop`, then delete the virtual environment.
clean: stop
	rm -rf $(VENV)
