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
if ! command -v go >/dev/null 2>&1; then
  echo "actionlint not found and Go is not installed: install Go (https://go.dev/dl/) and rerun," >&2
  echo "or set ACTIONLINT_BIN=/path/to/actionlint" >&2
  exit 1
fi
echo "building actionlint v$version into $tools (go install; needs the Go module proxy)" >&2
mkdir -p "$tools"
GOBIN="$PWD/$tools" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install \
  -ldflags="-s -w -X github.com/rhysd/actionlint.version=$version" \
  "github.com/rhysd/actionlint/cmd/actionlint@v$version"
"$tools/actionlint" -version >&2
