#!/usr/bin/env bash
# What the tests need beyond the build toolchain: Chromium and Firefox ESR for
# the browser level, clang with its libFuzzer runtime for the fuzz level,
# redis-server for the signaling cluster tests of the node level, and coturn
# (turnserver) for the TURN tests of the node and browser levels. Uses
# Debian's packages (a browser download from a test tool cannot work here).
# A Chromium named by $CHROMIUM_PATH wins.
set -euo pipefail
missing=()
if ! { [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; } && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# Firefox ESR for tests/browser/firefox.test.mjs ($FIREFOX_PATH wins).
if ! { [ -n "${FIREFOX_PATH:-}" ] && [ -x "$FIREFOX_PATH" ]; } && ! command -v firefox-esr >/dev/null 2>&1; then
  missing+=(firefox-esr)
fi
command -v clang++-14 >/dev/null 2>&1 || missing+=(clang-14)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed" || missing+=(libclang-rt-14-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tests: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >&2
else
  echo "tests: missing ${missing[*]}. Install them (or set CHROMIUM_PATH for Chromium)." >&2
  exit 1
fi
