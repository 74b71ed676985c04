#include "runtime/dynamic_batcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

namespace fourbrain::runtime {
namespace {

// A model whose run() records each batch and can be held until released, so the tests
// decide what is queued when an instance looks at the queue.
class GateModel : public models::ServedModel {
 public:
  models::ModelTask task() const override { return models::ModelTask::kEmbedding; }
  std::string_view architecture() const override { return "gate"; }
  Result<int64_t> output_size(int64_t) const override { return 1; }
  Result<std::vector<int32_t>> tokenize(const models::TaskItem&) const override {
    return std::vector<int32_t>{1};
  }
  Status run(std::span<const models::SequenceJob> jobs) const override {
    std::unique_lock lock(mu_);
    batches_.push_back(jobs.size());
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    for (const auto& job : jobs) *job.output = static_cast<float>(job.ids.size());
    return Status::ok();
  }
  size_t memory_bytes() const override { return 0; }

  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait_started(int n) const {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  std::vector<size_t> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable std::vector<size_t> batches_;
  mutable int started_ = 0;
  bool open_ = false;
};

struct Sent {
  std::shared_ptr<InferenceRequest> request;
  std::future<InferenceResult> result;
};

Sent make_request(int items, int tokens_each = 1) {
  auto promise = std::make_shared<std::promise<InferenceResult>>();
  Sent sent{std::make_shared<InferenceRequest>(), promise->get_future()};
  sent.request->sequences.assign(items, std::vector<int32_t>(tokens_each, 7));
  sent.request->output_size = 1;
  sent.request->arrival = Clock::now();
  sent.request->on_done = [promise](InferenceResult&& r) { promise->set_value(std::move(r)); };
  return sent;
}

SchedulingPolicy batching(int64_t max_batch_size) {
  SchedulingPolicy p;
  p.dynamic_batching = true;
  p.max_batch_size = max_batch_size;
  return p;
}

TEST(DynamicBatcherTest, BatchesWhatQueuedWhileTheInstanceWasBusy) {
  auto model = std::make_shared<GateModel>();
  auto stats = std::make_shared<ModelStats>();
  DynamicBatcher batcher(model, batching(8), stats);
  Sent first = make_request(1);
  ASSERT_TRUE(batcher.enqueue(first.request).is_ok());
  model->wait_started(1);  // the instance is busy with the first request
  std::vector<Sent> rest;
  for (int i = 0; i < 5; ++i) {
    rest.push_back(make_request(i == 4 ? 3 : 1, i + 2));
    ASSERT_TRUE(batcher.enqueue(rest.back().request).is_ok());
  }
  model->open();
  ASSERT_TRUE(first.result.get().status.is_ok());
  for (int i = 0; i < 5; ++i) {
    InferenceResult r = rest[i].result.get();
    ASSERT_TRUE(r.status.is_ok());
    ASSERT_EQ(r.n_items, i == 4 ? 3 : 1);
    EXPECT_EQ(r.values[0], static_cast<float>(i + 2));  // each item got its own output
  }
  // 4 single requests + one of 3 items: 7 items, one execution.
  EXPECT_EQ(model->batches(), (std::vector<size_t>{1, 7}));
  ModelStatsSnapshot s = stats->snapshot();
  EXPECT_EQ(s.inference_count, 8u);
  EXPECT_EQ(s.execution_count, 2u);
  EXPECT_EQ(s.success.count, 6u);
  EXPECT_EQ(s.compute_infer.count, 6u);
}

TEST(DynamicBatcherTest, RespectsMaxBatchSizeAndTokenBudget) {
  auto model = std::make_shared<GateModel>();
  SchedulingPolicy policy = batching(4);
  policy.max_batch_tokens = 10;
  DynamicBatcher batcher(model, policy, std::make_shared<ModelStats>());
  Sent blocker = make_request(1);
  ASSERT_TRUE(batcher.enqueue(blocker.request).is_ok());
  model->wait_started(1);
  std::vector<Sent> sent;
  // items: 3, 2 (over max_batch_size 4 together), then 1 item of 20 tokens (over budget).
  for (auto [items, tokens] : {std::pair{3, 1}, {2, 1}, {1, 20}, {1, 1}}) {
    sent.push_back(make_request(items, tokens));
    ASSERT_TRUE(batcher.enqueue(sent.back().request).is_ok());
  }
  model->open();
  for (auto& s : sent) ASSERT_TRUE(s.result.get().status.is_ok());
  EXPECT_EQ(model->batches(), (std::vector<size_t>{1, 3, 2, 1, 1}));
}

TEST(DynamicBatcherTest, WaitsForTheQueueDelayThenSendsWhatItHas) {
  auto model = std::make_shared<GateModel>();
  model->open();
  SchedulingPolicy policy = batching(8);
  policy.max_queue_delay_us = 200000;  // 200 ms
  DynamicBatcher batcher(model, policy, std::make_shared<ModelStats>());
  const auto t0 = Clock::now();
  Sent a = make_request(1), b = make_request(1);
  ASSERT_TRUE(batcher.enqueue(a.request).is_ok());
  ASSERT_TRUE(batcher.enqueue(b.request).is_ok());
  ASSERT_TRUE(a.result.get().status.is_ok());
  ASSERT_TRUE(b.result.get().status.is_ok());
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(150));
  EXPECT_EQ(model->batches(), (std::vector<size_t>{2}));
}

TEST(DynamicBatcherTest, SendsAPreferredSizeWithoutWaiting) {
  auto model = std::make_shared<GateModel>();
  model->open();
  SchedulingPolicy policy = batching(8);
  policy.max_queue_delay_us = 10'000'000;  // would wait 10 s without the preferred size
  policy.preferred_batch_sizes = {2};
  DynamicBatcher batcher(model, policy, std::make_shared<ModelStats>());
  Sent a = make_request(1), b = make_request(1);
  ASSERT_TRUE(batcher.enqueue(a.request).is_ok());
  ASSERT_TRUE(batcher.enqueue(b.request).is_ok());
  ASSERT_EQ(b.result.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(model->batches(), (std::vector<size_t>{2}));
}

TEST(DynamicBatcherTest, AFullQueueRefusesAtOnce) {
  auto model = std::make_shared<GateModel>();
  auto stats = std::make_shared<ModelStats>();
  SchedulingPolicy policy = batching(1);
  policy.max_queue_size = 2;
  DynamicBatcher batcher(model, policy, stats);
  std::vector<Sent> sent;
  for (int i = 0; i < 3; ++i) {
    sent.push_back(make_request(1));
    ASSERT_TRUE(batcher.enqueue(sent.back().request).is_ok());
    if (i == 0) model->wait_started(1);
  }
  Sent over = make_request(1);
  Status refused = batcher.enqueue(over.request);
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.message(), "Exceeds maximum queue size");
  model->open();
  for (auto& s : sent) EXPECT_TRUE(s.result.get().status.is_ok());
  EXPECT_EQ(stats->snapshot().failures[static_cast<int>(FailureReason::kRejected)], 1u);
}

TEST(DynamicBatcherTest, DropsCancelledAndTimedOutRequestsBeforeCompute) {
  auto model = std::make_shared<GateModel>();
  auto stats = std::make_shared<ModelStats>();
  SchedulingPolicy policy = batching(8);
  policy.default_timeout_us = 50000;  // 50 ms
  DynamicBatcher batcher(model, policy, stats);
  Sent busy = make_request(1);
  busy.request->timeout_us = 0;
  ASSERT_TRUE(batcher.enqueue(busy.request).is_ok());
  model->wait_started(1);
  Sent gone = make_request(1), late = make_request(1);
  ASSERT_TRUE(batcher.enqueue(gone.request).is_ok());
  ASSERT_TRUE(batcher.enqueue(late.request).is_ok());
  gone.request->cancelled = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  model->open();
  EXPECT_TRUE(busy.result.get().status.is_ok());
  InferenceResult g = gone.result.get(), l = late.result.get();
  EXPECT_EQ(g.status.code(), StatusCode::kCancelled);
  EXPECT_EQ(l.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(l.status.message(), "Request timeout expired");
  EXPECT_EQ(model->batches(), (std::vector<size_t>{1}));  // neither reached the model
  auto s = stats->snapshot();
  EXPECT_EQ(s.failures[static_cast<int>(FailureReason::kCanceled)], 1u);
  EXPECT_EQ(s.failures[static_cast<int>(FailureReason::kRejected)], 1u);
}

TEST(DynamicBatcherTest, StopFinishesEverythingQueued) {
  auto model = std::make_shared<GateModel>();
  SchedulingPolicy policy = batching(2);
  policy.max_queue_delay_us = 10'000'000;
  auto batcher = std::make_unique<DynamicBatcher>(model, policy, std::make_shared<ModelStats>());
  std::vector<Sent> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(make_request(1));
    ASSERT_TRUE(batcher->enqueue(sent.back().request).is_ok());
  }
  model->wait_started(1);
  std::thread stopper([&] { batcher->stop(); });
  model->open();
  stopper.join();
  for (auto& s : sent) {
    ASSERT_EQ(s.result.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_TRUE(s.result.get().status.is_ok());
  }
  EXPECT_EQ(batcher->enqueue(make_request(1).request).code(), StatusCode::kUnavailable);
}

TEST(DynamicBatcherTest, WithoutDynamicBatchingEachRequestRunsAlone) {
  auto model = std::make_shared<GateModel>();
  SchedulingPolicy policy;
  policy.max_batch_size = 8;
  DynamicBatcher batcher(model, policy, std::make_shared<ModelStats>());
  Sent a = make_request(1);
  ASSERT_TRUE(batcher.enqueue(a.request).is_ok());
  model->wait_started(1);
  Sent b = make_request(2), c = make_request(1);
  ASSERT_TRUE(batcher.enqueue(b.request).is_ok());
  ASSERT_TRUE(batcher.enqueue(c.request).is_ok());
  model->open();
  c.result.get();
  EXPECT_EQ(model->batches(), (std::vector<size_t>{1, 2, 1}));
}

TEST(DynamicBatcherTest, InstancesRunInParallel) {
  auto model = std::make_shared<GateModel>();
  SchedulingPolicy policy = batching(1);
  policy.instance_count = 2;
  DynamicBatcher batcher(model, policy, std::make_shared<ModelStats>());
  Sent a = make_request(1), b = make_request(1);
  ASSERT_TRUE(batcher.enqueue(a.request).is_ok());
  ASSERT_TRUE(batcher.enqueue(b.request).is_ok());
  model->wait_started(2);  // both inside run() at once: would hang with one instance
  model->open();
  EXPECT_TRUE(a.result.get().status.is_ok());
  EXPECT_TRUE(b.result.get().status.is_ok());
}

}  // namespace
}  // namespace fourbrain::runtime
