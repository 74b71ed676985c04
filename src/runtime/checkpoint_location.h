// Where a model's `checkpoint` parameter points, resolved to a folder on disk.
//
//   /abs/path or rel/path   a folder (relative to the model's folder in the repository)
//   ~/path                  relative to $HOME
//   cache:NAME              $FOURBRAIN_MODEL_CACHE/NAME (default ~/.cache/fourbrain/models),
//                           where the project's set-up installs packaged models
//   hf:ORG/NAME             the HuggingFace hub cache as `hf download` leaves it:
//                           $HF_HUB_CACHE (or $HF_HOME/hub, or ~/.cache/huggingface/hub)
//                           /models--ORG--NAME/snapshots/<refs/main, else the newest>/
//
// NotFound names every place that was looked at, so a user knows where to put the weights.
// Reads the environment and the file system; thread-safe.
#pragma once

#include <string>

#include "base/status.h"

namespace fourbrain::runtime {

Result<std::string> resolve_checkpoint(const std::string& spec, const std::string& model_dir);

}  // namespace fourbrain::runtime
