# Every target creates .venv when it is missing, so a fresh machine needs only Python.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench bench-l fmt clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/uptake demo --workspace demo-workspace --no-serve

test: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadgroup -m "not slow"

check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

# Tier L (100 k people, about 110 M events): the scaling curve S -> M -> L; long, so apart.
bench-l: $(STAMP)
	$(BIN)/python -m bench.scale_bench S M L

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
