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
    # npm ci only when node_modules is not from this lock file; offline-first from npm's own cache
    (cd tests/javascript/harness \
        && { cmp -s package-lock.json node_modules/.otmigrate-installed-lock 2>/dev/null \
            || { npm ci --prefer-offline --no-audit --no-fund --loglevel=error \
                && cp package-lock.json node_modules/.otmigrate-installed-lock; }; })
fi

if ! command -v chromium >/dev/null; then  # the migration report's test renders it in a real browser
    as_root=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
bash scripts/floors.sh  # the core tests on the declared minimum of every runtime dependency

export PATH="$PWD/.venv/bin:$PATH"
exec python -m pytest -n auto "$@"
