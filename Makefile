# The README's two commands, `make course` and `make test`, and the steps they share.
# Each step is safe to repeat: it does nothing when its work is already done.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAGE  := .ci/stage
# The engines `make test` runs on, one after the other, where the course starts the engine: `29` (Docker
# 29 from Docker's static archive: the whole suite), then `current` (Docker 28, Debian's newest docker.io)
# and `20.10` (Debian 12's): the integration tests and every notebook. `make test ENGINES=current` tests
# one. An engine the course did not start (Docker Desktop, a system service) is tested as it is, once.
ENGINES ?= 29 current 20.10
# Docker's static archive for `--engine 29`: the copy in ../shared/engines/ when there (with its
# SHA256SUMS), else Docker's own download (course/engines/releases.py).
COURSE_DOCKER_ARCHIVE ?= $(firstword $(wildcard $(CURDIR)/../shared/engines/docker-29.*.tgz))
export COURSE_DOCKER_ARCHIVE
# The browser the browser tests drive (Debian's package; `make test` installs it when missing).
CHROMIUM ?= /usr/bin/chromium
export COURSE_CHROMIUM := $(CHROMIUM)
# Korean text in the browser tests' screenshots (Debian's fonts-noto-cjk)
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
# Jupyter refuses to run as root unless told that is intended.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: course test docs translations classroom lint unit setup stop clean record lock

## Open the course in JupyterLab, on the first notebook: in Korean with `make course LANGUAGE=ko` (or
## `LANGUAGE=ko make course`, or a Korean locale), its notebooks/ko/ and JupyterLab's menus in Korean.
course: setup
	$(BIN)/jupyter trust notebooks/*.ipynb notebooks/ko/*.ipynb
	$(BIN)/python -m course.jupyterlab $(ROOT_FLAG)

## Lint, unit tests, the site in a browser; then on each engine the integration tests and every notebook
## under nbval, and on the first one every scenario and JupyterLab in a browser (.ci/suite says which).
## Every stage runs and prints its time; a summary of the failed ones ends the run.
test: $(VENV)/.installed $(CHROMIUM) $(CJK_FONT)
	@.ci/suite $(ENGINES)

## Serve the course to a room: a JupyterHub on $(IP):8000, an engine of their own for each learner.
##   make classroom LEARNERS="ann bob carol" [IP=0.0.0.0] [LANGUAGE=ko]
## In Korean (LANGUAGE=ko, or a Korean locale), learners open notebooks/ko/ in a Korean JupyterLab.
## It asks for the workshop password (or reads COURSE_CLASSROOM_PASSWORD): never on the command line.
IP ?= 127.0.0.1
classroom: setup
	$(BIN)/course classroom hub $(LEARNERS) --ip $(IP)

## Build the static site from the committed notebooks into build/site (open build/site/index.html):
## English at its root, Korean (from notebooks/ko/) in build/site/ko/.
SPHINX := $(BIN)/sphinx-build -q -W --keep-going -c docs
docs: $(VENV)/.installed
	@$(STAGE) "site" sh -c '$(SPHINX) -d build/doctrees notebooks build/site \
	    && $(SPHINX) -D language=ko -d build/doctrees-ko notebooks/ko build/site/ko'
	@echo "The site is in build/site/: open build/site/index.html, or serve it with"
	@echo "  $(BIN)/python -m http.server -d build/site -b 127.0.0.1 8000"

## After a change to the English text of a notebook or of the package: refresh the catalogs
## (locale/ko/LC_MESSAGES/ for the notebooks, course/locale/ko/LC_MESSAGES/course.po for the package),
## translate what they mark new or fuzzy, then run it again to write notebooks/ko/ (locale/README.md).
translations: $(VENV)/.installed
	$(BIN)/sphinx-build -q -b gettext -D suppress_warnings=mystnb.mime_priority -c docs -d build/doctrees-gettext \
	    notebooks build/gettext
	$(BIN)/sphinx-intl update -p build/gettext -l ko -d locale -w 0
	$(BIN)/pybabel -q extract -k _ -k N_ -k ngettext:1,2 --no-location --sort-output \
	    --project dockernet-course -o build/course.pot course
	$(BIN)/pybabel -q update -i build/course.pot -d course/locale -D course -l ko -w 0 --ignore-obsolete
	$(BIN)/python locale/generate.py

## The site, built and opened in Chromium (no engine needed).
site-test: $(VENV)/.installed $(CHROMIUM) $(CJK_FONT)
	@$(STAGE) "site in a browser" $(BIN)/pytest tests/browser/test_site.py

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then echo "The browser tests need Chromium: sudo apt-get install chromium (or set CHROMIUM=/path/to/chromium)"; exit 1; fi
	@$(STAGE) "chromium" sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core fonts-liberation fonts-noto-cjk'

$(CJK_FONT):
	@if [ "$$(id -u)" != 0 ]; then echo "Korean screenshots need a font: sudo apt-get install fonts-noto-cjk"; exit 1; fi
	@$(STAGE) "Korean font" sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends fonts-noto-cjk'


## Re-record the notebooks' committed outputs, as a learner's Run All shows them (a fresh engine, please):
##   make record [NOTEBOOKS="03 04"] [LANGUAGE=ko]
record: setup
	$(BIN)/python tests/record_notebooks.py $(if $(filter ko%,$(LANGUAGE)),--language ko) $(NOTEBOOKS)

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

# The exact versions of constraints.txt, within pyproject.toml's ranges.
$(VENV)/.installed: pyproject.toml constraints.txt
	@$(STAGE) "python environment" sh -c '\
	    { $(PYTHON) -m venv $(VENV) || { apt-get update -q && apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }; } \
	    && $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e ".[test]" -c constraints.txt'
	touch $@

## Refresh constraints.txt, the lock `make`, CI and the learner image install from: a fresh environment
## (in a temporary folder) takes the newest versions pyproject.toml allows, and its freeze is the new lock.
## Then `make unit`, `make test`, and commit constraints.txt.
# With Debian 12's Python (3.11.2, the learner image's too): a newer 3.11 may choose releases that refuse
# 3.11.2 (soupsieve 4 needs 3.11.5), and `make` on Debian 12 would fail; tests/test_packaging.py checks.
LOCK_PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,$(PYTHON))
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
	    && $(LOCK_PYTHON) -m venv "$$tmp/venv" \
	    && "$$tmp/venv/bin/pip" install -q --upgrade pip \
	    && "$$tmp/venv/bin/pip" install -q -e ".[test]" \
	    && { echo "# The exact versions \`make\` installs (pip install -c constraints.txt), within pyproject.toml's ranges;"; \
	         echo "# the learner image uses them too. Generated by \`make lock\` (a fresh venv's pip freeze) with"; \
	         echo "# $$("$$tmp/venv/bin/python" -c 'import platform; print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}")'): run it again to refresh."; \
	         "$$tmp/venv/bin/pip" freeze --exclude-editable | grep -E '^[A-Za-z0-9][A-Za-z0-9._-]*==[^ ;@]+$$' | LC_ALL=C sort -f; \
	       } > "$$tmp/constraints.txt" \
	    && mv "$$tmp/constraints.txt" constraints.txt \
	    && echo "constraints.txt: $$(grep -vc '^#' constraints.txt) packages pinned"

## Remove every course container and network, then stop the engine if the course started it.
stop:
	$(BIN)/course reset
	$(BIN)/course engine stop

## `stop`, then delete the virtual environment.
clean: stop
	rm -rf $(VENV)
