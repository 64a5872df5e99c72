#!/usr/bin/env bash
# The declared minimum of every runtime dependency (each `>=X` in pyproject.toml installed as `==X`) must
# run the core tests too: a floor that is not true is a crash on a user's machine. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv-floors
.venv/bin/python - > .venv-floors/floors.txt <<'PY'
import tomllib

from packaging.requirements import Requirement

for line in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    requirement = Requirement(line)
    floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    marker = f"; {requirement.marker}" if requirement.marker else ""
    print(f"{requirement.name}=={floors[0]}{marker}" if floors else line)
PY
.venv-floors/bin/python -m pip install --quiet --disable-pip-version-check \
    -r .venv-floors/floors.txt pytest pytest-xdist
.venv-floors/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
.venv-floors/bin/python -m pip check
.venv-floors/bin/python -m pytest tests/core -q -n 2 -p no:cacheprovider "$@"
