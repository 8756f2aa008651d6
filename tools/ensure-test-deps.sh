#!/usr/bin/env bash
# What the tests need beyond the build toolchain: Chromium for the browser
# level. Uses Debian's package (a browser download from a test tool cannot
# work here). A Chromium named by $CHROMIUM_PATH wins.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tests: installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >&2
else
  echo "tests: Chromium not found. Install it, or set CHROMIUM_PATH." >&2
  exit 1
fi
