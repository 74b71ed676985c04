# fourbrain_layer(NAME DEPS...) builds one layer library from every *.cc under the
# current folder (tests excluded) and one GoogleTest binary from its *_test.cc files.
# Globbing keeps adding a file to a layer a one-step change.
function(fourbrain_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(tests)
    list(REMOVE_ITEM sources ${tests})
  endif()
  if(sources)
    add_library(fb_${name} STATIC ${sources})
    target_include_directories(fb_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(fb_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  else()  # a layer still being written: headers only
    add_library(fb_${name} INTERFACE)
    target_include_directories(fb_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(fb_${name} INTERFACE ${ARG_DEPS})
  endif()
  if(tests)
    add_executable(${name}_test ${tests})
    target_link_libraries(${name}_test PRIVATE fb_${name} ${ARG_TEST_DEPS} GTest::gtest_main GTest::gmock)
    target_compile_definitions(${name}_test PRIVATE
      FOURBRAIN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME ${name}_test COMMAND ${name}_test)
    set_tests_properties(${name}_test PROPERTIES LABELS unit
      ENVIRONMENT "FOURBRAIN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()
