# tact::nats (libtact_nats.a): remote actors over NATS, its own target so that
# tact::tact keeps no dependency on nats.c or msgpack-cxx. Built by default when
# both are found (Debian: libnats-dev, libmsgpack-cxx-dev).
find_library(TACT_NATS_LIBRARY nats)
find_path(TACT_NATS_INCLUDE_DIR nats/nats.h)
find_path(TACT_MSGPACK_INCLUDE_DIR msgpack.hpp)
if(TACT_NATS_LIBRARY AND TACT_NATS_INCLUDE_DIR AND TACT_MSGPACK_INCLUDE_DIR)
  set(tact_nats_default ON)
else()
  set(tact_nats_default OFF)
endif()
option(TACT_BUILD_NATS "Build tact::nats (needs nats.c and msgpack-cxx)" ${tact_nats_default})

if(TACT_BUILD_NATS)
  if(NOT (TACT_NATS_LIBRARY AND TACT_NATS_INCLUDE_DIR AND TACT_MSGPACK_INCLUDE_DIR))
    message(FATAL_ERROR "tact: TACT_BUILD_NATS needs nats.c and msgpack-cxx: "
      "apt-get install libnats-dev libmsgpack-cxx-dev")
  endif()
  message(STATUS "tact: building tact::nats (${TACT_NATS_LIBRARY})")
  add_library(tact_nats STATIC src/nats/node.cpp src/nats/outbox.cpp src/nats/tell_batch.cpp src/nats/wire.cpp
    src/durable/jetstream.cpp src/durable/event_log.cpp src/durable/lease.cpp
    src/durable/journal.cpp src/durable/host.cpp src/durable/routing.cpp
    src/durable/work_queue.cpp src/durable/async_publisher.cpp src/durable/store_error.cpp)
  add_library(tact::nats ALIAS tact_nats)
  set_target_properties(tact_nats PROPERTIES EXPORT_NAME nats)
  target_include_directories(tact_nats
    ${tact_warning_guard} PUBLIC
      "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
      "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>"
    PRIVATE "${PROJECT_SOURCE_DIR}/src")
  foreach(dir IN ITEMS "${TACT_NATS_INCLUDE_DIR}" "${TACT_MSGPACK_INCLUDE_DIR}")
    if(NOT dir STREQUAL "/usr/include")
      target_include_directories(tact_nats SYSTEM PUBLIC "$<BUILD_INTERFACE:${dir}>")
    endif()
  endforeach()
  # msgpack-cxx header-only, without Boost.
  target_compile_definitions(tact_nats PUBLIC MSGPACK_NO_BOOST)
  # Installed consumers link -lnats (found on the system's library path).
  target_link_libraries(tact_nats PUBLIC tact
    "$<BUILD_INTERFACE:${TACT_NATS_LIBRARY}>" "$<INSTALL_INTERFACE:nats>")
  tact_set_warnings(tact_nats)
endif()
