#include "quant/fidelity.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fourbrain::quant {
namespace {

TEST(FidelityTest, SpearmanMatchesTheTextbook) {
  // Wikipedia's worked example (IQ against hours of TV a week): rho = -29/165.
  const std::vector<double> iq = {106, 86, 100, 101, 99, 103, 97, 113, 112, 110};
  const std::vector<double> tv = {7, 0, 27, 50, 28, 29, 20, 12, 6, 17};
  EXPECT_NEAR(spearman(iq, tv), -29.0 / 165.0, 1e-12);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3}, {10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3}, {3, 2, 1}), -1.0);
  // Ties share their mean rank: ranks (0, 1.5, 1.5, 3) and (0, 2, 1, 3), Pearson 4.5/sqrt(22.5).
  EXPECT_NEAR(spearman({1, 2, 2, 3}, {1, 3, 2, 4}), 4.5 / std::sqrt(22.5), 1e-12);
  EXPECT_DOUBLE_EQ(spearman({5, 5, 5}, {1, 2, 3}), 1.0);  // a constant side ranks nothing
}

TEST(FidelityTest, EmbeddingsCompareByAngleAndRanking) {
  // Candidate row i is reference row i turned by angle[i] in its own plane (and scaled,
  // which cosines ignore): the cosines are cos(angle).
  const std::vector<std::vector<float>> ref = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}};
  const double a = 0.1;
  std::vector<std::vector<float>> cand = ref;
  cand[0] = {static_cast<float>(2 * std::cos(a)), static_cast<float>(2 * std::sin(a)), 0};
  const EmbeddingFidelity f = embedding_fidelity(ref, cand);
  EXPECT_NEAR(f.min_cosine, std::cos(a), 1e-7);
  EXPECT_NEAR(f.mean_cosine, (std::cos(a) + 3) / 4, 1e-7);
  EXPECT_EQ(f.queries, 4u);
  EXPECT_LT(f.mean_spearman, 1.0);  // row 0 now leans toward row 1: a ranking changed
  const EmbeddingFidelity same = embedding_fidelity(ref, ref, 2);
  EXPECT_DOUBLE_EQ(same.min_cosine, 1.0);
  EXPECT_DOUBLE_EQ(same.mean_spearman, 1.0);
  EXPECT_EQ(same.queries, 2u);
}

TEST(FidelityTest, ScoresCompareByDifferenceAndRanking) {
  const ScoreFidelity f = score_fidelity({0.1, 0.5, 0.9}, {0.2, 0.4, 0.95});
  EXPECT_NEAR(f.max_abs_diff, 0.1, 1e-12);
  EXPECT_NEAR(f.mean_abs_diff, (0.1 + 0.1 + 0.05) / 3, 1e-12);
  EXPECT_DOUBLE_EQ(f.spearman, 1.0);
  EXPECT_DOUBLE_EQ(score_fidelity({1, 2}, {2, 1}).spearman, -1.0);
}

}  // namespace
}  // namespace fourbrain::quant
