# Install libtact.a, the public headers, a relocatable CMake package and a
# relocatable pkg-config file, so that a consumer writes find_package(tact REQUIRED)
# and links tact::tact, or builds with `pkg-config --cflags --libs tact`.
include(CMakePackageConfigHelpers)

set(TACT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/tact"
  CACHE STRING "Where tact's CMake package files are installed, relative to the prefix")

install(TARGETS tact EXPORT tactTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY include/ DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
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

# tact.pc: paths relative to the .pc file's own folder (${pcfiledir}), so the
# package stays usable when installed with `cmake --install --prefix <elsewhere>`
# (CMAKE_INSTALL_PREFIX is only known at install time then). Absolute install dirs
# are written as they are.
set(TACT_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  CACHE STRING "Where tact.pc is installed, relative to the prefix")
if(IS_ABSOLUTE "${TACT_INSTALL_PKGCONFIGDIR}")
  set(tact_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH tact_pc_up "/prefix/${TACT_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" tact_pc_up "${tact_pc_up}")
  set(tact_pc_prefix "\${pcfiledir}/${tact_pc_up}")
endif()
foreach(kind LIBDIR INCLUDEDIR)
  string(TOLOWER "${kind}" tact_pc_var)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(tact_pc_${tact_pc_var} "${CMAKE_INSTALL_${kind}}")
  else()
    set(tact_pc_${tact_pc_var} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
configure_file(cmake/tact.pc.in "${PROJECT_BINARY_DIR}/tact.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tact.pc" DESTINATION "${TACT_INSTALL_PKGCONFIGDIR}")
