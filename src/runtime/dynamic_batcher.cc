#include "runtime/dynamic_batcher.h"

#include <algorithm>
#include <exception>

namespace fourbrain::runtime {
namespace {

uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

}  // namespace

DynamicBatcher::DynamicBatcher(std::shared_ptr<const models::ServedModel> model,
                               SchedulingPolicy policy, std::shared_ptr<ModelStats> stats)
    : model_(std::move(model)), policy_(std::move(policy)), stats_(std::move(stats)) {
  const int n = std::max(1, policy_.instance_count);
  for (int i = 0; i < n; ++i) instances_.emplace_back([this] { instance_loop(); });
}

DynamicBatcher::~DynamicBatcher() { stop(); }

Status DynamicBatcher::enqueue(std::shared_ptr<InferenceRequest> request) {
  const Clock::time_point now = Clock::now();
  uint64_t timeout_us = policy_.default_timeout_us;
  if (request->timeout_us > 0 &&
      (timeout_us == 0 || (policy_.allow_timeout_override && request->timeout_us < timeout_us))) {
    timeout_us = request->timeout_us;
  }
  Queued q{std::move(request), now, Clock::time_point::max(), 0, 0};
  q.n_items = q.request->n_items();
  q.n_tokens = q.request->n_tokens();
  if (timeout_us > 0) q.deadline = now + std::chrono::microseconds(timeout_us);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return unavailable("the model is being unloaded");
    if (policy_.max_queue_size > 0 && queue_.size() >= policy_.max_queue_size) {
      stats_->record_failure(FailureReason::kRejected, ns_between(q.request->arrival, now));
      return unavailable("Exceeds maximum queue size");
    }
    queue_.push_back(std::move(q));
  }
  cv_.notify_one();
  return Status::ok();
}

size_t DynamicBatcher::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void DynamicBatcher::stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : instances_) {
    if (t.joinable()) t.join();
  }
  instances_.clear();
}

void DynamicBatcher::sweep(Clock::time_point now, std::vector<std::pair<Queued, Status>>& dropped) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->request->cancelled.load(std::memory_order_relaxed)) {
      dropped.emplace_back(std::move(*it), Status(StatusCode::kCancelled, "the client has gone"));
      it = queue_.erase(it);
    } else if (!policy_.delay_on_timeout && it->deadline <= now) {
      dropped.emplace_back(std::move(*it), unavailable("Request timeout expired"));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t DynamicBatcher::batch_length(Clock::time_point now, Clock::time_point& wake) const {
  if (queue_.empty()) return 0;
  if (!policy_.dynamic_batching) return 1;
  int64_t items = 0, tokens = 0;
  size_t n = 0;
  bool full = false;
  size_t preferred_n = 0;
  for (const Queued& q : queue_) {
    const int64_t req_items = q.n_items;
    const int64_t req_tokens = q.n_tokens;
    if (n > 0 && (items + req_items > policy_.max_batch_size ||
                  tokens + req_tokens > policy_.max_batch_tokens)) {
      full = true;
      break;
    }
    items += req_items, tokens += req_tokens, ++n;
    const auto& pref = policy_.preferred_batch_sizes;
    if (std::find(pref.begin(), pref.end(), items) != pref.end()) preferred_n = n;
    if (items >= policy_.max_batch_size) {
      full = true;
      break;
    }
  }
  if (full || stopping_) return n;
  if (preferred_n > 0) return preferred_n;
  const auto delay = std::chrono::microseconds(policy_.max_queue_delay_us);
  const Clock::time_point due = queue_.front().enqueued + delay;
  if (now >= due) return n;
  wake = due;
  return 0;
}

void DynamicBatcher::instance_loop() {
  std::vector<std::pair<Queued, Status>> dropped;
  std::vector<Queued> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      while (true) {
        const Clock::time_point now = Clock::now();
        sweep(now, dropped);
        if (!dropped.empty()) break;  // answer them outside the lock first
        if (queue_.empty()) {
          if (stopping_) return;
          cv_.wait(lock);
          continue;
        }
        Clock::time_point wake = Clock::time_point::max();
        const size_t n = batch_length(now, wake);
        if (n > 0) {
          for (size_t i = 0; i < n; ++i) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
          }
          break;
        }
        for (const Queued& q : queue_) wake = std::min(wake, q.deadline);
        cv_.wait_until(lock, wake);
      }
    }
    // Another instance may be able to start on what is left.
    if (!batch.empty()) cv_.notify_one();
    for (auto& [q, status] : dropped) {
      fail(q, status,
           status.code() == StatusCode::kCancelled ? FailureReason::kCanceled
                                                   : FailureReason::kRejected);
    }
    dropped.clear();
    if (!batch.empty()) execute(batch);
    batch.clear();
  }
}

void DynamicBatcher::fail(const Queued& q, const Status& status, FailureReason reason) {
  stats_->record_failure(reason, ns_between(q.request->arrival, Clock::now()));
  InferenceResult result;
  result.status = status;
  q.request->on_done(std::move(result));
}

void DynamicBatcher::execute(std::vector<Queued>& batch) {
  const Clock::time_point start = Clock::now();
  std::vector<InferenceResult> results(batch.size());
  std::vector<models::SequenceJob> jobs;
  int64_t items = 0, tokens = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    InferenceRequest& r = *batch[i].request;
    InferenceResult& out = results[i];
    out.n_items = r.n_items();
    out.output_size = r.output_size;
    out.values.resize(static_cast<size_t>(out.n_items * out.output_size));
    for (int64_t k = 0; k < out.n_items; ++k) {
      jobs.push_back({r.sequences[k], r.dimensions, out.values.data() + k * out.output_size});
    }
    items += out.n_items;
    tokens += batch[i].n_tokens;
  }
  const Clock::time_point inputs_ready = Clock::now();
  Status status;
  try {
    status = model_->run(jobs);
  } catch (const std::exception& e) {  // third-party code (oneDNN) may throw
    status = internal_error(std::string("model execution failed: ") + e.what());
  }
  const Clock::time_point computed = Clock::now();
  if (!status.is_ok()) {
    for (const Queued& q : batch) fail(q, status, FailureReason::kBackend);
    return;
  }
  const uint64_t assemble_ns = ns_between(start, inputs_ready);
  const uint64_t infer_ns = ns_between(inputs_ready, computed);
  const Clock::time_point done = Clock::now();
  const uint64_t output_ns = ns_between(computed, done);
  uint64_t tokenize_ns = 0;
  for (const Queued& q : batch) tokenize_ns += q.request->tokenize_ns;
  stats_->record_execution(items, tokens, tokenize_ns + assemble_ns, infer_ns, output_ns);
  for (size_t i = 0; i < batch.size(); ++i) {
    InferenceRequest& r = *batch[i].request;
    RequestTimes t;
    t.queue = ns_between(batch[i].enqueued, start);
    t.compute_input = r.tokenize_ns + assemble_ns;
    t.compute_infer = infer_ns;
    t.compute_output = output_ns;
    t.total = ns_between(r.arrival, done);
    stats_->record_success(t);
    r.on_done(std::move(results[i]));
  }
}

}  // namespace fourbrain::runtime
