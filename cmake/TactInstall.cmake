# Install libtact.a, the public headers and a relocatable CMake package, so that a
# consumer writes find_package(tact REQUIRED) and links tact::tact.
include(CMakePackageConfigHelpers)

set(TACT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/tact"
  CACHE STRING "Where tact's CMake package files are installed, relative to the prefix")

set(tact_installed_targets tact)
if(TACT_BUILD_NATS)
  list(APPEND tact_installed_targets tact_nats)
endif()
install(TARGETS ${tact_installed_targets} EXPORT tactTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
# include/tact/nats/ goes with libtact_nats.a only.
if(TACT_BUILD_NATS)
  install(DIRECTORY include/ DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  install(DIRECTORY include/ DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" PATTERN "nats" EXCLUDE)
endif()
install(EXPORT tactTargets NAMESPACE tact:: DESTINATION "${TACT_INSTALL_CMAKEDIR}")

configure_package_config_file(cmake/tactConfig.cmake.in
  "${PROJECT_BINARY_DIR}/tactConfig.cmake"
  INSTALL_DESTINATION "${TACT_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/tactConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/tactConfig.cmake"
  "${PROJECT_BINARY_DIR}/tactConfigVersion.cmake"
  DESTINATION "${TACT_INSTALL_CMAKEDIR}")
