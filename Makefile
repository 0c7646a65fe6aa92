# Everything CI needs is installed from here: `.ci/run` is just `make test` on a fresh clone.
.DEFAULT_GOAL := test
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
SPEC ?= openapi/paragon.yaml
PY_SOURCES := wrapper generator tests $(wildcard benchmarks)

export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
NPX := npx --no-install

.PHONY: test generate check-generated lint lint-spec lint-py typecheck pytest demo clean

$(STAMPS):
	mkdir -p $@

# Re-run whenever pyproject.toml changes, so a changed pin reaches every existing checkout.
$(STAMPS)/venv: pyproject.toml | $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(STAMPS)/node: package.json package-lock.json | $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(STAMPS)/venv
node: $(STAMPS)/node

test: lint-spec check-generated lint-py typecheck pytest

generate: $(STAMPS)/venv
	$(PY) -m generator

check-generated: $(STAMPS)/venv
	$(PY) -m generator --check

lint-spec: $(STAMPS)/venv $(STAMPS)/node
	@# Redocly exits 0 on warnings, so its summary is read too. The box-drawn lines are its Node 20 banner.
	$(NPX) redocly lint $(SPEC) --format stylish 2>&1 | { grep -v '[║╔╚]' || true; } | tee $(STAMPS)/redocly.log
	@! grep -E 'You have [0-9]+ warnings?' $(STAMPS)/redocly.log
	$(NPX) spectral lint $(SPEC) --fail-severity warn
	$(VENV)/bin/openapi-spec-validator $(SPEC)

lint-py: $(STAMPS)/venv
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)

lint: lint-spec lint-py typecheck

typecheck: $(STAMPS)/venv
	$(VENV)/bin/mypy

pytest: $(STAMPS)/venv
	$(PY) -m pytest

demo: $(STAMPS)/venv
	$(PY) -m useparagon.demo

clean:
	rm -rf $(VENV) node_modules $(STAMPS) dist build .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
