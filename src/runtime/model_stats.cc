#include "runtime/model_stats.h"

#include <chrono>

namespace fourbrain::runtime {
namespace {

uint64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}

void Histogram::observe(double value) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) ++counts[i];
  }
  ++counts.back();
  sum += value;
}

ModelStats::ModelStats() {
  stats_.batch_items = Histogram({1, 2, 4, 8, 16, 32, 64, 128, 256});
  stats_.batch_tokens = Histogram({16, 64, 256, 1024, 4096, 16384, 65536});
}

void ModelStats::record_success(const RequestTimes& t) {
  std::lock_guard lock(mu_);
  stats_.success.add(t.total);
  stats_.queue.add(t.queue);
  stats_.compute_input.add(t.compute_input);
  stats_.compute_infer.add(t.compute_infer);
  stats_.compute_output.add(t.compute_output);
}

void ModelStats::record_failure(FailureReason reason, uint64_t total_ns) {
  std::lock_guard lock(mu_);
  stats_.fail.add(total_ns);
  ++stats_.failures[static_cast<int>(reason)];
}

void ModelStats::record_execution(uint64_t items, uint64_t tokens, uint64_t input_ns,
                                  uint64_t infer_ns, uint64_t output_ns) {
  const uint64_t when = now_ms();
  std::lock_guard lock(mu_);
  stats_.last_inference_ms = when;
  stats_.inference_count += items;
  ++stats_.execution_count;
  BatchStat& b = batches_[items];
  b.batch_size = items;
  b.compute_input.add(input_ns);
  b.compute_infer.add(infer_ns);
  b.compute_output.add(output_ns);
  stats_.batch_items.observe(static_cast<double>(items));
  stats_.batch_tokens.observe(static_cast<double>(tokens));
}

ModelStatsSnapshot ModelStats::snapshot() const {
  std::lock_guard lock(mu_);
  ModelStatsSnapshot copy = stats_;
  copy.batch_stats.reserve(batches_.size());
  for (const auto& [size, stat] : batches_) copy.batch_stats.push_back(stat);
  return copy;
}

}  // namespace fourbrain::runtime
