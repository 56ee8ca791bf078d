#!/usr/bin/env bash
# The README's test command: lint, type-check, then every test and the chaos catalogue (real
# Toxiproxy). Fails on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff" && .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy --strict" && .venv/bin/mypy
echo "== pytest" && exec .venv/bin/pytest tests scenarios --junitxml=reports/junit.xml "$@"
