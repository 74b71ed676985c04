#include "api/server.h"

#include <charconv>

#include "base/log.h"
#include "formats/model_config/model_config.h"
#include "runtime/model_repository.h"

namespace fourbrain::api {

// Shared with infer.cc.
Result<int64_t> parse_model_version(const std::string& version) {
  if (version.empty()) return int64_t{0};
  int64_t v = 0;
  auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), v);
  if (ec != std::errc() || end != version.data() + version.size() || v < 1) {
    return invalid_argument("model version must be a positive integer, got '" + version + "'");
  }
  return v;
}

Result<std::unique_ptr<Server>> Server::create(const ServerOptions& options) {
  runtime::RepositoryOptions repo;
  repo.root = options.model_repository;
  repo.mode = options.control_mode == ControlMode::kExplicit ? runtime::ControlMode::kExplicit
              : options.control_mode == ControlMode::kPoll   ? runtime::ControlMode::kPoll
                                                             : runtime::ControlMode::kNone;
  repo.startup_models = options.load_models;
  repo.poll_seconds = options.poll_seconds;
  auto server = std::unique_ptr<Server>(new Server());
  server->options_ = options;
  FB_ASSIGN_OR_RETURN(server->documents_, DocumentService::create(options.documents));
  FB_ASSIGN_OR_RETURN(server->repository_, runtime::ModelRepository::open(std::move(repo)));
  return server;
}

Server::~Server() {
  begin_shutdown();
  wait_idle();
  repository_->shutdown();
}

bool Server::ready() const {
  if (shutting_down_.load()) return false;
  return !options_.strict_readiness || repository_->all_ready();
}

ServerMetadata Server::metadata() const {
  // Only the extensions this server really implements.
  return {"fourbrain",
          "0.1.0",
          {"model_repository", "model_repository(unload_dependents)", "model_configuration",
           "binary_tensor_data", "parameters", "statistics"}};
}

Result<ModelMetadata> Server::model_metadata(const std::string& name,
                                             const std::string& version) const {
  FB_ASSIGN_OR_RETURN(int64_t v, parse_model_version(version));
  FB_ASSIGN_OR_RETURN(auto serving, repository_->find(name, v));
  const inference::ModelConfig& config = serving->config;
  ModelMetadata meta;
  meta.name = name;
  if (v > 0) {
    meta.versions.push_back(std::to_string(v));
  } else {
    for (int64_t ready : repository_->ready_versions(name)) {
      meta.versions.push_back(std::to_string(ready));
    }
  }
  meta.platform = config.platform().empty() ? config.backend() : config.platform();
  auto shape_of = [&](const auto& dims) {
    std::vector<int64_t> shape;
    if (config.max_batch_size() > 0) shape.push_back(-1);
    shape.insert(shape.end(), dims.begin(), dims.end());
    return shape;
  };
  for (const auto& in : config.input()) {
    meta.inputs.push_back({in.name(), std::string(formats::datatype_protocol_name(in.data_type())),
                           shape_of(in.dims())});
  }
  for (const auto& out : config.output()) {
    meta.outputs.push_back({out.name(),
                            std::string(formats::datatype_protocol_name(out.data_type())),
                            shape_of(out.dims())});
  }
  return meta;
}

Result<std::string> Server::model_config_json(const std::string& name,
                                              const std::string& version) const {
  FB_ASSIGN_OR_RETURN(int64_t v, parse_model_version(version));
  FB_ASSIGN_OR_RETURN(auto serving, repository_->find(name, v));
  return formats::model_config_to_json(serving->config);
}

Status Server::model_ready(const std::string& name, const std::string& version) const {
  FB_ASSIGN_OR_RETURN(int64_t v, parse_model_version(version));
  return repository_->find(name, v).status();
}

std::vector<RepositoryEntry> Server::repository_index(bool ready_only) const {
  std::vector<RepositoryEntry> out;
  for (const auto& e : repository_->index(ready_only)) {
    out.push_back({e.name, e.version, std::string(runtime::model_state_name(e.state)), e.reason});
  }
  return out;
}

Status Server::load_model(const std::string& name, const std::string& config_json) {
  return repository_->load(name, config_json);
}

Status Server::unload_model(const std::string& name) { return repository_->unload(name); }

Result<std::vector<ModelStatistics>> Server::statistics(const std::string& name,
                                                        const std::string& version) const {
  FB_ASSIGN_OR_RETURN(int64_t v, parse_model_version(version));
  std::vector<std::shared_ptr<runtime::ServingModel>> models;
  if (name.empty()) {
    models = repository_->serving();
  } else if (v > 0) {
    FB_ASSIGN_OR_RETURN(auto one, repository_->find(name, v));
    models.push_back(std::move(one));
  } else {
    for (int64_t ready : repository_->ready_versions(name)) {
      auto one = repository_->find(name, ready);
      if (one.is_ok()) models.push_back(std::move(one).value());
    }
    if (models.empty()) FB_RETURN_IF_ERROR(repository_->find(name, 0).status());
  }
  std::vector<ModelStatistics> out;
  for (const auto& m : models) {
    out.push_back({m->name, std::to_string(m->version), m->stats->snapshot(), m->pending(),
                   m->load_seconds, m->memory_bytes()});
  }
  return out;
}

void Server::begin_shutdown() {
  bool already = false;
  {
    std::lock_guard lock(idle_mu_);  // infer() checks the flag under this lock
    already = shutting_down_.exchange(true);
  }
  documents_->begin_shutdown();
  if (!already) log_event(LogLevel::kInfo, "shutdown_begin");
}

void Server::wait_idle() {
  {
    std::unique_lock lock(idle_mu_);
    idle_cv_.wait(lock, [&] { return in_flight_ == 0; });
  }
  documents_->wait_idle();
}

void Server::request_finished() {
  answered_.fetch_add(1);
  std::lock_guard lock(idle_mu_);
  if (--in_flight_ == 0) idle_cv_.notify_all();
}

}  // namespace fourbrain::api
