// ModelRepository: the models of a Triton-style repository folder and their lifecycle.
//
// Layout: ROOT/<model>/config.pbtxt plus version folders ROOT/<model>/<n>/ holding a
// HuggingFace checkpoint. Control modes as Triton's (triton.md §4.3): `none` loads
// everything at start and refuses load/unload; `explicit` loads the startup models and
// then only what load() asks; `poll` loads everything and rescans every poll interval,
// keeping the old versions when a changed model fails to load. A model that fails to load
// is UNAVAILABLE with its reason in the index; the others keep serving.
//
// Thread-safe. Loads, unloads and polls run one at a time (on the caller's thread; they
// block while checkpoints load). Unload stops new requests at once, finishes the queued
// ones, then frees the model. Lookups never wait for a load.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "formats/model_config/model_config.pb.h"
#include "models/served_model.h"
#include "runtime/dynamic_batcher.h"
#include "runtime/model_setup.h"
#include "runtime/model_stats.h"

namespace fourbrain::runtime {

enum class ControlMode { kNone, kExplicit, kPoll };
enum class ModelState { kUnknown, kReady, kUnavailable, kLoading, kUnloading };
std::string_view model_state_name(ModelState state);  // "READY", ...

// One ready version of a model: its config, weights, queue and statistics. A document
// converter (`backend: "docling"`, setup.document_converter) has no model and no batcher:
// api/ runs its requests on the server's document service.
struct ServingModel {
  std::string name;
  int64_t version = 0;
  inference::ModelConfig config;  // completed (see model_setup.h)
  ModelSetup setup;
  double load_seconds = 0;
  std::shared_ptr<const models::ServedModel> model;
  std::shared_ptr<ModelStats> stats;
  std::unique_ptr<DynamicBatcher> batcher;  // declared last: stopped before the model goes

  ~ServingModel();
  size_t memory_bytes() const { return model ? model->memory_bytes() : 0; }
  size_t pending() const { return batcher ? batcher->pending() : 0; }
};

struct IndexEntry {
  std::string name;
  std::string version;  // empty when the model has no version to report
  ModelState state = ModelState::kUnknown;
  std::string reason;
};

struct RepositoryOptions {
  std::string root;
  ControlMode mode = ControlMode::kNone;
  std::vector<std::string> startup_models;  // explicit mode; "*" loads every model
  int poll_seconds = 15;
};

class ModelRepository {
 public:
  // Scans the root and loads the startup models. Only an unusable root (or an unknown
  // startup model) fails; models that fail to load are recorded as UNAVAILABLE.
  static Result<std::unique_ptr<ModelRepository>> open(RepositoryOptions options);
  ~ModelRepository();

  ControlMode mode() const { return options_.mode; }
  const std::string& root() const { return options_.root; }

  // Every model in the repository folder or loaded, with each version's state.
  std::vector<IndexEntry> index(bool ready_only) const;
  // Loads (or reloads) a model; `config_json` (Triton's load "config" parameter), when
  // not empty, replaces config.pbtxt.
  Status load(const std::string& name, const std::string& config_json = "");
  Status unload(const std::string& name);
  // Rescans the folder: loads new and changed models, unloads removed ones.
  void poll();

  // A ready version (0: the latest ready one). NotFound / Unavailable as Triton words it.
  Result<std::shared_ptr<ServingModel>> find(const std::string& name, int64_t version) const;
  // Every ready version of every model, by name then version.
  std::vector<std::shared_ptr<ServingModel>> serving() const;
  // Ready versions of one model, ascending.
  std::vector<int64_t> ready_versions(const std::string& name) const;
  bool all_ready() const;

  // Stops polling, refuses new requests and finishes the queued ones.
  void shutdown();

 private:
  struct VersionRecord {
    ModelState state = ModelState::kUnknown;
    std::string reason;
    std::shared_ptr<ServingModel> serving;
    // Ready and its device still healthy (a CUDA fault makes a loaded model unusable).
    bool ready() const;
    // The state as reported: a faulted device shows as UNAVAILABLE.
    ModelState reported_state() const {
      return state == ModelState::kReady && !ready() ? ModelState::kUnavailable : state;
    }
  };
  struct ModelRecord {
    std::map<int64_t, VersionRecord> versions;
    ModelState state = ModelState::kUnknown;  // used while no version is known
    std::string reason;
    std::string signature;  // of the files on disk at the last load, for poll
  };

  explicit ModelRepository(RepositoryOptions options) : options_(std::move(options)) {}
  Status load_locked(const std::string& name, const std::string& config_json);
  Status unload_locked(const std::string& name, const std::string& reason);
  void set_model_state(const std::string& name, ModelState state, const std::string& reason);
  std::vector<std::string> models_on_disk() const;
  std::string disk_signature(const std::string& name) const;
  void poll_loop();

  const RepositoryOptions options_;
  std::mutex control_mu_;  // one load / unload / poll at a time
  mutable std::mutex mu_;  // guards records_
  std::map<std::string, ModelRecord> records_;
  std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  bool stopping_ = false;
  std::thread poller_;
};

}  // namespace fourbrain::runtime
