# Sourced by the install_*.sh scripts: build a pinned Go tool into .tools/bin with `go install`.
# go_tool WHAT OVERRIDE_HINT LDFLAGS PACKAGE... (WHAT and OVERRIDE_HINT only word the error).
go_tool() {
  local what=$1 hint=$2 ldflags=$3
  shift 3
  if ! command -v go >/dev/null 2>&1; then
    echo "$what not found and Go is not installed: install Go (https://go.dev/dl/) and rerun," >&2
    echo "or $hint" >&2
    return 1
  fi
  echo "building $what into .tools/bin (go install; needs the Go module proxy)" >&2
  mkdir -p .tools/bin
  GOBIN="$PWD/.tools/bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install -ldflags="$ldflags" "$@"
}
