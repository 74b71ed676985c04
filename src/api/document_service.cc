#include "api/document_service.h"

#include <cstdio>
#include <random>

#include "api/document_pipeline.h"
#include "base/log.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::api {
namespace {

using Clock = std::chrono::steady_clock;

std::string new_task_id() {
  // A random (version 4) UUID, the form docling-serve's task ids take.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char out[37];
  std::snprintf(out, sizeof(out), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

TaskState final_state(const Result<DocumentResponse>& result) {
  if (!result.is_ok()) return TaskState::kFailure;
  TaskState state = TaskState::kSuccess;
  for (const ConvertedDocument& d : result.value().documents) {
    if (d.status == "failure") return TaskState::kFailure;
    if (d.status == "partial_success") state = TaskState::kPartialSuccess;
  }
  return state;
}

}  // namespace

const char* task_state_name(TaskState state) {
  switch (state) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kStarted:
      return "started";
    case TaskState::kSuccess:
      return "success";
    case TaskState::kPartialSuccess:
      return "partial_success";
    case TaskState::kFailure:
      return "failure";
  }
  return "failure";
}

struct DocumentService::Job {
  DocumentRequest request;
  DocumentCallback done;  // sync jobs
  std::string task_id;    // async jobs
};

struct DocumentService::Task {
  std::string type;
  TaskState state = TaskState::kPending;
  bool finished = false;
  Clock::time_point finished_at;
  Result<DocumentResponse> result = unavailable("not finished");
};

DocumentService::DocumentService(DocumentServiceOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<DocumentService>> DocumentService::create(
    const DocumentServiceOptions& options) {
  if (options.workers < 1) return invalid_argument("document workers must be >= 1");
  if (options.max_queue < 1) return invalid_argument("document queue size must be >= 1");
  auto service = std::unique_ptr<DocumentService>(new DocumentService(options));
  if (!options.tokenizer_dir.empty()) {
    auto tokenizer = formats::Tokenizer::load(options.tokenizer_dir);
    if (!tokenizer.is_ok()) {
      return tokenizer.status().with_context("document chunking tokenizer '" +
                                             options.tokenizer_dir + "'");
    }
    service->tokenizer_ = std::move(tokenizer).value();
  }
  for (int i = 0; i < options.workers; ++i) {
    service->workers_.emplace_back([s = service.get()] { s->worker_loop(); });
  }
  return service;
}

DocumentService::~DocumentService() {
  begin_shutdown();
  wait_idle();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

Status DocumentService::check(const DocumentRequest& request) const {
  return check_document_request(request, options_, tokenizer_ != nullptr);
}

Status DocumentService::enqueue(std::shared_ptr<Job> job) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return unavailable("Server is shutting down");
    if (queue_.size() >= options_.max_queue) {
      return resource_exhausted("the document conversion queue is full (" +
                                std::to_string(queue_.size()) + " waiting); retry later");
    }
    queue_.push_back(std::move(job));
    ++unfinished_;
  }
  work_cv_.notify_one();
  return Status::ok();
}

void DocumentService::run(DocumentRequest request, DocumentCallback done) {
  if (Status s = check(request); !s.is_ok()) return done(s);
  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  if (Status s = enqueue(job); !s.is_ok()) job->done(s);
}

Result<std::string> DocumentService::submit(DocumentRequest request) {
  FB_RETURN_IF_ERROR(check(request));
  auto job = std::make_shared<Job>();
  job->task_id = new_task_id();
  const std::string id = job->task_id;
  const bool chunk = request.chunking.kind != ChunkerKind::kNone;
  job->request = std::move(request);
  {
    std::lock_guard lock(mu_);
    tasks_[id].type = chunk ? "chunk" : "convert";
  }
  if (Status s = enqueue(std::move(job)); !s.is_ok()) {
    std::lock_guard lock(mu_);
    tasks_.erase(id);
    return s;
  }
  return id;
}

void DocumentService::worker_loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing accepted is left
      job = std::move(queue_.front());
      queue_.pop_front();
      if (auto it = tasks_.find(job->task_id); it != tasks_.end()) {
        it->second.state = TaskState::kStarted;
      }
    }
    Result<DocumentResponse> result = process_documents(job->request, options_, tokenizer_.get());
    if (!result.is_ok()) {
      log_event(LogLevel::kVerbose, "document_failed", {{"error", result.status().message()}});
    }
    if (job->task_id.empty()) {
      job->done(std::move(result));
    } else {
      finish_task(job->task_id, std::move(result));
    }
    std::lock_guard lock(mu_);
    if (--unfinished_ == 0) idle_cv_.notify_all();
  }
}

void DocumentService::finish_task(const std::string& id, Result<DocumentResponse> result) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  Task& task = it->second;
  task.state = final_state(result);
  task.finished = true;
  task.finished_at = Clock::now();
  task.result = std::move(result);
}

void DocumentService::expire_locked(Clock::time_point now) {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    const Task& t = it->second;
    it =
        t.finished && now - t.finished_at >= options_.result_ttl ? tasks_.erase(it) : std::next(it);
  }
}

Result<TaskStatus> DocumentService::poll(const std::string& task_id) {
  std::lock_guard lock(mu_);
  expire_locked(Clock::now());
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) {
    return not_found("task '" + task_id + "' not found (unknown, already fetched or expired)");
  }
  TaskStatus status;
  status.task_id = task_id;
  status.task_type = it->second.type;
  status.state = it->second.state;
  if (status.state == TaskState::kPending) {
    for (size_t i = 0; i < queue_.size(); ++i) {
      if (queue_[i]->task_id == task_id) status.position = static_cast<int>(i) + 1;
    }
  }
  if (it->second.finished && !it->second.result.is_ok()) {
    status.error_message = it->second.result.status().message();
  }
  return status;
}

Result<DocumentResponse> DocumentService::take_result(const std::string& task_id) {
  std::lock_guard lock(mu_);
  expire_locked(Clock::now());
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) {
    return not_found("task '" + task_id + "' not found (unknown, already fetched or expired)");
  }
  if (!it->second.finished) {
    return not_found("the result of task '" + task_id + "' is not ready; poll its status");
  }
  Result<DocumentResponse> result = std::move(it->second.result);
  tasks_.erase(it);
  return result;
}

void DocumentService::begin_shutdown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
}

void DocumentService::wait_idle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return unfinished_ == 0; });
}

}  // namespace fourbrain::api
