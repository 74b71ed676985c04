// DynamicBatcher: the queue of one model version and the instances that drain it, with
// the semantics of Triton's dynamic batcher (../shared/reference/triton.md §5.1).
//
// Requests wait in arrival order. A free instance takes the longest prefix of the queue
// that fits both budgets, max_batch_size items and max_batch_tokens tokens (a request too
// large for the token budget still runs, alone). If that batch is not full it prefers the
// largest preferred_batch_size it can form, else it waits for more requests until the
// oldest has waited max_queue_delay_microseconds. Without dynamic batching each request
// runs on its own. Before compute, requests whose client has gone are dropped (CANCELLED)
// and requests past their queue timeout are rejected ("Request timeout expired"). A full
// queue refuses at once with "Exceeds maximum queue size".
//
// Thread-safe. stop() (and the destructor) finish every queued request, then join the
// instance threads: nothing accepted is dropped.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "models/served_model.h"
#include "runtime/inference_request.h"
#include "runtime/model_stats.h"

namespace fourbrain::runtime {

struct SchedulingPolicy {
  bool dynamic_batching = false;    // false: one request per execution
  int64_t max_batch_size = 1;       // batch items per execution
  int64_t max_batch_tokens = 8192;  // tokens per execution (soft for one request)
  std::vector<int64_t> preferred_batch_sizes;
  uint64_t max_queue_delay_us = 0;
  uint32_t max_queue_size = 0;          // 0: unbounded
  uint64_t default_timeout_us = 0;      // 0: none
  bool allow_timeout_override = false;  // a request may lower its timeout
  bool delay_on_timeout = false;        // DELAY: keep timed-out requests (REJECT otherwise)
  int instance_count = 1;
};

class DynamicBatcher {
 public:
  DynamicBatcher(std::shared_ptr<const models::ServedModel> model, SchedulingPolicy policy,
                 std::shared_ptr<ModelStats> stats);
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Queues the request. When refused (queue full, stopped) returns the error and never
  // calls on_done; otherwise on_done is called exactly once, later.
  Status enqueue(std::shared_ptr<InferenceRequest> request);
  size_t pending() const;
  // Finishes every queued request, then joins the instance threads. Idempotent.
  void stop();

 private:
  struct Queued {
    std::shared_ptr<InferenceRequest> request;
    Clock::time_point enqueued;
    Clock::time_point deadline;  // Clock::time_point::max() without timeout
    int64_t n_items = 0;         // counted once at enqueue: batch_length reads them often
    int64_t n_tokens = 0;
  };

  void instance_loop();
  // Under mu_: removes cancelled and timed-out requests into `dropped`.
  void sweep(Clock::time_point now, std::vector<std::pair<Queued, Status>>& dropped);
  // Under mu_: how many queued requests to run now (0: wait until `wake`).
  size_t batch_length(Clock::time_point now, Clock::time_point& wake) const;
  void execute(std::vector<Queued>& batch);
  void fail(const Queued& q, const Status& status, FailureReason reason);

  std::shared_ptr<const models::ServedModel> model_;
  const SchedulingPolicy policy_;
  std::shared_ptr<ModelStats> stats_;

  std::mutex stop_mu_;  // serialises stop() callers (unload and shutdown may race)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::vector<std::thread> instances_;
};

}  // namespace fourbrain::runtime
