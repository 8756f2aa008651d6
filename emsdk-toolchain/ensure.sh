#!/usr/bin/env bash
# Finds or installs what the builds need, then says where it is.
#
#   emsdk-toolchain/ensure.sh          # check/install, print a summary
#
# Order of preference for Emscripten:
#   1. an emsdk named by $EMSDK (users who installed emsdk themselves);
#   2. an em++ already on PATH;
#   3. on Debian as root: Debian's `emscripten` package (3.1.6). `emsdk install`
#      cannot work on machines without general internet access.
# The native build also needs cmake, a C++ compiler, Catch2 v2 and
# nlohmann_json; on Debian as root they are installed here too.
# Idempotent: when everything is present it only checks, in well under a second.
set -euo pipefail

debian_packages=(cmake ninja-build g++ nlohmann-json3-dev catch2)
have_emscripten() {
  if [ -n "${EMSDK:-}" ] && [ -x "$EMSDK/upstream/emscripten/em++" ]; then return 0; fi
  command -v em++ >/dev/null 2>&1
}
have_header() { [ -f "/usr/include/$1" ] || [ -f "/usr/local/include/$1" ]; }

missing=()
have_emscripten || missing+=(emscripten)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1 || missing+=(g++)
have_header nlohmann/json.hpp || missing+=(nlohmann-json3-dev)
have_header catch2/catch.hpp || missing+=(catch2)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "emsdk-toolchain: installing ${missing[*]} from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "emsdk-toolchain: missing ${missing[*]}." >&2
    echo "  Install emsdk (https://emscripten.org) and set EMSDK, or on Debian run as root:" >&2
    echo "  apt-get install emscripten ${debian_packages[*]}" >&2
    exit 1
  fi
fi

if [ -n "${EMSDK:-}" ] && [ -x "$EMSDK/upstream/emscripten/em++" ]; then
  echo "emscripten: emsdk at $EMSDK"
else
  echo "emscripten: $(command -v em++) ($(em++ --version 2>/dev/null | head -n1 | sed 's/.*) //'))"
fi
