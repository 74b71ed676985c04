#include "apps/fidelity.h"

#include <fstream>

#include "apps/served_batch.h"
#include "quant/fidelity.h"

namespace fourbrain::apps {

Result<std::vector<std::string>> read_texts(const std::string& file) {
  std::ifstream in(file);
  if (!in) return not_found("cannot open " + file);
  std::vector<std::string> texts;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) texts.push_back(line);
  }
  return texts;
}

std::vector<models::TaskItem> task_items(const std::vector<std::string>& texts, bool rerank) {
  std::vector<models::TaskItem> items;
  for (size_t i = rerank ? 1 : 0; i < texts.size(); ++i) {
    models::TaskItem item;
    item.text = rerank ? std::string_view(texts[0]) : std::string_view(texts[i]);
    if (rerank) item.document = texts[i];
    items.push_back(item);
  }
  return items;
}

Status write_fidelity(const FidelityRequest& r, formats::JsonWriter& w) {
  const std::vector<std::string>& texts = r.texts;
  if (texts.size() < (r.rerank ? 3u : 2u)) return invalid_argument("too few texts to compare");
  const auto task = r.rerank ? models::ModelTask::kReranking : models::ModelTask::kEmbedding;
  const std::vector<models::TaskItem> items = task_items(texts, r.rerank);
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
    for (size_t i = 0; i < items.size(); ++i) {
      a.push_back(ref.rows[i][0]);
      b.push_back(cand.rows[i][0]);
    }
    const quant::ScoreFidelity f = quant::score_fidelity(a, b);
    w.key("max_abs_score_diff").value(f.max_abs_diff).key("mean_abs_score_diff").value(f.mean_abs_diff);
    w.key("spearman_scores").value(f.spearman);
  } else {
    const quant::EmbeddingFidelity f = quant::embedding_fidelity(ref.rows, cand.rows);
    w.key("mean_cosine").value(f.mean_cosine).key("min_cosine").value(f.min_cosine);
    w.key("mean_spearman_similarity_ranking").value(f.mean_spearman);
    w.key("queries").value(f.queries);
  }
  return Status::ok();
}

}  // namespace fourbrain::apps
