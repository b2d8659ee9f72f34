# The README's two commands, `make course` and `make test`, and the steps they share.
# Each step is safe to repeat: it does nothing when its work is already done.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Jupyter refuses to run as root unless told that is intended.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: course test setup stop clean

## Open the course in JupyterLab, on the first notebook.
course: setup
	$(BIN)/jupyter trust notebooks/*.ipynb
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_setup.ipynb

## Lint, unit and integration tests, then every notebook under nbval, on the real engine.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

## The environment, a running engine and the lab image.
setup: $(VENV)/.installed
	$(BIN)/course engine start
	$(BIN)/course images build

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || { apt-get update -q && apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## Remove every course container and network, then stop the engine if the course started it.
stop:
	$(BIN)/course reset
	$(BIN)/course engine stop

## `stop`, then delete the virtual environment.
clean: stop
	rm -rf $(VENV)
