// How close a candidate model (quantized, say) stays to its reference on given texts, for
// `fourbrain compare` and for the manifest of `fourbrain quantize --calibration`: both models
// run on the texts, one after the other (one in memory), and quant/fidelity.h measures their
// outputs. Rerankers take the first text as the query and the rest as the documents.
#pragma once

#include <string>
#include <vector>

#include "apps/commands.h"
#include "base/status.h"
#include "formats/json_writer.h"
#include "models/served_model.h"

namespace fourbrain::apps {

struct FidelityRequest {
  ModelFlags reference;      // model_dir, precision and device (used for both models)
  std::string candidate_dir;
  std::vector<std::string> texts;
  bool rerank = false;
};

// The texts as a task's items: each text for an embedder; for a reranker, the first text
// as the query of each of the others.
std::vector<models::TaskItem> task_items(const std::vector<std::string>& texts, bool rerank);

// One text per non-empty line; NotFound names an unreadable file.
Result<std::vector<std::string>> read_texts(const std::string& file);

// Runs both models and writes the measures as keys of `w`'s current object ("texts",
// "mean_cosine", ...). InvalidArgument if there are too few texts to compare.
Status write_fidelity(const FidelityRequest& request, formats::JsonWriter& w);

}  // namespace fourbrain::apps
