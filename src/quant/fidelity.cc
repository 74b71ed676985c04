#include "quant/fidelity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fourbrain::quant {
namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {  // ties share their mean rank
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = (i + j) / 2.0;
    i = j + 1;
  }
  return r;
}

// Each row scaled to unit length (in double), so that cosines are dot products.
std::vector<std::vector<double>> unit_rows(const std::vector<std::vector<float>>& rows) {
  std::vector<std::vector<double>> out;
  out.reserve(rows.size());
  for (const std::vector<float>& row : rows) {
    double norm = 0;
    for (float v : row) norm += double(v) * v;
    norm = norm > 0 ? 1 / std::sqrt(norm) : 0;
    std::vector<double>& u = out.emplace_back(row.size());
    for (size_t i = 0; i < row.size(); ++i) u[i] = row[i] * norm;
  }
  return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double mean = (static_cast<double>(a.size()) - 1) / 2;  // of any ranks with ties shared
  double num = 0, da = 0, db = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) * (ra[i] - mean);
    db += (rb[i] - mean) * (rb[i] - mean);
  }
  return da > 0 && db > 0 ? num / std::sqrt(da * db) : 1.0;
}

EmbeddingFidelity embedding_fidelity(const std::vector<std::vector<float>>& reference,
                                     const std::vector<std::vector<float>>& candidate,
                                     size_t max_queries) {
  const auto ref = unit_rows(reference), cand = unit_rows(candidate);
  EmbeddingFidelity f;
  if (ref.empty()) return f;
  double sum = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double c = dot(ref[i], cand[i]);
    sum += c;
    f.min_cosine = std::min(f.min_cosine, c);
  }
  f.mean_cosine = sum / ref.size();
  f.queries = std::min(max_queries, ref.size());
  double rank_sum = 0;
  for (size_t q = 0; q < f.queries; ++q) {
    std::vector<double> sa, sb;
    for (size_t d = 0; d < ref.size(); ++d) {
      if (d == q) continue;
      sa.push_back(dot(ref[q], ref[d]));
      sb.push_back(dot(cand[q], cand[d]));
    }
    rank_sum += spearman(sa, sb);
  }
  f.mean_spearman = f.queries > 0 ? rank_sum / f.queries : 1.0;
  return f;
}

ScoreFidelity score_fidelity(const std::vector<double>& reference,
                             const std::vector<double>& candidate) {
  ScoreFidelity f;
  if (reference.empty()) return f;
  double sum = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double d = std::abs(reference[i] - candidate[i]);
    f.max_abs_diff = std::max(f.max_abs_diff, d);
    sum += d;
  }
  f.mean_abs_diff = sum / reference.size();
  f.spearman = spearman(reference, candidate);
  return f;
}

}  // namespace fourbrain::quant
