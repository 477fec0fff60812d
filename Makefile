# The two commands of the README:
#   make demo   - install, then run `hydrasweep demo` on embedded defaults
#   make test   - install, then run the whole test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install system-deps demo test lint bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Headless Chromium for the console's browser tests, Java for Spark (Debian packages).
system-deps:
	bash infra/install-system-deps.sh

demo: install
	$(BIN)/hydrasweep demo

CODE := flows jobs features models review lakeio simulate tests bench

test: install system-deps
	bash infra/ensure-services.sh
	$(BIN)/ruff check $(CODE)
	$(BIN)/mypy
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -q -rfE --durations=15 -n 2 --dist loadscope

# mypy checks the product packages listed in pyproject.toml ([tool.mypy] files).
lint: install
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

bench: install
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done
