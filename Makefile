# Everything a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The bot runs on Python 3.11+, Rasa 3.6 on Python 3.10 (its own venv). Override either:
#   make run BOT_PYTHON=/usr/bin/python3.12 RASA_PYTHON=/opt/python3.10/bin/python
BOT_PYTHON ?= python3
RASA_PYTHON ?= $(shell p=$$(pyenv prefix 3.10 2>/dev/null) && echo $$p/bin/python || command -v python3.10)

VENV := .venv
RASA_VENV := .venv-rasa
BOT := $(VENV)/bin/ecsm-bot
RASA := $(RASA_VENV)/bin/rasa
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help venvs model run test lint validate unit nlu-eval bench clean screenshots

help:
	@echo "make run    - build what is missing, train the NLU model if needed, run the bot"
	@echo "make test   - build what is missing and run lint, NLU data validation and all tests"
	@echo "make lint   - ruff, mypy and the import contracts (lint-imports)"
	@echo "make bench  - benchmarks (table on stdout)"
	@echo "make screenshots - renew the dashboard's screenshots in docs/dashboard/ (browser tests)"

$(VENV)/.built: pyproject.toml
	@$(BOT_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "BOT_PYTHON=$(BOT_PYTHON) must be Python 3.11 or newer" >&2; exit 1; }
	$(BOT_PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@touch $@

$(RASA_VENV)/.built: nlu/requirements.txt
	@test -n "$(RASA_PYTHON)" && test -x "$(RASA_PYTHON)" || \
	  { echo "Python 3.10 for Rasa not found: install it (pyenv install 3.10) or pass RASA_PYTHON=/path/to/python3.10" >&2; exit 1; }
	@$(RASA_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || \
	  { echo "RASA_PYTHON=$(RASA_PYTHON) must be Python 3.10" >&2; exit 1; }
	$(RASA_PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade 'pip<24' wheel
	$(RASA_VENV)/bin/pip install --quiet -r nlu/requirements.txt
	@touch $@

venvs: $(VENV)/.built $(RASA_VENV)/.built

# Trains only when the hash of nlu/config.yml, nlu/data and nlu/requirements.txt changed.
model: venvs
	@$(BOT) nlu train

run: model
	@$(BOT) run

LINT := $(VENV)/bin/ruff check bot tests bench && $(VENV)/bin/mypy && $(VENV)/bin/lint-imports --no-logo
VALIDATE := cd nlu && ../$(RASA) data validate --data data --domain domain.yml --config config.yml --fail-on-warnings

lint: $(VENV)/.built
	$(LINT)

validate: $(RASA_VENV)/.built
	$(VALIDATE)

# The tests on TEST_WORKERS processes (pytest-xdist; loadgroup keeps the tests of the session's
# Rasa server, and each module's shared set-up, on one worker: tests/conftest.py). lint and the
# NLU data validation run beside the tests, their output kept and printed after the tests';
# `make test` fails if any of the three does. --durations: the slowest tests in every run's log
# (`make test` must stay under 20 min on a busy 2-core CI machine).
TEST_WORKERS ?= 2
PYTEST_ARGS ?= -n $(TEST_WORKERS) --dist loadgroup -ra --durations=25

test: model
	@logs=$$(mktemp -d); \
	( ( set -x; $(LINT) ) >$$logs/lint.log 2>&1; echo $$? >$$logs/lint.rc ) & \
	( ( set -x; $(VALIDATE) ) >$$logs/validate.log 2>&1; echo $$? >$$logs/validate.rc ) & \
	echo "lint and validate run beside the tests: their output follows the tests'"; \
	$(VENV)/bin/pytest $(PYTEST_ARGS); tests=$$?; \
	wait; failed=""; \
	for step in lint validate; do \
	  echo "=== $$step: exit $$(cat $$logs/$$step.rc)"; cat $$logs/$$step.log; \
	  [ "$$(cat $$logs/$$step.rc)" = 0 ] || failed="$$failed $$step"; \
	done; \
	[ $$tests = 0 ] || failed="$$failed tests"; \
	rm -rf $$logs; \
	if [ -n "$$failed" ]; then echo "make test failed:$$failed" >&2; exit 1; fi

# The browser tests write their screenshots to var/; this run writes them to docs/dashboard/.
screenshots: model
	ECSM_SCREENSHOTS_TO_DOCS=1 $(VENV)/bin/pytest -p no:randomly tests/test_dashboard_browser.py \
	  tests/test_dashboard_publishing_browser.py tests/test_nlu_learning_browser.py

bench: model
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) $(RASA_VENV) nlu/models var .mypy_cache .ruff_cache .pytest_cache .import_linter_cache

nlu-eval: model
	$(VENV)/bin/python -m bench.nlu_eval --cv
