# The two commands in the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?= -n auto

.PHONY: run test install lint format check messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

messages: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py compiletranslations

run: install messages
	DJANGO_DEBUG=1 KB_TASKS_BACKEND=database $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 KB_TASKS_BACKEND=database $(BIN)/python manage.py load_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (admin: http://127.0.0.1:$(PORT)/zh-hans/admin/)"
	@echo "Task worker: python manage.py db_worker (stops with the server)"
	@export DJANGO_DEBUG=1 KB_TASKS_BACKEND=database; \
	$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache
