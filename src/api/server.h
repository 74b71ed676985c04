// api::Server: the facade every frontend (HTTP today, gRPC and the OpenAI/TEI/Cohere
// routes next) calls. It owns the model repository, checks each inference request
// against the model's config (tensor names, datatypes, shapes, byte sizes) with Triton's
// error words, tokenizes on the caller's thread, queues the request on the model's
// batcher, and turns the model's floats back into output tensors.
//
// Thread-safe. infer() never blocks on compute: the callback runs later on a runtime
// thread (or at once, on the caller's thread, for a request refused up front).
// load_model/unload_model/poll block while checkpoints load: call them off I/O threads.
// Shutdown: begin_shutdown() makes the server not ready and refuses new requests;
// wait_idle() returns once every accepted request has been answered.
// Document conversion (docling-serve routes, `backend: "docling"` models) runs on the
// DocumentService the server owns; its work counts as in flight for wait_idle() too.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/document_service.h"
#include "api/types.h"
#include "base/status.h"

namespace fourbrain::runtime {
class ModelRepository;
struct ServingModel;
}  // namespace fourbrain::runtime

namespace fourbrain::api {

enum class ControlMode { kNone, kExplicit, kPoll };

struct ServerOptions {
  std::string model_repository;
  ControlMode control_mode = ControlMode::kNone;
  std::vector<std::string> load_models;  // explicit mode; "*" = all
  int poll_seconds = 15;
  bool strict_readiness = false;  // ready only while every model is ready
  DocumentServiceOptions documents;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> create(const ServerOptions& options);
  ~Server();

  bool live() const { return true; }
  bool ready() const;
  ServerMetadata metadata() const;

  Result<ModelMetadata> model_metadata(const std::string& name, const std::string& version) const;
  // The completed config as Triton's JSON (proto field names, int64 as numbers).
  Result<std::string> model_config_json(const std::string& name, const std::string& version) const;
  Status model_ready(const std::string& name, const std::string& version) const;

  std::vector<RepositoryEntry> repository_index(bool ready_only) const;
  Status load_model(const std::string& name, const std::string& config_json);
  Status unload_model(const std::string& name);

  // name "" : every ready model. NotFound / InvalidArgument for an unknown name.
  Result<std::vector<ModelStatistics>> statistics(const std::string& name,
                                                  const std::string& version) const;

  // Starts an inference; `done` is called exactly once. The ticket may be ignored.
  std::shared_ptr<InferTicket> infer(InferRequest request, InferCallback done);

  // Conversion and chunking of documents (never null).
  DocumentService& documents() { return *documents_; }

  void begin_shutdown();
  void wait_idle();
  bool shutting_down() const { return shutting_down_.load(); }
  uint64_t accepted_requests() const { return accepted_.load(); }
  uint64_t answered_requests() const { return answered_.load(); }

 private:
  Server() = default;
  void request_finished();
  // infer() of a `backend: "docling"` model (document_infer.cc).
  std::shared_ptr<runtime::ServingModel> find_document_model(const InferRequest& request) const;
  void infer_document(std::shared_ptr<runtime::ServingModel> serving, const InferRequest& request,
                      InferCallback finish);

  ServerOptions options_;
  std::unique_ptr<DocumentService> documents_;  // stopped after the repository's requests
  std::unique_ptr<runtime::ModelRepository> repository_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<uint64_t> accepted_{0}, answered_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  int64_t in_flight_ = 0;  // guarded by idle_mu_
};

}  // namespace fourbrain::api
