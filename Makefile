# Every target creates .venv when it is missing, so a fresh machine needs only Python.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench bench-l fmt lock clean

# Installed at the versions pinned in constraints.txt, and built with the backend pinned in
# build-constraints.txt (see there; `make lock` renews both).
$(STAMP): pyproject.toml constraints.txt build-constraints.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt --upgrade pip
	$(BIN)/pip install -q -c constraints.txt --build-constraint build-constraints.txt -e '.[dev,spark]'
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
# constraints.txt, and the newest build backend its [build-system] allows into
# build-constraints.txt; `.venv` then reinstalls at them on its next use.
lock:
	rm -rf .venv-lock
	$(PY) -m venv .venv-lock
	.venv-lock/bin/pip install -q --upgrade pip
	.venv-lock/bin/pip install -q -e '.[dev,spark]'
	sed -n '/^#/p' constraints.txt > constraints.new
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v -e '^setuptools==' -e '^wheel==' >> constraints.new
	rm -rf .venv-lock
	$(PY) -m venv .venv-lock
	$(PY) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' > .venv-lock/build.txt
	.venv-lock/bin/pip install -q --upgrade -r .venv-lock/build.txt
	sed -n '/^#/p' build-constraints.txt > build-constraints.new
	.venv-lock/bin/pip freeze --all | grep -v -e '^pip==' >> build-constraints.new
	mv constraints.new constraints.txt
	mv build-constraints.new build-constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
