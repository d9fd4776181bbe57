include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/governed TYPE INCLUDE)
install(TARGETS governed governed_http EXPORT governed-targets)
if(TARGET governed_redis)
  install(TARGETS governed_redis EXPORT governed-targets)
endif()
install(EXPORT governed-targets NAMESPACE governed::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/governed)
# The build tree is importable too, without installing.
export(EXPORT governed-targets NAMESPACE governed::
       FILE ${PROJECT_BINARY_DIR}/governed-targets.cmake)

configure_package_config_file(cmake/governedConfig.cmake.in
  ${PROJECT_BINARY_DIR}/governedConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/governed)
# Header-only: the package does not depend on the consumer's architecture.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/governedConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/governedConfig.cmake
              ${PROJECT_BINARY_DIR}/governedConfigVersion.cmake
              cmake/dependencies.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/governed)
