# Two commands matter: `make demo` and `make test`. Both install what they need into .venv/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA ?= ../shared/bench/openalpr-us-dev
PORT ?= 8080

.PHONY: demo test synth lint chromium unit integration e2e infra eval train local deploy clean bench-search bench-matching

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

synth: $(STAMP)
	$(PY) infra/app.py

demo: synth
	$(VENV)/bin/alpr demo

local: synth
	$(VENV)/bin/alpr local up --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/alpr/alpr infra bench
	# Every function's module is named handler: check them one at a time.
	for handler in functions/*/handler.py; do $(VENV)/bin/mypy "$$handler" || exit 1; done

test: lint synth chromium
	$(VENV)/bin/pytest

# The browser tests drive Debian's Chromium; CI (root, fresh clone) installs it here.
chromium:
	sh tests/e2e/install_chromium.sh

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

integration: $(STAMP)
	$(VENV)/bin/pytest tests/integration

e2e: synth chromium
	$(VENV)/bin/pytest tests/e2e

infra: $(STAMP)
	$(VENV)/bin/pytest tests/infra

bench-search: $(STAMP)
	$(PY) bench/search.py

bench-matching: $(STAMP)
	$(PY) bench/matching.py

eval: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) bench/eval.py $(DATA)

# The recognizer, then the ranker on the recognizer's own readings (its cached features are stale).
train: $(STAMP)
	$(PY) -m pip install --quiet -e '.[train]'
	$(PY) training/train.py --threads $$(nproc)
	rm -f training/work/ranker-groups.npz
	$(PY) training/ranker.py

deploy: synth
	npx --yes aws-cdk@2 deploy --app cdk.out

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache
