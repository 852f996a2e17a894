# tact::metrics_http (libtact_metrics_http.a): the optional /metrics endpoint on
# civetweb, its own target so that tact::tact keeps no HTTP dependency. Built by
# default when civetweb is found (Debian: libcivetweb-dev).
find_library(TACT_CIVETWEB_LIBRARY civetweb)
find_path(TACT_CIVETWEB_INCLUDE_DIR civetweb.h)
if(TACT_CIVETWEB_LIBRARY AND TACT_CIVETWEB_INCLUDE_DIR AND NOT TACT_SIM)
  set(tact_metrics_http_default ON)
else()
  set(tact_metrics_http_default OFF)
endif()
option(TACT_BUILD_METRICS_HTTP "Build tact::metrics_http (needs civetweb)" ${tact_metrics_http_default})

if(TACT_BUILD_METRICS_HTTP)
  if(NOT (TACT_CIVETWEB_LIBRARY AND TACT_CIVETWEB_INCLUDE_DIR))
    message(FATAL_ERROR "tact: TACT_BUILD_METRICS_HTTP needs civetweb: apt-get install libcivetweb-dev")
  endif()
  message(STATUS "tact: building tact::metrics_http (${TACT_CIVETWEB_LIBRARY})")
  add_library(tact_metrics_http STATIC src/metrics_http/http_endpoint.cpp)
  add_library(tact::metrics_http ALIAS tact_metrics_http)
  set_target_properties(tact_metrics_http PROPERTIES EXPORT_NAME metrics_http)
  target_include_directories(tact_metrics_http
    ${tact_warning_guard} PUBLIC
      "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
      "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>"
    PRIVATE "${PROJECT_SOURCE_DIR}/src")
  if(NOT TACT_CIVETWEB_INCLUDE_DIR STREQUAL "/usr/include")
    target_include_directories(tact_metrics_http SYSTEM PRIVATE "${TACT_CIVETWEB_INCLUDE_DIR}")
  endif()
  target_link_libraries(tact_metrics_http PUBLIC tact
    "$<BUILD_INTERFACE:${TACT_CIVETWEB_LIBRARY}>" "$<INSTALL_INTERFACE:civetweb>")
  tact_set_warnings(tact_metrics_http)
endif()
