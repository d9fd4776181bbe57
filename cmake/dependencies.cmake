# The dependencies of governed::governed (and OpenSSL for governed::http), found as imported
# targets. Shared by the build tree
# and by governedConfig.cmake (installed), so a consumer finds exactly what the library uses.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
find_dependency(Boost 1.81 CONFIG)
find_dependency(fmt CONFIG)
find_dependency(tl-expected CONFIG)
find_dependency(nlohmann_json CONFIG)
find_dependency(date CONFIG)
# transport::http's TLS; only governed::http links it.
find_dependency(OpenSSL)
# The RESP formatter and reader of governed::redis. Debian's libhiredis-dev has no CMake
# package; its pkg-config file would add -D_FILE_OFFSET_BITS=64 (a no-op on 64-bit targets)
# to every consumer, so the library is found directly. Optional: without it governed::redis
# is not defined.
if(NOT TARGET governed::hiredis)
  find_path(GOVERNED_HIREDIS_INCLUDE_DIR hiredis/hiredis.h)
  find_library(GOVERNED_HIREDIS_LIBRARY hiredis)
  if(GOVERNED_HIREDIS_INCLUDE_DIR AND GOVERNED_HIREDIS_LIBRARY)
    add_library(governed::hiredis UNKNOWN IMPORTED GLOBAL)
    set_target_properties(governed::hiredis PROPERTIES
      IMPORTED_LOCATION "${GOVERNED_HIREDIS_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${GOVERNED_HIREDIS_INCLUDE_DIR}")
  endif()
endif()
