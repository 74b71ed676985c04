// `fourbrain compare`: how close a quantized (or otherwise changed) model stays to its
// reference on given texts. Embeddings: cosine of each text's two embeddings (mean, min) and
// the Spearman correlation of the similarity rankings (each of the first 100 texts as a query
// against all texts). Rerankers (--task reranking, the first text the query, the rest the
// documents): max and mean absolute score difference and Spearman of the scores.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>

#include "apps/commands.h"
#include "apps/served_batch.h"
#include "formats/json_writer.h"

namespace fourbrain::apps {
namespace {

struct CompareFlags {
  ModelFlags reference;  // --reference via model_dir
  std::string candidate_dir, texts_file, task = "embedding";
};

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

Status run_compare(const CompareFlags& f) {
  std::vector<std::string> texts;
  std::ifstream in(f.texts_file);
  if (!in) return not_found("cannot open " + f.texts_file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) texts.push_back(line);
  }
  const bool rerank = f.task == "reranking";
  if (texts.size() < (rerank ? 3u : 2u)) return invalid_argument("too few texts to compare");
  const auto task = rerank ? models::ModelTask::kReranking : models::ModelTask::kEmbedding;
  std::vector<models::TaskItem> items;
  for (size_t i = rerank ? 1 : 0; i < texts.size(); ++i) {
    models::TaskItem item;
    item.text = rerank ? std::string_view(texts[0]) : std::string_view(texts[i]);
    if (rerank) item.document = texts[i];
    items.push_back(item);
  }
  ModelFlags candidate = f.reference;
  candidate.model_dir = f.candidate_dir;
  FB_ASSIGN_OR_RETURN(auto ref_model, load_for_cli(task, f.reference, 8192));
  FB_ASSIGN_OR_RETURN(ServedOutputs ref, run_items(*ref_model, items, 0));
  ref_model.reset();
  FB_ASSIGN_OR_RETURN(auto cand_model, load_for_cli(task, candidate, 8192));
  FB_ASSIGN_OR_RETURN(ServedOutputs cand, run_items(*cand_model, items, 0));
  formats::JsonWriter w;
  w.begin_object().key("reference").value(f.reference.model_dir);
  w.key("candidate").value(f.candidate_dir).key("texts").value(items.size());
  if (rerank) {
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
  w.end_object();
  std::printf("%s\n", w.str().c_str());
  return Status::ok();
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Fidelity of a candidate model (e.g. quantized) against its reference");
  cmd->add_option("--reference", flags->reference.model_dir, "reference checkpoint")->required();
  cmd->add_option("--candidate", flags->candidate_dir, "candidate checkpoint")->required();
  cmd->add_option("--texts", flags->texts_file, "one text per line")->required();
  cmd->add_option("--task", flags->task, "embedding or reranking")
      ->check(CLI::IsMember({"embedding", "reranking"}));
  cmd->add_option("--precision", flags->reference.precision, "f32, bf16 or auto (both models)")
      ->check(CLI::IsMember({"f32", "bf16", "auto"}));
  cmd->add_option("--device", flags->reference.device, "cpu or cuda:N (both models)");
  return [flags] { return run_compare(*flags); };
}

}  // namespace fourbrain::apps
