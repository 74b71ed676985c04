// The CLI's path through a model: the same ServedModel calls the server makes (tokenize
// each item, then run them all as ragged batches), so `fourbrain embed/rerank` work for
// every architecture the server does and measure the same code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "models/served_model.h"

namespace fourbrain::apps {

struct ServedOutputs {
  std::vector<std::vector<float>> rows;  // one per item, in input order
  int64_t n_tokens = 0;
};

// Loads `flags.model_dir` for `task` with the shared model flags.
Result<std::unique_ptr<models::ServedModel>> load_for_cli(models::ModelTask task,
                                                          const ModelFlags& flags,
                                                          size_t max_length);
// Tokenizes `items` and runs them; `dimensions` applies to embeddings.
Result<ServedOutputs> run_items(const models::ServedModel& model,
                                const std::vector<models::TaskItem>& items, int64_t dimensions);

}  // namespace fourbrain::apps
