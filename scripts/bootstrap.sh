#!/usr/bin/env bash
# Idempotent set-up: a project venv in .venv with the pinned dependencies installed.
# Re-installs only when pyproject.toml changed. Honors FAULTLINE_PYTHON (an interpreter >= 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.faultline-installed"

python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; }

find_python() {
  local candidate
  for candidate in "${FAULTLINE_PYTHON:-}" python3 python3.13 python3.12 python3.11 \
      "$HOME"/.pyenv/versions/3.1[1-9]*/bin/python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
    if python_ok "$candidate"; then echo "$candidate"; return 0; fi
  done
  echo "no Python >= 3.11 found: install one or set FAULTLINE_PYTHON=/path/to/python3.11+" >&2
  return 1
}

if [ ! -x "$venv/bin/python" ] || ! python_ok "$venv/bin/python"; then
  python=$(find_python)
  rm -rf "$venv"
  echo "creating $venv with $python" >&2
  "$python" -m venv "$venv"
fi

want=$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing dependencies into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  echo "$want" > "$stamp"
fi

bash scripts/install_toxiproxy.sh
bash scripts/install_actionlint.sh
bash scripts/install_chromium.sh
