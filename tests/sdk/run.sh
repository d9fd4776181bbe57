#!/bin/sh
# The SDK compatibility test (sdk.mjs) against the governed-sim given as $1. Exits 77, which
# ctest reports as skipped, only when node is missing or too old; with node present, missing
# packages fail it (`./dev deps` installs them with `npm ci --prefix tests/sdk`).
dir=$(dirname "$0")
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed"
  exit 77
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
  echo "SKIP: node $(node --version) is older than the SDKs need (18)"
  exit 77
fi
# With node here, missing packages are a failure: the SDKs judge every wire format.
if [ ! -d "$dir/node_modules/openai" ] || [ ! -d "$dir/node_modules/@anthropic-ai/sdk" ]; then
  echo "FAIL: tests/sdk/node_modules is missing (./dev deps runs npm ci --prefix tests/sdk)"
  exit 1
fi
exec node "$dir/sdk.mjs" "$1"
