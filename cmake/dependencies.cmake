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
