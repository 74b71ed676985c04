// How close a changed (quantized, say) model's outputs stay to its reference's, from the
// outputs of both on the same inputs (apps/fidelity runs the models):
//  - embeddings: the cosine of each input's two embeddings (mean, min), and the Spearman
//    correlation of the similarity rankings: each of the first `max_queries` inputs ranks
//    all the others by cosine under both models; the mean over those queries;
//  - scores (rerankers): max and mean absolute difference, and the Spearman correlation.
// Spearman is Pearson's correlation of the ranks, ties sharing their mean rank.
#pragma once

#include <cstddef>
#include <vector>

namespace fourbrain::quant {

struct EmbeddingFidelity {
  double mean_cosine = 1, min_cosine = 1, mean_spearman = 1;
  size_t queries = 0;
};
// `reference` and `candidate` hold one embedding per input, in the same order and sizes.
EmbeddingFidelity embedding_fidelity(const std::vector<std::vector<float>>& reference,
                                     const std::vector<std::vector<float>>& candidate,
                                     size_t max_queries = 100);

struct ScoreFidelity {
  double max_abs_diff = 0, mean_abs_diff = 0, spearman = 1;
};
ScoreFidelity score_fidelity(const std::vector<double>& reference,
                             const std::vector<double>& candidate);

// 1 when either side is constant (no ranking to disagree with).
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace fourbrain::quant
