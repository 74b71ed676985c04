// DocumentService: PDF conversion and chunking for the frontends, on a bounded pool of its
// own so that conversions (seconds of CPU each) never run on an I/O thread.
//
// run() converts at once, as docling-serve's sync routes do; submit() starts a task whose
// status is polled and whose result is fetched once (single use), then kept at most
// `result_ttl` after it finished before it is dropped. Requests are checked when they are
// offered (sources present, size limit, a PDF, page range, http sources allowed) and a
// refused one never queues. A full queue refuses with ResourceExhausted. http sources are
// fetched by the worker that converts them (api/http_fetch.h), then checked as files are.
//
// Owned by api::Server. Thread-safe. run()'s callback is called exactly once: at once on
// the caller's thread for a refused request, else later on a worker thread. Shutdown:
// begin_shutdown() refuses new work (Unavailable); wait_idle() returns once everything
// accepted has finished; the destructor does both and joins the workers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/document_types.h"
#include "base/status.h"

namespace fourbrain::formats {
class Tokenizer;
}

namespace fourbrain::api {

struct DocumentServiceOptions {
  int workers = 2;
  size_t max_queue = 32;  // accepted, not yet started; beyond it: ResourceExhausted
  size_t max_file_bytes = size_t{200} << 20;
  int max_pages = 2000;
  std::chrono::milliseconds page_time_limit{20000};
  std::chrono::milliseconds document_time_limit{600000};
  std::chrono::milliseconds result_ttl{300000};  // a finished task's result is kept this long
  std::string tokenizer_dir;  // for hybrid chunking (token counts); "" = hybrid unsupported
  std::vector<std::string> http_allow;  // hosts http sources may name; empty = http off
  std::chrono::milliseconds http_time_limit{30000};  // one http source's fetch, redirects too
  // The fourbrain binary that converts each document in a child process (docling/sandbox.h),
  // so that a PDF that crashes or exhausts the parser costs one request, not the server.
  // "" = convert in this process.
  std::string converter_exe;
  size_t converter_memory_bytes = size_t{2} << 30;  // the child's memory limit
};

using DocumentCallback = std::function<void(Result<DocumentResponse>)>;

class DocumentService {
 public:
  // Fails if the tokenizer folder cannot be loaded or an option is out of range.
  static Result<std::unique_ptr<DocumentService>> create(const DocumentServiceOptions& options);
  ~DocumentService();
  DocumentService(const DocumentService&) = delete;
  DocumentService& operator=(const DocumentService&) = delete;

  const DocumentServiceOptions& options() const { return options_; }

  // Converts (and chunks, if asked) every source; `done` is called exactly once.
  void run(DocumentRequest request, DocumentCallback done);

  // Starts a task; returns its id.
  Result<std::string> submit(DocumentRequest request);
  // NotFound for an unknown, fetched or expired task.
  Result<TaskStatus> poll(const std::string& task_id);
  // The finished task's result (or its failure), once; NotFound afterwards, and (as
  // docling-serve) while the task has not finished.
  Result<DocumentResponse> take_result(const std::string& task_id);

  void begin_shutdown();
  void wait_idle();

 private:
  struct Job;
  struct Task;

  explicit DocumentService(DocumentServiceOptions options);  // in the .cc: members' types
  Status check(const DocumentRequest& request) const;
  Status enqueue(std::shared_ptr<Job> job);  // under no lock; takes mu_
  void worker_loop();
  Result<DocumentResponse> process(const DocumentRequest& request) const;
  void finish_task(const std::string& id, Result<DocumentResponse> result);
  void expire_locked(std::chrono::steady_clock::time_point now);

  const DocumentServiceOptions options_;
  std::unique_ptr<formats::Tokenizer> tokenizer_;
  std::vector<std::thread> workers_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mu_
  std::map<std::string, Task> tasks_;       // guarded by mu_
  int64_t unfinished_ = 0;                  // accepted jobs not finished; guarded by mu_
  bool shutting_down_ = false, stopping_ = false;
};

}  // namespace fourbrain::api
