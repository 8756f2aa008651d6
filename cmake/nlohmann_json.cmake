# nlohmann_json as an interface target for both builds.
#
# Native: the system package's CMake config. Wasm: Debian installs the headers
# in /usr/include, which is not in Emscripten's sysroot, and adding all of
# /usr/include would pull glibc headers into the wasm build. So the wasm build
# gets a folder holding only a link to nlohmann/.
add_library(rtcmesh_nlohmann_json INTERFACE)

if(NOT EMSCRIPTEN)
  find_package(nlohmann_json 3 REQUIRED)
  target_link_libraries(rtcmesh_nlohmann_json INTERFACE nlohmann_json::nlohmann_json)
  return()
endif()

set(RTCMESH_NLOHMANN_INCLUDE "" CACHE PATH "Folder that contains nlohmann/json.hpp")
if(NOT RTCMESH_NLOHMANN_INCLUDE)
  foreach(candidate /usr/include /usr/local/include)
    if(EXISTS "${candidate}/nlohmann/json.hpp")
      set(RTCMESH_NLOHMANN_INCLUDE "${candidate}")
      break()
    endif()
  endforeach()
endif()
if(NOT EXISTS "${RTCMESH_NLOHMANN_INCLUDE}/nlohmann/json.hpp")
  message(FATAL_ERROR "nlohmann/json.hpp not found: install nlohmann-json3-dev or set RTCMESH_NLOHMANN_INCLUDE.")
endif()

set(_isolated "${CMAKE_BINARY_DIR}/isolated-include")
file(MAKE_DIRECTORY "${_isolated}")
file(CREATE_LINK "${RTCMESH_NLOHMANN_INCLUDE}/nlohmann" "${_isolated}/nlohmann" SYMBOLIC)
target_include_directories(rtcmesh_nlohmann_json SYSTEM INTERFACE "${_isolated}")
