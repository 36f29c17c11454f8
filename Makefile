# Jiuzhu — two commands on a fresh machine with only Python 3.11+ and make:
#   make run    the whole system (embedded Postgres unless DATABASE_URL is set)
#   make test   the whole test suite
SHELL := /bin/bash
PY ?= python3
TOOLS := .data/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
ROLE ?= bureau
DIV ?= 350802
ORG ?=

.PHONY: run test pytest lint typecheck openapi openapi-check examples migrate token sync bench demo clean-data help

help:
	@echo "make run | make test | make migrate | make token ROLE=bureau DIV=350802 [ORG=<USCC>] | make openapi | make bench"

$(UV):
	@$(PY) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.8"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml gateway/pyproject.toml)
	@$(UV) sync --frozen --all-packages --python $(PY) --quiet
	@touch $@

sync: $(VENV)/.synced

run: sync
	@$(RUN) python -m jiuzhu_devtools.run

# `make run` plus the five seeds' places loaded through the gateway; prints tokens and requests.
demo: sync
	@$(RUN) python -m jiuzhu_devtools.demo

migrate: sync
	@$(RUN) python -m jiuzhu_devtools.migrate

token: sync
	@$(RUN) python -m jiuzhu_devtools.token --role $(ROLE) --div $(DIV) $(if $(ORG),--org $(ORG))

lint: sync
	@$(RUN) ruff check .
	@$(RUN) ruff format --check . >/dev/null || (echo "ruff format: files need formatting (run: $(UV) run ruff format .)"; $(RUN) ruff format --check .; exit 1)
	@$(RUN) lint-imports --no-cache >/dev/null || $(RUN) lint-imports --no-cache  # the architecture contracts (pyproject.toml)

typecheck: sync
	@$(RUN) mypy libs/kit/src libs/devtools/src gateway/src
	@$(RUN) mypy services/staffing-calc/src services/procurement/src services/evaluation/src

openapi: sync
	@$(RUN) python -m jiuzhu_devtools.openapi write

openapi-check: sync
	@$(RUN) python -m jiuzhu_devtools.openapi check

# The contracts' examples, captured from real responses of the story tests (jiuzhu_kit/examples.py),
# then merged into the committed openapi.json files. Commit both.
# Beyond the stories: documents, webhooks, the changes feed, the roster, API keys and every read
# of the authorisation matrix, a round closed by hand, so every operation they reach gets its
# captured examples.
EXAMPLE_TESTS ?= tests/test_platform_through_gateway.py tests/test_local_rules.py $(wildcard tests/test_story_*.py) \
	tests/test_documents_through_gateway.py tests/test_webhooks.py \
	tests/test_changes_feed.py tests/test_workers.py gateway/tests/test_api_keys.py tests/test_authz_reads.py \
	services/evaluation/tests/test_evaluation_rounds.py
examples: sync
	@rm -rf .data/examples
	@JIUZHU_CAPTURE_EXAMPLES=$(CURDIR)/.data/examples $(RUN) python -m jiuzhu_devtools.testdb -- pytest -q -p no:randomly $(EXAMPLE_TESTS) || true
	@$(RUN) python -m jiuzhu_devtools.examples .data/examples
	@$(RUN) python -m jiuzhu_devtools.openapi write

test: sync lint typecheck openapi-check pytest

# The suite alone; TEST_DATABASE_URL picks a server, else the embedded one in .data/pg-test.
pytest: sync
	@$(RUN) python -m jiuzhu_devtools.testdb -- pytest -q $(PYTEST_ARGS)

bench: sync
	@$(RUN) python -m bench.run

clean-data:
	@$(RUN) python -m jiuzhu_devtools.pg stop || true
	rm -rf .data/pg .data/pg-test
