#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lock file, so that
# `npm test` and `npm run demo` work on a fresh clone with nothing else typed first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json \
  || ! -x node_modules/.bin/node ]]; then
  echo "tributary: installing npm dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
