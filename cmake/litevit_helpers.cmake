# Warnings and build flags shared by every litevit target.
function(litevit_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers)
  if(LITEVIT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LITEVIT_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(LITEVIT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# litevit_add_library(name SOURCES... DEPS ...): one library per layer.
function(litevit_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  litevit_target_defaults(${name})
endfunction()

# litevit_add_test(name SOURCES... DEPS ...): a GoogleTest executable registered with CTest.
function(litevit_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    LITEVIT_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    LITEVIT_SHARED_REF_DIR="${PROJECT_SOURCE_DIR}/../shared/ref"
    LITEVIT_CLI_PATH="$<TARGET_FILE:litevit>")
  litevit_target_defaults(${name})
  # PRE_TEST: list the tests when ctest runs, so new case folders in tests/data count without a rebuild.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 DISCOVERY_MODE PRE_TEST PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1;LITEVIT_NUM_THREADS=1")
endfunction()
