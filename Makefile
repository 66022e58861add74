# Two commands for a fresh clone: `make run` (install, migrate, demo data, serve on
# SQLite) and `make test` (the whole suite). Everything lives in .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench docs clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/complaints db upgrade
	$(BIN)/complaints demo --if-empty
	COMPLAINTS_DEMO=1 $(BIN)/complaints serve

# The suite runs on every core (pytest-xdist); each worker has its own PostgreSQL database.
PYTEST_WORKERS ?= auto

test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/web.py

# The pages under docs/ (MkDocs, strict: a broken link or a page missing from the nav fails).
docs: $(STAMP)
	$(BIN)/pip install --quiet -e '.[docs]'
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) instance site *.egg-info
