#!/usr/bin/env bash
# The whole test suite on a machine that has only Node and npm: installs what the tests need, type-checks, checks the
# import rules (.dependency-cruiser.cjs) and the formatting (Prettier, 120 columns), runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh test
npx tsc --noEmit -p .
npx tsc --noEmit -p edge/adapters/workers
npx tsc --noEmit -p client/web
node scripts/lint-deps.mjs
npx prettier --check --log-level warn . || { echo 'earshot: files differ from Prettier formatting: run npm run format' >&2; exit 1; }
npx vitest run "$@"
