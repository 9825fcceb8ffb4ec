# Every target creates .venv when it is missing, so a fresh machine needs only Python.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench bench-l fmt lock clean

# Installed at the versions pinned in constraints.txt (see there; `make lock` renews them).
$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,spark]'
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

# The newest versions pyproject.toml's ranges allow, resolved in a clean venv, pinned into
# constraints.txt; `.venv` then reinstalls at them on its next use.
lock:
	rm -rf .venv-lock
	$(PY) -m venv .venv-lock
	.venv-lock/bin/pip install -q --upgrade pip
	.venv-lock/bin/pip install -q -e '.[dev,spark]'
	sed -n '/^#/p' constraints.txt > constraints.new
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v -e '^setuptools==' -e '^wheel==' >> constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
