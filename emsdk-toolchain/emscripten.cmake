# CMake toolchain file for the wasm build: finds Emscripten's own toolchain
# file and fixes what Debian's emscripten package needs.
#
# Preference: $EMSDK (an emsdk install), then the em++ on PATH.

if(DEFINED ENV{EMSDK} AND EXISTS "$ENV{EMSDK}/upstream/emscripten/cmake/Modules/Platform/Emscripten.cmake")
  set(_rtcmesh_em_root "$ENV{EMSDK}/upstream/emscripten")
else()
  find_program(_rtcmesh_em_config em-config)
  if(NOT _rtcmesh_em_config)
    message(FATAL_ERROR "Emscripten not found: run emsdk-toolchain/ensure.sh, or set EMSDK.")
  endif()
  execute_process(COMMAND "${_rtcmesh_em_config}" EMSCRIPTEN_ROOT
                  OUTPUT_VARIABLE _rtcmesh_em_root OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

include("${_rtcmesh_em_root}/cmake/Modules/Platform/Emscripten.cmake")

# emcmake would inject `node --experimental-wasm-threads`, which Node 20 rejects.
find_program(_rtcmesh_node node)
set(CMAKE_CROSSCOMPILING_EMULATOR "${_rtcmesh_node}" CACHE FILEPATH "" FORCE)

# Debian's emscripten runs its JS optimizer with the system Node, which does
# not look in Debian's module folder: without NODE_PATH an -O2 link fails with
# "Cannot find module 'acorn'". The launchers put it in every compile and link.
if(EXISTS "/usr/share/nodejs/acorn")
  set(CMAKE_CXX_COMPILER_LAUNCHER env NODE_PATH=/usr/share/nodejs)
  set(CMAKE_CXX_LINKER_LAUNCHER env NODE_PATH=/usr/share/nodejs)
endif()
