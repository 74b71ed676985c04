// Where the generated test data lives (FOURBRAIN_TESTDATA, set by scripts/test.sh), and
// small helpers the cross-layer tests share.
#pragma once

#include <string>
#include <vector>

#include "formats/json.h"

namespace fourbrain::testing {

// $FOURBRAIN_TESTDATA/<name>; "" if the variable is unset.
std::string test_data_path(const std::string& name);
// The references written by tools/qwen3/make_tiny_checkpoints.py.
formats::JsonValue qwen3_references();

std::vector<float> json_floats(const formats::JsonValue& array);
std::vector<int32_t> json_ints(const formats::JsonValue& array);
double cosine(const std::vector<float>& a, const std::vector<float>& b);
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b);
// Copies a directory tree (for tests that damage a checkpoint).
void copy_dir(const std::string& from, const std::string& to);

}  // namespace fourbrain::testing

// Skips the test when the generated data is missing (a bare `ctest` without the script).
#define FB_REQUIRE_TEST_DATA()                                                          \
  do {                                                                                  \
    if (::fourbrain::testing::test_data_path("").empty())                               \
      GTEST_SKIP() << "FOURBRAIN_TESTDATA is not set: run scripts/test.sh";             \
  } while (0)
