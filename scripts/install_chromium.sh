#!/usr/bin/env bash
# Idempotent: Debian's chromium, which the reports' browser test renders every page of a run in
# (tests/integration/harness/run/test_reports_in_browser.py). Nothing to do when /usr/bin/chromium
# (or $FAULTLINE_CHROMIUM) is there. Where it cannot be installed (no apt-get, not root and no
# sudo, no package mirror), one line says why and set-up goes on: that test then skips, saying so.
set -uo pipefail

if [ -x "${FAULTLINE_CHROMIUM:-/usr/bin/chromium}" ]; then exit 0; fi
why=""
if ! command -v apt-get >/dev/null 2>&1; then
  why="no apt-get here"
elif [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
  why="apt-get needs root: run sudo apt-get install -y chromium"
else
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo -n"
  install() {
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1
  }
  echo "installing Debian's chromium (for the reports' browser test)" >&2
  # A fresh machine's package lists may be empty or stale: update once, then try again.
  if install || { $as_root apt-get update -q >/dev/null 2>&1 && install; }; then exit 0; fi
  why="apt-get install chromium failed"
fi
echo "chromium not installed ($why): the reports' browser test will skip; or set FAULTLINE_CHROMIUM=/path/to/chromium" >&2
exit 0
