# Two commands do all set-up: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every runtime and test dependency, pinned with hashes: a fresh clone installs what CI tested.
LOCK := requirements.lock
UV_VERSION := 0.13.8

.PHONY: run test lint typecheck lock bench bench-large demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve the lock from pyproject.toml for every platform and Python >= 3.11. Pins already in
# the lock are kept where they still fit; `make lock LOCK_ARGS=--upgrade` moves all to the newest.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command 'make lock' $(LOCK_ARGS) -o $(LOCK)

run: $(STAMP)
	$(BIN)/pylee-tui $(ARGS)

lint: typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# mypy over pylee_tui/ (settings in pyproject.toml): zero errors, part of `make lint` and `make test`
typecheck: $(STAMP)
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 4

# speed and memory targets: each figure beside a baseline measured in the same run; exit 1 on a miss.
# bench-large generates the large store once (benchmarks/.cache/, about two minutes) and reuses it.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-large: $(STAMP)
	$(BIN)/python benchmarks/run.py --large

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
