# CitizenQuiz: `make run` sets up and serves the product; `make test` sets up and runs the suite.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
# This machine's pip config names find-links folders that may not exist: hide only that noise.
PIP_QUIET := 2>&1 | { grep -v "^WARNING: Location" || true; }
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
# The test suite always runs against real PostgreSQL and Redis (started if down).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/citizenquiz
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# The suite's slowest tests, listed at the end of every run (CI's log shows where its time goes).
PYTEST_ARGS ?= --durations=25

.PHONY: run test install install-dev services system-deps translations lint typecheck format lock clean messages bench run-cluster worker

$(VENV)/.installed: requirements.txt requirements.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -c requirements.lock $(PIP_QUIET)
	@touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.lock $(VENV)/.installed
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt -c requirements.lock $(PIP_QUIET)
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.dev-installed

# System packages: gettext (translations) everywhere; Chromium for the browser tests.
system-deps:
	@bash .ci/system-deps.sh $(if $(BROWSER),browser,)

# Development commands run with DEBUG=1 (its default is off: config/settings.py).
translations messages test typecheck: export DEBUG = 1
translations: $(VENV)/.installed
	@$(PY) manage.py compilemessages --ignore '.venv/*' -v 0

# DEBUG defaults to off (production behaviour); the local demo server asks for it explicitly.
run: export DEBUG = 1
# `make run` starts no job worker: its jobs (a round's close, imports, exports) run in its own
# threads, with or without REDIS_URL, unless JOBS_BACKEND says otherwise (docs/jobs.md).
run: export JOBS_BACKEND ?= thread
run: $(VENV)/.installed system-deps translations
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py seed_demo
	@PORT=$(PORT) HOST=$(HOST) $(PY) manage.py print_urls
	@exec $(PY) -m config.serve -b $(HOST) -p $(PORT) config.asgi:application

services:
	@bash .ci/services.sh

test: BROWSER=1
test: $(VENV)/.dev-installed system-deps services translations
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CQ_REQUIRE_SERVICES=1 \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# mypy with django-stubs on core/, realtime/ and contest/ (pyproject.toml [tool.mypy]); `make test` runs it.
typecheck: $(VENV)/.dev-installed
	@$(VENV)/bin/mypy

format: $(VENV)/.dev-installed
	@$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

# Refresh the .po files after changing strings (then translate, and commit both).
# Each app keeps its own catalogue in <app>/locale; core's and config's strings live in ./locale.
messages: $(VENV)/.installed
	@bash .ci/messages.sh

lock: $(VENV)/.dev-installed
	@(echo '# Full lock of runtime + dev dependencies (pip freeze). `make lock` regenerates it.'; \
	  $(PY) -m pip freeze --disable-pip-version-check | grep -v '^pip==') > requirements.lock

# Live game benchmark, short version (< 2 min): 500 players, 3 questions, ours vs the stock-Channels
# baseline, in its own database (BENCH_DATABASE_URL) and Redis DB (BENCH_REDIS_URL). See bench/README.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cq_bench_live
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/8
BENCH_ARGS ?= --players 500 --questions 3
bench: $(VENV)/.dev-installed services
	@BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) CHANNEL_PREFIX=cqbench \
		$(PY) bench/live.py $(BENCH_ARGS) --json bench/results/live.json --plot bench/results/live.png \
		--metrics --metrics-sample bench/results/metrics-sample.txt

# One background job worker (docs/jobs.md): runs imports, exports and recomputes queued on Redis.
# `make run` needs none (without REDIS_URL its server runs jobs in a thread); run-cluster starts its own.
# The worker works for the database and Redis of the server beside it: DATABASE_URL / REDIS_URL
# when set (as for `make run`), else the cluster's.
WORKER_DATABASE_URL ?= $(if $(DATABASE_URL),$(DATABASE_URL),$(CLUSTER_DATABASE_URL))
WORKER_REDIS_URL ?= $(if $(REDIS_URL),$(REDIS_URL),$(CLUSTER_REDIS_URL))
WORKER_THREADS ?= 2
worker: export DEBUG = 1
worker: $(VENV)/.installed services translations
	@DATABASE_URL=$(WORKER_DATABASE_URL) REDIS_URL=$(WORKER_REDIS_URL) \
		exec $(PY) manage.py jobs_worker --threads $(WORKER_THREADS)

# K server processes (default: one per core) behind a generated nginx, sharing Redis and PostgreSQL,
# plus JOB_WORKERS background job workers (default 1).
CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/citizenquiz
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0
PROCESSES ?= $(shell nproc)
CLUSTER_PORT ?= 8080
# A local, plain-HTTP copy of the production topology: DEBUG=1 as before (no TLS, static files
# served from the apps); a real deployment sets DEBUG=0 and SECRET_KEY (docs/deploy.md).
run-cluster: export DEBUG = 1
JOB_WORKERS ?= 1
run-cluster: $(VENV)/.installed services translations
	@DATABASE_URL=$(CLUSTER_DATABASE_URL) $(PY) manage.py migrate --noinput -v 0
	@DATABASE_URL=$(CLUSTER_DATABASE_URL) $(PY) manage.py seed_demo
	@DATABASE_URL=$(CLUSTER_DATABASE_URL) REDIS_URL=$(CLUSTER_REDIS_URL) \
		exec $(PY) deploy/cluster.py --processes $(PROCESSES) --port $(CLUSTER_PORT) --workers $(JOB_WORKERS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 test_db.sqlite3 tests/artifacts
