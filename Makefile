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

.PHONY: demo test synth lint lock openapi checkov chromium unit integration e2e infra eval eval-dev train train-detector train-verifier eval-detector eval-support local deploy clean bench-search bench-matching bench-ingest bench-cost bench-faults

# The exact versions of requirements.lock, then the package itself (editable, no resolution).
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing a dependency in pyproject.toml: resolve again for the Lambda runtime's platform.
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock

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
	$(VENV)/bin/lint-imports
	# Every function's module is named handler: check them one at a time.
	for handler in functions/*/handler.py; do $(VENV)/bin/mypy "$$handler" || exit 1; done

test: lint synth chromium
	$(VENV)/bin/pytest

# The API's OpenAPI document, pinned: a test fails when the code's drifts from it.
openapi: $(STAMP)
	$(PY) -m alpr.api.openapi > docs/openapi.json

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

# Uploads through the recognize handler on the template's tables (moto, one core).
bench-ingest: synth
	OMP_NUM_THREADS=1 $(PY) bench/ingest.py

# What a million reads and a camera-year cost at list prices, from counts measured on the handler.
bench-cost: synth
	OMP_NUM_THREADS=1 $(PY) bench/cost.py


# 1,000 uploads through recognize on moto with 20 % of the AWS attempts failing (docs/operations.md).
bench-faults: $(STAMP)
	$(PY) bench/faults.py

eval: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) bench/eval.py $(DATA)

# The development sets every recognition change is chosen on (rendered once into eval-out/dev-sets);
# MODELS=DIR measures a candidate models folder, OUT=DIR writes its per-image CSVs elsewhere and
# AGAINST=DIR (an earlier run's OUT, eval-out by default) counts the photos gained and lost;
# SUPPORT=S reads with a department's plate support score.
eval-dev: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) bench/dev_sets.py $(if $(MODELS),--models $(MODELS)) $(if $(OUT),--out $(OUT)) $(if $(AGAINST),--against $(AGAINST)) $(if $(SUPPORT),--support $(SUPPORT))

# The recognizer, then the ranker on the recognizer's own readings (its cached features are stale),
# then the plate detector, continued from its latest checkpoint (80 epochs, then 10 with hard
# negatives; a finished stage is skipped), then the verifier on the shipped detector's boxes.
train: $(STAMP)
	$(PY) -m pip install --quiet -e '.[train]'
	$(PY) training/train.py --threads $$(nproc)
	rm -f training/work/ranker-groups.npz
	$(PY) training/ranker.py
	OMP_NUM_THREADS=1 $(PY) training/detector.py --resume --epochs 80 --threads 1
	OMP_NUM_THREADS=1 $(PY) training/detector.py --resume --epochs 90 --hard-negatives --threads 1
	OMP_NUM_THREADS=1 $(PY) training/verifier.py --resume --threads 1

# The plate detector alone, resumed from training/work or the committed checkpoint (one thread).
train-detector: $(STAMP)
	$(PY) -m pip install --quiet -e '.[train]'
	OMP_NUM_THREADS=1 $(PY) training/detector.py --resume --epochs 80 --threads 1
	OMP_NUM_THREADS=1 $(PY) training/detector.py --resume --epochs 90 --hard-negatives --threads 1

# The plate verifier alone, on the shipped detector's boxes, resumed like the detector (one thread).
train-verifier: $(STAMP)
	$(PY) -m pip install --quiet -e '.[train]'
	OMP_NUM_THREADS=1 $(PY) training/verifier.py --resume --threads 1

# Detector recall and precision at IoU 0.5 and latency, one core; DATA with boxes.csv (its valid
# split) or ground_truth.csv.
eval-detector: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) bench/eval_detector.py $(if $(filter command line,$(origin DATA)),$(DATA),../shared/bench/openimages-plate-boxes)

# The plates read and the other readings at each support score (docs/recognition.md, step 39).
eval-support: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) bench/support_bands.py $(if $(filter command line,$(origin DATA)),$(DATA)) $(if $(MODELS),--models $(MODELS))

deploy: synth
	npx --yes aws-cdk@2 deploy --app cdk.out

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache $(CHECKOV_VENV)
