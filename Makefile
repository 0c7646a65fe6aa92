# Everything CI needs is installed from here: `.ci/run` is just `make test` on a fresh clone.
.DEFAULT_GOAL := test
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Stamps live inside what they describe, so deleting .venv or node_modules also forgets the install.
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SPEC ?= openapi/paragon.yaml
PY_SOURCES := wrapper generator tests $(wildcard benchmarks)
# The library supports every CPython from 3.11 on; the machines have 3.12 and 3.13 under pyenv as well.
EXTRA_PYTHONS := 3.12 3.13
ALL_PYTHONS := 3.11 $(EXTRA_PYTHONS)

# Every venv is made and filled by uv (pinned; from PyPI, installed with pip into .tools/): the three venvs install
# at once, each in seconds from uv's cache. uv never downloads a Python: the venvs use this machine's interpreters.
UV_VERSION := 0.13.9
UV_DIR := .tools/uv-$(UV_VERSION)
UV := $(UV_DIR)/bin/uv
export UV_PYTHON_DOWNLOADS := never
# Some machines set PYTHONDONTWRITEBYTECODE; then every interpreter the tests start (the CLI, memory, fork and plugin
# tests start dozens) compiled every module it imported afresh, about a second of CPU each.
unexport PYTHONDONTWRITEBYTECODE
# `make test` runs the six pytest shards, the lint gates and the Chromium install side by side (the suites wait on
# sockets and timers part of the time); each one's output is printed whole when it ends. Eight jobs start them all
# at once: with five, the sixth shard waited for a free slot.
TEST_JOBS ?= 8
# Each suite runs as two pytest processes: one process per suite left a third of the two cores idle while tests
# waited on sockets and timers. Shard A takes the waiting-heavy files (test_deadlines alone waits ~30 s on
# dripping servers) and a like share of the rest; shard B takes everything else, so a new test file lands in B.
# Split by file, each process collects only its own tests (pytest-xdist's workers each collected all ~5,000).
SHARD_A := tests/test_deadlines.py tests/testing

export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
NPX := npx --no-install

CHROMIUM := /usr/bin/chromium

# suite-% and browser-% are phony too: no file is ever made under those names.
.PHONY: venv node chromium test test-gates lint-gates test-versions generate check-generated lint lint-spec lint-py \
	typecheck check-dist pytest demo docs bench bench-import bench-demo mutation clean

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target $(UV_DIR) uv==$(UV_VERSION)

# Re-run whenever pyproject.toml changes, so a changed pin reaches every existing checkout.
$(VENV_STAMP): pyproject.toml | $(UV)
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(PY) -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV_STAMP)
node: $(NODE_STAMP)

# Debian's Chromium for tests/browser (the official JS SDK against FakeParagon). Playwright never downloads a browser
# here: the tests launch this binary. Installing needs root; otherwise say what to run instead.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then \
	    echo "$(CHROMIUM) is missing and installing it needs root: run 'sudo apt-get install chromium'" >&2; exit 1; \
	  fi; \
	  echo "Installing Debian's chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	fi

# Every gate, on Python 3.11, 3.12 and 3.13: the pytest runs start first (the longest), and the lint gates run one
# after another beside them. tests/browser is a run of its own per Python, the only one that waits for Chromium
# (about 40 s to install on a clean machine) and for the docs build it checks, so the rest starts at once. A failing
# gate fails `make test`.
test:
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target test-gates

test-gates: $(foreach v,$(ALL_PYTHONS),suite-$(v)-a suite-$(v)-b) lint-gates $(foreach v,$(ALL_PYTHONS),browser-$(v))

venv_python = $(if $(filter 3.11,$(1)),$(PY),.venv-$(1)/bin/python)
venv_stamp = $(if $(filter 3.11,$(1)),$(VENV_STAMP),.venv-$(1)/.installed)

.SECONDEXPANSION:
suite-%-a: $$(call venv_stamp,$$*)
	@echo "pytest on Python $*: shard A ($(SHARD_A))"
	$(call venv_python,$*) -m pytest -q $(SHARD_A)

suite-%-b: $$(call venv_stamp,$$*)
	@echo "pytest on Python $*: shard B (all but tests/browser and shard A)"
	$(call venv_python,$*) -m pytest -q --ignore=tests/browser $(addprefix --ignore=,$(SHARD_A))

# Both shards of one Python, as one target.
suite-%: suite-%-a suite-%-b ;

# The docs site `make docs` built is checked once, by the 3.11 run: it is the same static site for every Python
# (tests/browser/test_docs_site.py builds its own when PARAGON_DOCS_SITE is not set).
browser-%: $$(call venv_stamp,$$*) $(NODE_STAMP) chromium docs
	@echo "pytest on Python $*: tests/browser"
	PARAGON_DOCS_SITE=$(DOCS_SITE) $(call venv_python,$*) -m pytest -q tests/browser \
	  $(if $(filter 3.11,$*),,--ignore=tests/browser/test_docs_site.py)

lint-gates: $(VENV_STAMP) $(NODE_STAMP)
	@for gate in lint-spec check-generated lint-py typecheck check-dist; do $(MAKE) --no-print-directory "$$gate" || exit 1; done

# The generated contract (generated_client/) from the spec, and the sync client and session from their async sources.
generate: $(VENV_STAMP)
	$(PY) -m generator
	$(PY) -m generator.unasync

check-generated: $(VENV_STAMP)
	$(PY) -m generator --check
	$(PY) -m generator.unasync --check

lint-spec: $(VENV_STAMP) $(NODE_STAMP)
	@# Redocly exits 0 on warnings, so its summary is read too. The box-drawn lines are its Node 20 banner.
	@out="$$($(NPX) redocly lint $(SPEC) --format stylish 2>&1)" && rc=0 || rc=$$?; \
	  grep -v '[║╔╚]' <<<"$$out" || true; \
	  test "$$rc" -eq 0 && ! grep -qE 'You have [0-9]+ warnings?' <<<"$$out"
	$(NPX) spectral lint $(SPEC) --fail-severity warn
	$(VENV)/bin/openapi-spec-validator $(SPEC)

lint-py: $(VENV_STAMP)
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)

lint: lint-spec lint-py typecheck

# The sdist and the wheel as PyPI would take them: built from the tree, then checked by twine (metadata, README).
check-dist: $(VENV_STAMP)
	@out="$$(mktemp -d)"; trap 'rm -rf "$$out"' EXIT; \
	  log="$$($(PY) -m build --no-isolation --outdir "$$out" . 2>&1)" || { echo "$$log" >&2; exit 1; }; \
	  $(VENV)/bin/twine --no-color check --strict "$$out"/*

typecheck: $(VENV_STAMP)
	$(VENV)/bin/mypy

# The browser tests load @useparagon/connect from node_modules and run it in Debian's Chromium.
pytest: $(VENV_STAMP) $(NODE_STAMP) chromium
	$(PY) -m pytest

# The docs site, built with no network: MkDocs (pinned in the dev extra; the guides and the Python API reference from
# the package's docstrings) into $(DOCS_SITE), then the REST reference from the spec by Redocly, its scripts inlined.
# Redoc's "API docs by Redocly" logo is an <img> on Redocly's CDN whatever the options: it becomes an inline SVG,
# so the page loads nothing from outside (the browser test fails on any request that leaves loopback).
DOCS_SITE ?= site
REDOC_LOGO_SVG := data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 width=%2756%27 height=%2716%27%3E%3Ctext x=%270%27 y=%2712%27 font-family=%27sans-serif%27 font-size=%2712%27 fill=%27%23777%27%3ERedocly%3C/text%3E%3C/svg%3E

docs: $(VENV_STAMP) $(NODE_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --quiet --strict --site-dir $(abspath $(DOCS_SITE))
	@out="$$($(NPX) redocly build-docs $(SPEC) --inlineBundle --title 'Paragon SDK API · useparagon' \
	  --output $(DOCS_SITE)/api/index.html 2>&1)" || { echo "$$out" >&2; exit 1; }
	sed -i -E 's|https://cdn\.redoc\.ly/redoc/logo-mini(-full)?\.svg|$(REDOC_LOGO_SVG)|g' $(DOCS_SITE)/api/index.html
	@! grep -o 'https://cdn\.redoc\.ly[^`"]*' $(DOCS_SITE)/api/index.html
	@echo "docs: $(DOCS_SITE)/index.html, REST reference in $(DOCS_SITE)/api/index.html"

# The demo needs only the library and its runtime dependencies: a venv of its own installs in seconds, where the
# development one (mypy, schemathesis, the generator, playwright…) took half a minute on a fresh clone.
DEMO_VENV := .venv-demo

$(DEMO_VENV)/.installed: pyproject.toml | $(UV)
	test -x $(DEMO_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(DEMO_VENV)
	$(UV) pip install --quiet --python $(DEMO_VENV)/bin/python -e .
	touch $@

demo: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/python -m useparagon.demo

find_python = $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1))),$(shell command -v python$(1)))

.venv-%/.installed: pyproject.toml | $(UV)
	@py="$(call find_python,$*)"; test -n "$$py" || { echo "Python $* not found (pyenv or PATH)" >&2; exit 1; }; \
	  test -x .venv-$*/bin/python || $(UV) venv --quiet --python "$$py" .venv-$*
	$(UV) pip install --quiet --python .venv-$*/bin/python -e '.[dev]'
	touch $@

pytest-%: .venv-%/.installed $(NODE_STAMP) chromium
	@echo "pytest on Python $*"
	.venv-$*/bin/python -m pytest -q

test-versions: $(foreach v,$(EXTRA_PYTHONS),pytest-$(v))
# Made through the pattern rule pytest-%, yet not intermediate: make must not delete them after a run.
.SECONDARY: $(foreach v,$(EXTRA_PYTHONS),.venv-$(v)/.installed)

bench: $(VENV_STAMP)
	$(PY) benchmarks/overhead.py

bench-import: $(VENV_STAMP)
	$(PY) benchmarks/import_time.py

# make demo's first run on a fresh clone of HEAD (target <= 12 s); add ARGS=--cold-cache for an empty uv cache.
bench-demo: $(VENV_STAMP)
	$(PY) benchmarks/demo_first_run.py $(ARGS)

# Not part of `make test` (minutes per module): mutmut, pinned in requirements-mutation.txt, in .venv-mutation.
mutation: $(VENV_STAMP)
	$(PY) benchmarks/mutation.py

clean:
	rm -rf site $(VENV) $(foreach v,$(EXTRA_PYTHONS),.venv-$(v)) $(DEMO_VENV) .tools node_modules dist build .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
