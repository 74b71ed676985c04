#include "models/job_batches.h"

#include <gtest/gtest.h>

namespace fourbrain::models {
namespace {

std::vector<std::pair<size_t, size_t>> plan(const std::vector<size_t>& lengths,
                                            int64_t max_tokens) {
  static const std::vector<int32_t> ids(100, 7);
  std::vector<SequenceJob> jobs;
  for (size_t n : lengths) jobs.push_back({std::span(ids).first(n), 0, nullptr});
  return plan_batches(jobs, max_tokens);
}

TEST(PlanBatchesTest, PacksConsecutiveSequencesUpToTheTokenLimit) {
  using Groups = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(plan({3, 4, 2, 5}, 9), (Groups{{0, 3}, {3, 4}}));
  // A sequence longer than the limit gets a group of its own; nothing is dropped.
  EXPECT_EQ(plan({2, 20, 2}, 9), (Groups{{0, 1}, {1, 2}, {2, 3}}));
  EXPECT_EQ(plan({}, 9), Groups{});
  EXPECT_EQ(plan({9, 9}, 9), (Groups{{0, 1}, {1, 2}}));
}

}  // namespace
}  // namespace fourbrain::models
