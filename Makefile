# Two commands for a newcomer: `make run` serves the API, `make test` runs the suite.
# Each creates .venv and installs what it needs on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format schema sdk migrate bench bench-smoke bench-stack load load-stack stack worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

migrate: $(VENV)/.runtime
	mkdir -p var/media
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# axe-core for the browser tests' accessibility checks, pinned by package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

test: $(VENV)/.dev node_modules/.package-lock.json
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(VENV)/.runtime
	$(BIN)/python manage.py spectacular --file schema.yml --validate --fail-on-warn

# Benchmarks (bench/README.md): ratios measured side by side; never timed tests.
bench: $(VENV)/.runtime
	$(BIN)/python -m bench

bench-smoke: $(VENV)/.runtime
	$(BIN)/python -m bench --smoke

load: $(VENV)/.runtime
	$(BIN)/python -m bench.load

# The scale-out figures (issue #12) against `make stack`'s stack: the one running, or one
# started for the run (throttles raised) and stopped after. Not in CI: it needs the stack.
bench-stack: $(VENV)/.dev
	$(BIN)/python -m bench.stack_bench

# `make load` against the stack (started for the run if none is up).
load-stack: $(VENV)/.dev
	$(BIN)/python -m bench.load --stack

sdk: $(VENV)/.dev
	rm -rf var/sdk/atelier_client
	mkdir -p var/sdk
	$(BIN)/openapi-python-client generate --path schema.yml --output-path var/sdk/atelier_client \
		--meta none --config sdk-config.yml
	# A typed package (PEP 561): type checkers read its annotations.
	touch var/sdk/atelier_client/py.typed

# The production-shaped stack (PostgreSQL, Redis, SeaweedFS S3, Celery worker and beat,
# gunicorn) on this machine, all settings from deploy/stack.env; Ctrl-C stops all of it.
stack: $(VENV)/.dev
	$(BIN)/python deploy/stack.py

# One more render worker against the running stack.
worker: $(VENV)/.dev
	set -a; . deploy/stack.env; set +a; $(BIN)/celery -A project worker --loglevel=INFO --hostname=worker-$$$$@%h

clean:
	rm -rf $(VENV) var
