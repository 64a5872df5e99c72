#!/usr/bin/env bash
# Install everything the tests need (Python packages into .venv, the Go modules and npm packages the
# fixtures use) and run the whole test suite. This is the README's test command; .ci/run runs it unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

for go_mod in tests/go/*/go.mod; do  # the harness, and any Go module a test builds against
    (cd "$(dirname "$go_mod")" && go mod download)
done
if [ -f tests/javascript/harness/package-lock.json ]; then
    (cd tests/javascript/harness && npm ci --no-audit --no-fund --loglevel=error)
fi

export PATH="$PWD/.venv/bin:$PATH"
exec python -m pytest -n auto "$@"
