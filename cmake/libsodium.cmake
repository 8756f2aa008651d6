# libsodium's keyed BLAKE2b and constant-time compare, for the MACs on
# relayed frames (src/core/mesh/relay_auth.cpp), in both builds.
#
# Debian ships libsodium built for this machine only; the wasm build needs
# the source. So both builds take the same release, Debian's upstream
# tarball, checked against its SHA-256, and compile the few files that
# generichash (keyed BLAKE2b) and crypto_verify_16 need. --gc-sections and
# LTO drop the rest (sodium_init and the other primitives core.c names).
include(FetchContent)
enable_language(C)

FetchContent_Declare(libsodium
  URL http://deb.debian.org/debian/pool/main/libs/libsodium/libsodium_1.0.18.orig.tar.gz
  URL_HASH SHA256=d59323c6b712a1519a5daf710b68f5e7fde57040845ffec53850911f10a5d4f4
  DOWNLOAD_EXTRACT_TIMESTAMP TRUE)
FetchContent_GetProperties(libsodium)
if(NOT libsodium_POPULATED)
  FetchContent_Populate(libsodium)
endif()

set(_sodium "${libsodium_SOURCE_DIR}/src/libsodium")
add_library(rtcmesh_sodium STATIC
  "${_sodium}/crypto_generichash/blake2b/ref/blake2b-ref.c"
  "${_sodium}/crypto_generichash/blake2b/ref/blake2b-compress-ref.c"
  "${_sodium}/crypto_generichash/blake2b/ref/generichash_blake2b.c"
  "${_sodium}/crypto_verify/sodium/verify.c"
  "${_sodium}/sodium/core.c"       # sodium_misuse
  "${_sodium}/sodium/runtime.c"    # CPU feature flags the BLAKE2b picker reads
  "${_sodium}/sodium/utils.c")     # sodium_memzero
target_include_directories(rtcmesh_sodium SYSTEM PUBLIC "${_sodium}/include")
target_include_directories(rtcmesh_sodium PRIVATE "${_sodium}/include/sodium")
# Both targets are little-endian. Third-party code: its warnings are not
# ours, and it is built without the project's sanitizer and fuzzer flags
# (replaced here, not added to): their instrumentation would keep sodium_init
# and the primitives it names alive, which these few files do not define.
target_compile_definitions(rtcmesh_sodium PRIVATE NATIVE_LITTLE_ENDIAN=1)
set_target_properties(rtcmesh_sodium PROPERTIES COMPILE_OPTIONS "-w;-ffunction-sections;-fdata-sections")
if(EMSCRIPTEN)
  target_compile_options(rtcmesh_sodium PRIVATE -flto)
else()
  target_link_options(rtcmesh_sodium INTERFACE -Wl,--gc-sections)
endif()
