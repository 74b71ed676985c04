#include <gtest/gtest.h>

#include "models/qwen3/qwen3_embedder.h"

namespace fourbrain::models {
namespace {

std::vector<std::vector<int32_t>> seqs_of_lengths(const std::vector<size_t>& lengths) {
  std::vector<std::vector<int32_t>> out;
  for (size_t n : lengths) out.emplace_back(n, 7);
  return out;
}

TEST(PlanBatchesTest, PacksConsecutiveSequencesUpToTheTokenLimit) {
  using Groups = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(plan_batches(seqs_of_lengths({3, 4, 2, 5}), 9), (Groups{{0, 3}, {3, 4}}));
  // A sequence longer than the limit gets a group of its own; nothing is dropped.
  EXPECT_EQ(plan_batches(seqs_of_lengths({2, 20, 2}), 9), (Groups{{0, 1}, {1, 2}, {2, 3}}));
  EXPECT_EQ(plan_batches(seqs_of_lengths({}), 9), Groups{});
  EXPECT_EQ(plan_batches(seqs_of_lengths({9, 9}), 9), (Groups{{0, 1}, {1, 2}}));
}

}  // namespace
}  // namespace fourbrain::models
