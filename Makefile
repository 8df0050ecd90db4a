# blipportal — `make run` serves the demo; `make test` runs the suite. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
DEV_ENV := DJANGO_DEBUG=1
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test lint format check messages migrations worker beat periodic scheduler \
        screenshots bench clean prod-local

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install the pinned requirements

run: install ## Migrate, load the demo data, serve on http://127.0.0.1:8000 with the periodic jobs
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	@# The periodic jobs (scheduler, Desk timers, roll-ups) run in a thread of the server's process,
	@# so the Desk timers' live events reach the open Desks through the in-memory channel layer.
	$(DEV_ENV) $(BIN)/python manage.py run_dev 127.0.0.1:8000

test: install ## Run the whole test suite (SQLite unless DATABASE_URL is set)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations: install ## Fail when a model change has no migration
	$(BIN)/python manage.py makemigrations --check --dry-run

check: lint migrations test ## What CI runs, on SQLite

messages: install ## Extract and compile the pt-BR translations
	$(BIN)/python scripts/messages.py

worker: install ## A Celery worker (needs CELERY_BROKER_URL)
	$(BIN)/celery -A blipportal worker --loglevel=info

beat: install ## Celery beat: dispatches scheduled campaigns (needs CELERY_BROKER_URL)
	$(BIN)/celery -A blipportal beat --loglevel=info

periodic: install ## Every periodic job (CELERY_BEAT_SCHEDULE) inline, without beat
	$(BIN)/python manage.py run_periodic

scheduler: install ## The scheduler without Celery beat: dispatch due campaigns every 30 s
	$(BIN)/python manage.py send_scheduled_campaigns --loop 30

screenshots: install ## Screenshots of the main pages into screenshots/ (needs chromium)
	$(BIN)/pytest -m browser tests/browser -p no:randomly -q $(PYTEST_ARGS)

prod-local: install ## Production process set (Procfile: gunicorn, daphne, worker, beat) on PostgreSQL + Redis
	$(BIN)/python scripts/prod_local.py

bench: install ## Run every benchmark under bench/ at full size (BENCH_ARGS=--smoke: quick)
	for f in bench/[!_]*.py; do $(BIN)/python $$f $(BENCH_ARGS) || exit 1; done

clean: ## Remove the virtualenv, the SQLite file and caches
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache staticfiles .prod-local
