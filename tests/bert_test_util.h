// Helpers shared by the BERT-family golden tests: the references written by
// tools/bert/make_tiny_checkpoints.py (unpacked by tools/bert/prepare_testdata.sh) and a
// running worst-case of the errors, printed so the numbers show in the test log.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "formats/json.h"
#include "test_data.h"

namespace fourbrain::testing {

// The cases of one checkpoint: "bert_embedding", "bert_reranker", "xlmr_embedding",
// "xlmr_reranker".
inline std::optional<formats::JsonValue> bert_cases(const std::string& name) {
  auto refs = formats::JsonValue::parse_file(test_data_path("bert-references.json"));
  EXPECT_TRUE(refs.is_ok()) << refs.status().to_string();
  if (!refs.is_ok()) return std::nullopt;
  return refs->find(name);
}

inline std::vector<std::vector<int32_t>> case_ints(const formats::JsonValue& cases,
                                                   const char* key) {
  std::vector<std::vector<int32_t>> out;
  for (size_t i = 0; i < cases.size(); ++i) out.push_back(json_ints(*cases.at(i).find(key)));
  return out;
}

// Worst cosine and max abs error over a set of comparisons, printed at the end.
class ErrorStats {
 public:
  explicit ErrorStats(std::string what) : what_(std::move(what)) {}
  ~ErrorStats() {
    std::printf("[ stats    ] %s: %d compared, 1 - min cosine %.3g, max abs err %.3g\n",
                what_.c_str(), count_, 1.0 - min_cosine_, max_err_);
  }
  void add(const std::vector<float>& got, const std::vector<float>& want, bool with_cosine = true) {
    ++count_;
    if (with_cosine) min_cosine_ = std::min(min_cosine_, cosine(got, want));
    max_err_ = std::max(max_err_, max_abs_diff(got, want));
  }

 private:
  std::string what_;
  int count_ = 0;
  double min_cosine_ = 1.0;
  double max_err_ = 0.0;
};

}  // namespace fourbrain::testing
