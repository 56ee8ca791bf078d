#!/usr/bin/env bash
# Idempotent: make the pinned Toxiproxy (server and CLI) available to the harness.
# Order: TOXIPROXY_BIN (a toxiproxy-server to use as is), toxiproxy-server on PATH, then
# .tools/bin/toxiproxy-server, built here with `go install` at the pinned version if missing or
# of another version. TOXIPROXY_URL (a running server, e.g. from docker compose) needs no binary.
set -euo pipefail
cd "$(dirname "$0")/.."

version=2.12.0
tools=.tools/bin

if [ -n "${TOXIPROXY_URL:-}" ]; then exit 0; fi
if [ -n "${TOXIPROXY_BIN:-}" ]; then
  [ -x "$TOXIPROXY_BIN" ] || { echo "TOXIPROXY_BIN=$TOXIPROXY_BIN is not an executable file" >&2; exit 1; }
  exit 0
fi
if command -v toxiproxy-server >/dev/null 2>&1; then exit 0; fi
if [ -x "$tools/toxiproxy-server" ] && "$tools/toxiproxy-server" -version 2>/dev/null | grep -q "$version"; then
  exit 0
fi
. scripts/go_tool.sh
go_tool "toxiproxy-server v$version" \
  "set TOXIPROXY_BIN=/path/to/toxiproxy-server, or TOXIPROXY_URL=http://host:8474" \
  "-s -w -X github.com/Shopify/toxiproxy/v2.Version=$version" \
  "github.com/Shopify/toxiproxy/v2/cmd/server@v$version" \
  "github.com/Shopify/toxiproxy/v2/cmd/cli@v$version"
# go install names binaries after their package directory: server, cli
mv -f "$tools/server" "$tools/toxiproxy-server"
mv -f "$tools/cli" "$tools/toxiproxy-cli"
"$tools/toxiproxy-server" -version >&2
