#!/usr/bin/env bash
# Idempotent: the pinned actionlint (GitHub Actions workflow linter) in .tools/bin, built with
# `go install` (its PyPI wrapper downloads a release binary from GitHub at build time, which a CI
# with only package registries cannot do). ACTIONLINT_BIN overrides. Used by the workflow test.
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.7.12
tools=.tools/bin

if [ -n "${ACTIONLINT_BIN:-}" ]; then
  [ -x "$ACTIONLINT_BIN" ] || { echo "ACTIONLINT_BIN=$ACTIONLINT_BIN is not an executable file" >&2; exit 1; }
  exit 0
fi
if [ -x "$tools/actionlint" ] && "$tools/actionlint" -version 2>/dev/null | grep -q "^$version"; then
  exit 0
fi
. scripts/go_tool.sh
go_tool "actionlint v$version" "set ACTIONLINT_BIN=/path/to/actionlint" \
  "-s -w -X github.com/rhysd/actionlint.version=$version" \
  "github.com/rhysd/actionlint/cmd/actionlint@v$version"
"$tools/actionlint" -version >&2
