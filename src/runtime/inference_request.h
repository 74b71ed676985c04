// InferenceRequest: one accepted request on its way through a model's queue, and the
// result it ends with.
//
// The caller (api/) fills the inputs, tokenized, and on_done; the runtime owns the request
// from enqueue on and calls on_done exactly once: with the outputs, or with the reason it
// failed (queue timeout, client gone, model error, shutdown). Shared between the caller
// and the runtime so that the caller can flag it cancelled when its client disconnects.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace fourbrain::runtime {

using Clock = std::chrono::steady_clock;

struct InferenceResult {
  Status status;
  std::vector<float> values;  // f32 [n_items, output_size], row-major
  int64_t n_items = 0;
  int64_t output_size = 0;
};

struct InferenceRequest {
  std::string id;                               // the client's id (logs only)
  std::vector<std::vector<int32_t>> sequences;  // one per batch item, tokenized
  int64_t dimensions = 0;                       // embedding width asked for (0: full)
  int64_t output_size = 0;                      // floats per item
  uint64_t timeout_us = 0;                      // client's queue timeout; 0: the model's
  Clock::time_point arrival;                    // when the server received it
  uint64_t tokenize_ns = 0;                     // time spent preparing the inputs
  std::atomic<bool> cancelled{false};           // the client has gone: skip the compute
  std::function<void(InferenceResult&&)> on_done;

  int64_t n_items() const { return static_cast<int64_t>(sequences.size()); }
  int64_t n_tokens() const {
    int64_t n = 0;
    for (const auto& s : sequences) n += static_cast<int64_t>(s.size());
    return n;
  }
};

}  // namespace fourbrain::runtime
