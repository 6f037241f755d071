# The two commands of a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench bench-json-ls install clean client-test client-package client-package-all e2e-tools e2e

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

# VS Code extension (client-vscode/): npm dependencies, then typecheck, lint, unit tests.
NPM ?= npm
CLIENT := client-vscode
CLIENT_STAMP := $(CLIENT)/node_modules/.installed

$(CLIENT_STAMP): $(CLIENT)/package.json $(CLIENT)/package-lock.json
	cd $(CLIENT) && $(NPM) ci --no-audit --no-fund
	@touch $(CLIENT_STAMP)

client-test: $(CLIENT_STAMP)
	cd $(CLIENT) && $(NPM) run --silent typecheck && $(NPM) run --silent lint && $(NPM) test

## make client-package: client-vscode/context-ls.vsix with the server and its dependencies bundled
client-package: $(STAMP) $(CLIENT_STAMP)
	cd $(CLIENT) && CONTEXT_LS_BUNDLE_PYTHON=$(abspath $(PY)) $(NPM) run package

## make client-package-all: a .vsix per VS Code target in client-vscode/vsix/, then their checks
## (vsix/TARGETS.json lists the targets not offered and why). Wheels are cached in .cache/.
client-package-all: $(STAMP) $(CLIENT_STAMP)
	cd $(CLIENT) && CONTEXT_LS_BUNDLE_PYTHON=$(abspath $(PY)) $(NPM) run --silent package -- --all
	CONTEXT_LS_CHECK_VSIX_DIR=$(abspath $(CLIENT))/vsix $(BIN)/pytest -q -p no:cacheprovider tests/release/test_vsix_targets.py

# Real-editor e2e tools (Node 24, code-server, playwright-core) in the git-ignored .cache/e2e;
# reused when present. CONTEXT_LS_SKIP_VSCODE_E2E=1 skips them (and the VS Code e2e test).
E2E_TOOLS := $(if $(filter 1,$(CONTEXT_LS_SKIP_VSCODE_E2E)),,e2e-tools)
e2e-tools:
	bash scripts/install-e2e-tools.sh .cache/e2e

## make e2e: only the real-editor tests (code-server, Neovim, Emacs)
e2e: $(STAMP) $(CLIENT_STAMP) $(E2E_TOOLS)
	$(BIN)/pytest -q -rs tests/e2e

pytest: $(STAMP) $(CLIENT_STAMP) $(E2E_TOOLS)
	@$(BIN)/pytest -q -rs -W error::pytest_lsp.LspSpecificationWarning; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$status

## make test: everything the tests need, then lint, types, the client's checks and all tests
test: lint typecheck client-test pytest

## make bench: speed figures (check vs the floor, normalize, server, context store, sessions,
## fine-tuning data sets, a Gemini CLI log, Bedrock and Gemini request bodies).
## The JSON documents are also measured against vscode-json-language-server when
## `make bench-json-ls` has put it in .cache/json-ls (the bench says so when it is missing).
bench: $(STAMP)
	$(PY) bench/bench_check.py
	@for b in bench/bench_lsp.py bench/bench_context.py bench/bench_sessions.py \
		bench/bench_dataset.py bench/bench_gemini_cli.py bench/bench_documents_2026.py; do \
		if [ -f $$b ]; then echo "== $$b"; $(PY) $$b || exit 1; fi; done

JSON_LS_VERSION := 4.10.0
bench-json-ls:
	mkdir -p .cache/json-ls
	$(NPM) install --no-audit --no-fund --prefix .cache/json-ls vscode-langservers-extracted@$(JSON_LS_VERSION)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks
	rm -rf $(CLIENT)/node_modules $(CLIENT)/dist $(CLIENT)/bundled $(CLIENT)/*.vsix $(CLIENT)/vsix tests/e2e/artifacts
