# The two commands of a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench install clean client-test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## make run: set up, then check the examples (they are broken on purpose, so findings are expected)
run: $(STAMP)
	@$(BIN)/context-ls check examples/; status=$$?; \
	if [ $$status -eq 1 ]; then echo "make run: findings above are expected: examples/ holds broken histories on purpose (exit 1 = findings)."; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

lint: $(STAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	@$(BIN)/pytest -q -W error::pytest_lsp.LspSpecificationWarning; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$status

## make test: everything the tests need, then lint, types and all tests
test: lint typecheck pytest

## make bench: speed figures (check vs the floor, normalize, server, context store)
bench: $(STAMP)
	$(PY) bench/bench_check.py
	@for b in bench/bench_lsp.py bench/bench_context.py; do \
		if [ -f $$b ]; then echo "== $$b"; $(PY) $$b || exit 1; fi; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
