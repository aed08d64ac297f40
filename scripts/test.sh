#!/usr/bin/env bash
# The whole test suite on a machine that has only Node and npm: installs what the tests need, type-checks, runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh test
npx tsc --noEmit -p .
npx tsc --noEmit -p edge/adapters/workers
npx tsc --noEmit -p edge/web
npx vitest run "$@"
