// ModelStats: what one model version has done, in the units of Triton's statistics
// extension (counts and cumulative nanoseconds) and its Prometheus metrics, plus our own
// histograms of executed batch sizes and token counts.
//
// Thread-safe: the batcher records from its instance threads while frontends read
// snapshots. Recording takes one short mutex; a snapshot is a copy.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace fourbrain::runtime {

struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
  void add(uint64_t duration_ns) { ++count, ns += duration_ns; }
};

struct BatchStat {
  uint64_t batch_size = 0;
  DurationStat compute_input, compute_infer, compute_output;
};

// Why a request failed, as Triton's nv_inference_request_failure{reason=...} says.
enum class FailureReason { kRejected, kCanceled, kBackend, kOther };
inline constexpr int kFailureReasons = 4;

// Cumulative histogram with fixed upper bounds (Prometheus "le" buckets; +Inf implied).
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // counts[i]: observations <= bounds[i]; last: all
  double sum = 0;
  explicit Histogram(std::vector<double> upper_bounds = {});
  void observe(double value);
};

struct ModelStatsSnapshot {
  uint64_t last_inference_ms = 0;  // ms since the epoch
  uint64_t inference_count = 0;    // batch items computed
  uint64_t execution_count = 0;    // model executions
  DurationStat success, fail, queue, compute_input, compute_infer, compute_output;
  std::vector<BatchStat> batch_stats;  // by ascending batch size
  std::array<uint64_t, kFailureReasons> failures{};
  Histogram batch_items, batch_tokens;
};

// Per-request timings, in ns, of one successful request.
struct RequestTimes {
  uint64_t total = 0, queue = 0, compute_input = 0, compute_infer = 0, compute_output = 0;
};

class ModelStats {
 public:
  ModelStats();

  void record_success(const RequestTimes& times);
  void record_failure(FailureReason reason, uint64_t total_ns);
  // One execution of `items` batch items holding `tokens` tokens.
  void record_execution(uint64_t items, uint64_t tokens, uint64_t input_ns, uint64_t infer_ns,
                        uint64_t output_ns);

  ModelStatsSnapshot snapshot() const;

 private:
  mutable std::mutex mu_;
  ModelStatsSnapshot stats_;
  std::map<uint64_t, BatchStat> batches_;
};

}  // namespace fourbrain::runtime
