#include "apps/fidelity.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "apps/served_batch.h"

namespace fourbrain::apps {
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

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size()), mean = (n - 1) / 2;
  double num = 0, da = 0, db = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) * (ra[i] - mean);
    db += (rb[i] - mean) * (rb[i] - mean);
  }
  return da > 0 && db > 0 ? num / std::sqrt(da * db) : 1.0;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  return dot(a, b) / std::sqrt(dot(a, a) * dot(b, b));
}

}  // namespace

Result<std::vector<std::string>> read_texts(const std::string& file) {
  std::ifstream in(file);
  if (!in) return not_found("cannot open " + file);
  std::vector<std::string> texts;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) texts.push_back(line);
  }
  return texts;
}

Status write_fidelity(const FidelityRequest& r, formats::JsonWriter& w) {
  const std::vector<std::string>& texts = r.texts;
  if (texts.size() < (r.rerank ? 3u : 2u)) return invalid_argument("too few texts to compare");
  const auto task = r.rerank ? models::ModelTask::kReranking : models::ModelTask::kEmbedding;
  std::vector<models::TaskItem> items;
  for (size_t i = r.rerank ? 1 : 0; i < texts.size(); ++i) {
    models::TaskItem item;
    item.text = r.rerank ? std::string_view(texts[0]) : std::string_view(texts[i]);
    if (r.rerank) item.document = texts[i];
    items.push_back(item);
  }
  ModelFlags candidate = r.reference;
  candidate.model_dir = r.candidate_dir;
  FB_ASSIGN_OR_RETURN(auto ref_model, load_for_cli(task, r.reference, 8192));
  FB_ASSIGN_OR_RETURN(ServedOutputs ref, run_items(*ref_model, items, 0));
  ref_model.reset();
  FB_ASSIGN_OR_RETURN(auto cand_model, load_for_cli(task, candidate, 8192));
  FB_ASSIGN_OR_RETURN(ServedOutputs cand, run_items(*cand_model, items, 0));
  w.key("texts").value(items.size());
  if (r.rerank) {
    std::vector<double> a, b;
    double max_diff = 0, sum_diff = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      a.push_back(ref.rows[i][0]);
      b.push_back(cand.rows[i][0]);
      max_diff = std::max(max_diff, std::abs(a.back() - b.back()));
      sum_diff += std::abs(a.back() - b.back());
    }
    w.key("max_abs_score_diff").value(max_diff).key("mean_abs_score_diff").value(sum_diff / a.size());
    w.key("spearman_scores").value(spearman(a, b));
  } else {
    double sum = 0, min = 1;
    for (size_t i = 0; i < items.size(); ++i) {
      const double c = cosine(ref.rows[i], cand.rows[i]);
      sum += c;
      min = std::min(min, c);
    }
    double rank_sum = 0;
    const size_t n_queries = std::min<size_t>(100, items.size());
    for (size_t q = 0; q < n_queries; ++q) {
      std::vector<double> sa, sb;
      for (size_t d = 0; d < items.size(); ++d) {
        if (d == q) continue;
        sa.push_back(cosine(ref.rows[q], ref.rows[d]));
        sb.push_back(cosine(cand.rows[q], cand.rows[d]));
      }
      rank_sum += spearman(sa, sb);
    }
    w.key("mean_cosine").value(sum / items.size()).key("min_cosine").value(min);
    w.key("mean_spearman_similarity_ranking").value(rank_sum / n_queries);
    w.key("queries").value(n_queries);
  }
  return Status::ok();
}

}  // namespace fourbrain::apps
