# Refuse in-source builds: they litter the tree and break the presets' binary dirs.
if(CMAKE_SOURCE_DIR STREQUAL CMAKE_BINARY_DIR)
  message(FATAL_ERROR
    "tact: in-source builds are not supported. Use a preset (cmake --preset release) "
    "or a separate build folder (cmake -S . -B build).")
endif()
