#include "test_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace fourbrain::testing {

std::string test_data_path(const std::string& name) {
  const char* root = std::getenv("FOURBRAIN_TESTDATA");
  if (root == nullptr || *root == '\0') return "";
  return std::string(root) + "/" + name;
}

formats::JsonValue qwen3_references() {
  auto refs = formats::JsonValue::parse_file(test_data_path("qwen3-references.json"));
  EXPECT_TRUE(refs.is_ok()) << refs.status().to_string();
  return *refs;
}

std::vector<float> json_floats(const formats::JsonValue& array) {
  std::vector<float> out;
  for (size_t i = 0; i < array.size(); ++i) out.push_back(static_cast<float>(array.at(i).as_double()));
  return out;
}

std::vector<int32_t> json_ints(const formats::JsonValue& array) {
  std::vector<int32_t> out;
  for (size_t i = 0; i < array.size(); ++i) out.push_back(static_cast<int32_t>(array.at(i).as_int()));
  return out;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
  return worst;
}

void copy_dir(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace fourbrain::testing
