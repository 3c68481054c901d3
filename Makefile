# Two commands matter: `make demo` and `make test`. Both install what they need into .venv/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA ?= ../shared/bench/openalpr-us-dev
PORT ?= 8080
# Checkov pins boto3 1.35 (the project runs 1.44): it gets a tool venv of its own, like pipx.
CHECKOV_VENV := .venv-checkov
CHECKOV_SPEC := checkov==3.3.30
TEMPLATE := cdk.out/AlprBackOffice.template.json

.PHONY: demo test synth lint checkov unit integration e2e infra eval train local deploy clean bench-search bench-matching

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

$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet '$(CHECKOV_SPEC)'
	touch $@

# Every finding on the synthesized template is fixed or skipped in infra/ with its reason
# (infra/nag.py checkov_skip: the resource's Metadata, as cdk-nag's acknowledgments).
checkov: synth $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov -f $(TEMPLATE) --framework cloudformation --quiet --compact --skip-download

lint: $(STAMP) checkov
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/alpr/alpr infra bench
	# Every function's module is named handler: check them one at a time.
	for handler in functions/*/handler.py; do $(VENV)/bin/mypy "$$handler" || exit 1; done

test: lint synth
	$(VENV)/bin/pytest

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

integration: $(STAMP)
	$(VENV)/bin/pytest tests/integration

e2e: synth
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
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache $(CHECKOV_VENV)
