# symcnn — reproducible setup.
#
#   make demo   set everything up, then run symcnn on the seed example
#   make test   set everything up (heavy test deps too), then run every test
#
# Everything lives in .venv; stamp files inside it make repeated runs fast.
# `make clean` removes the venv and the test output, so the next run starts fresh.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

# A machine may keep wheels on disk (torch's CPU build lies in /opt/wheels here).
WHEELS := $(wildcard /opt/wheels)
PIP_INSTALL := $(PIP) install $(if $(WHEELS),--find-links $(WHEELS))

# torch first and alone, at exactly this version: any other request pulls a
# multi-GB CUDA build. Everything installed after it then finds torch satisfied.
TORCH_PIN := torch==2.13.0

# Debian packages the page tests use (headless screenshots, LaTeX fonts).
APT_PACKAGES := chromium fonts-lmodern
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

STAMP_VENV  := $(VENV)/.stamp-venv
STAMP_SETUP := $(VENV)/.stamp-setup
STAMP_DOCS  := $(VENV)/.stamp-docs
STAMP_HEAVY := $(VENV)/.stamp-heavy

.PHONY: setup docs-setup test-setup system-deps test demo lint clean bench

setup: $(STAMP_SETUP)
docs-setup: $(STAMP_DOCS)
test-setup: $(STAMP_DOCS) $(STAMP_HEAVY) system-deps

$(STAMP_VENV):
	@if ! $(PYTHON) -m venv $(VENV); then \
	  rm -rf $(VENV); \
	  if command -v apt-get >/dev/null; then \
	    echo "python3 -m venv failed: installing Debian's python3-venv"; \
	    $(SUDO) apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends python3-venv; \
	    $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "error: '$(PYTHON) -m venv' failed; install Python's venv module" >&2; exit 1; \
	  fi; \
	fi
	touch $@

$(STAMP_SETUP): $(STAMP_VENV) pyproject.toml
	$(PIP_INSTALL) -e '.[dev]'
	touch $@

$(STAMP_DOCS): $(STAMP_SETUP)
	$(PIP_INSTALL) -e '.[dev,docs]'
	touch $@

$(STAMP_HEAVY): $(STAMP_SETUP) tests/requirements-heavy.txt tests/requirements-zoo.txt
	$(PIP_INSTALL) '$(TORCH_PIN)'
	$(PIP_INSTALL) -r tests/requirements-heavy.txt
	# torchvision and timm with --no-deps: resolving their torch requirement would pull a CUDA build.
	$(PIP_INSTALL) --no-deps -r tests/requirements-zoo.txt
	touch $@

# Installs the Debian packages only when Chromium is missing.
system-deps:
	@if [ -x /usr/bin/chromium ]; then \
	  :; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "note: apt-get not found; skipping $(APT_PACKAGES) (tests that need Chromium will skip)"; \
	else \
	  echo "installing Debian packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

# pytest exits 5 when it collects nothing; tests/conftest.py turns that into 0,
# and this guard covers a run where the conftest was not loaded.
test: test-setup
	@rc=0; KERAS_BACKEND=torch $(PY) -m pytest -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "note: pytest collected no tests" >&2; rc=0; fi; \
	exit $$rc

demo: docs-setup
	$(VENV)/bin/symcnn summary examples/seed.yaml
	$(VENV)/bin/symcnn formula examples/seed_symbolic.yaml
	$(VENV)/bin/symcnn docs examples/seed.yaml examples/seed_symbolic.yaml -o build/seed-site --build
	@echo "open build/seed-site/site/index.html in a browser (it needs no network)"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy symcnn

clean:
	rm -rf $(VENV) test-output

# Benchmarks against Keras and torchinfo: run by hand, not by CI (slow and noisy).
bench: test-setup
	KERAS_BACKEND=torch $(PY) benchmarks/run.py
