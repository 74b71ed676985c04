#include "runtime/model_repository.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <set>

#include "base/file.h"
#include "base/log.h"
#include "formats/model_config/model_config.h"
#include "runtime/checkpoint_location.h"

namespace fs = std::filesystem;

namespace fourbrain::runtime {
namespace {

constexpr const char* kConfigFile = "config.pbtxt";

std::optional<int64_t> parse_version(const std::string& s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::vector<int64_t> version_folders(const fs::path& dir) {
  std::vector<int64_t> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory()) continue;
    if (auto v = parse_version(entry.path().filename().string())) versions.push_back(*v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

Result<inference::ModelConfig> read_config(const fs::path& dir, const std::string& config_json) {
  if (!config_json.empty()) {
    auto parsed = formats::model_config_from_json(config_json);
    if (!parsed.is_ok()) return parsed.status().with_context("the load request's config");
    return parsed;
  }
  const fs::path path = dir / kConfigFile;
  if (!fs::exists(path)) return not_found(path.string() + " does not exist");
  FB_ASSIGN_OR_RETURN(std::string text, read_file(path.string()));
  return formats::parse_model_config(text, path.string());
}

}  // namespace

std::string_view model_state_name(ModelState state) {
  switch (state) {
    case ModelState::kUnknown:
      return "UNKNOWN";
    case ModelState::kReady:
      return "READY";
    case ModelState::kUnavailable:
      return "UNAVAILABLE";
    case ModelState::kLoading:
      return "LOADING";
    case ModelState::kUnloading:
      return "UNLOADING";
  }
  return "UNKNOWN";
}

ServingModel::~ServingModel() {
  if (batcher) batcher->stop();
}

Result<std::unique_ptr<ModelRepository>> ModelRepository::open(RepositoryOptions options) {
  std::error_code ec;
  if (!fs::is_directory(options.root, ec)) {
    return not_found("model repository '" + options.root + "' is not a folder");
  }
  auto repo = std::unique_ptr<ModelRepository>(new ModelRepository(std::move(options)));
  const auto& opts = repo->options_;
  std::vector<std::string> startup = repo->models_on_disk();
  {
    std::lock_guard lock(repo->mu_);
    for (const std::string& name : startup) repo->records_[name];
  }
  if (opts.mode == ControlMode::kExplicit) {
    const bool all = std::find(opts.startup_models.begin(), opts.startup_models.end(), "*") !=
                     opts.startup_models.end();
    if (!all) {
      for (const std::string& name : opts.startup_models) {
        if (std::find(startup.begin(), startup.end(), name) == startup.end()) {
          return not_found("--load-model " + name + ": no such model in " + opts.root);
        }
      }
      startup = opts.startup_models;
    }
  }
  for (const std::string& name : startup) {
    std::lock_guard control(repo->control_mu_);
    // A failed load is recorded in the index; the server serves the rest.
    (void)repo->load_locked(name, "");
  }
  if (opts.mode == ControlMode::kPoll) {
    repo->poller_ = std::thread([r = repo.get()] { r->poll_loop(); });
  }
  return repo;
}

ModelRepository::~ModelRepository() { shutdown(); }

std::vector<std::string> ModelRepository::models_on_disk() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.root, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !name.empty() && name[0] != '.') names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ModelRepository::disk_signature(const std::string& name) const {
  const fs::path dir = fs::path(options_.root) / name;
  std::string sig;
  std::error_code ec;
  auto stamp = [&](const fs::path& p) {
    auto t = fs::last_write_time(p, ec);
    sig += p.filename().string() + "@" + (ec ? "-" : std::to_string(t.time_since_epoch().count())) +
           ";";
  };
  stamp(dir / kConfigFile);
  for (int64_t v : version_folders(dir)) stamp(dir / std::to_string(v));
  return sig;
}

void ModelRepository::set_model_state(const std::string& name, ModelState state,
                                      const std::string& reason) {
  std::lock_guard lock(mu_);
  ModelRecord& record = records_[name];
  record.state = state;
  record.reason = reason;
}

Status ModelRepository::load(const std::string& name, const std::string& config_json) {
  if (options_.mode != ControlMode::kExplicit) {
    return unavailable("explicit model load / unload is not allowed in model control mode '" +
                       std::string(options_.mode == ControlMode::kNone ? "none" : "poll") +
                       "' (start the server with --model-control-mode explicit)");
  }
  std::lock_guard control(control_mu_);
  return load_locked(name, config_json);
}

Status ModelRepository::load_locked(const std::string& name, const std::string& config_json) {
  const fs::path dir = fs::path(options_.root) / name;
  std::error_code ec;
  if (config_json.empty() && !fs::is_directory(dir, ec)) {
    return not_found("failed to load '" + name + "': no such model in the repository " +
                     options_.root);
  }
  const std::string signature = disk_signature(name);
  auto fail = [&](const Status& s) {
    log_event(LogLevel::kError, "model_load_failed", {{"model", name}, {"reason", s.message()}});
    std::lock_guard lock(mu_);
    ModelRecord& record = records_[name];
    record.signature = signature;
    if (record.versions.empty() || !std::any_of(record.versions.begin(), record.versions.end(),
                                                [](auto& v) { return v.second.serving; })) {
      record.versions.clear();
      record.state = ModelState::kUnavailable;
      record.reason = s.message();
    }
    return s;
  };
  auto config = read_config(dir, config_json);
  if (!config.is_ok()) return fail(config.status());
  inference::ModelConfig completed = std::move(config).value();
  auto setup = complete_model_config(name, completed);
  if (!setup.is_ok()) return fail(setup.status());
  std::vector<int64_t> wanted;
  std::string checkpoint;  // the folder of every version when the config names one
  if (setup.value().document_converter) {
    wanted = {1};  // nothing on disk to load: the converter is code
  } else if (!setup.value().checkpoint.empty()) {
    auto located = resolve_checkpoint(setup.value().checkpoint, dir.string());
    if (!located.is_ok()) return fail(located.status().with_context("model '" + name + "'"));
    checkpoint = std::move(located).value();
    wanted = {1};
  } else {
    wanted = select_versions(completed, version_folders(dir));
  }
  if (wanted.empty()) {
    return fail(not_found("model '" + name + "' has no version folder to serve in " + dir.string() +
                          " (expected e.g. " + (dir / "1").string() + "/)"));
  }
  log_event(LogLevel::kInfo, "model_loading", {{"model", name}});
  std::map<int64_t, VersionRecord> loaded;
  Status first_error;
  for (int64_t v : wanted) {
    {
      std::lock_guard lock(mu_);
      // A version that is serving keeps serving while its replacement loads.
      VersionRecord& shown = records_[name].versions[v];
      if (!shown.serving) shown.state = ModelState::kLoading;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::string version_dir =
        checkpoint.empty() ? (dir / std::to_string(v)).string() : checkpoint;
    std::shared_ptr<const models::ServedModel> served;  // null for a document converter
    VersionRecord& rec = loaded[v];
    if (!setup.value().document_converter) {
      auto model =
          models::load_served_model(setup.value().task, version_dir, setup.value().model_options);
      if (!model.is_ok()) {
        rec.state = ModelState::kUnavailable;
        rec.reason = model.status().message();
        if (first_error.is_ok()) first_error = model.status().with_context("model '" + name + "'");
        log_event(LogLevel::kError, "model_load_failed",
                  {{"model", name}, {"version", std::to_string(v)}, {"reason", rec.reason}});
        continue;
      }
      served = std::move(model).value();
    }
    auto serving = std::make_shared<ServingModel>();
    serving->name = name;
    serving->version = v;
    serving->config = completed;
    serving->setup = setup.value();
    serving->model = std::move(served);
    serving->stats = std::make_shared<ModelStats>();
    if (serving->model) {
      serving->batcher = std::make_unique<DynamicBatcher>(serving->model, serving->setup.scheduling,
                                                          serving->stats);
    }
    serving->load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rec.state = ModelState::kReady;
    rec.serving = std::move(serving);
    log_event(LogLevel::kInfo, "model_ready",
              {{"model", name},
               {"version", std::to_string(v)},
               {"bytes", std::to_string(rec.serving->memory_bytes())}});
  }
  const bool any_ready =
      std::any_of(loaded.begin(), loaded.end(), [](auto& v) { return v.second.serving; });
  std::map<int64_t, VersionRecord> retired;
  {
    std::lock_guard lock(mu_);
    ModelRecord& record = records_[name];
    const bool had_ready = std::any_of(record.versions.begin(), record.versions.end(),
                                       [](auto& v) { return v.second.serving; });
    if (!any_ready && had_ready) {
      // A failed reload keeps what was serving (Triton's poll semantics).
      for (auto it = record.versions.begin(); it != record.versions.end();) {
        it = it->second.serving ? std::next(it) : record.versions.erase(it);
      }
      record.signature = signature;
      return first_error;
    }
    retired.swap(record.versions);
    record.versions = std::move(loaded);
    record.state = any_ready ? ModelState::kReady : ModelState::kUnavailable;
    record.reason = any_ready ? "" : first_error.message();
    record.signature = signature;
  }
  retired.clear();  // drains and frees the versions replaced by this load
  return first_error;
}

Status ModelRepository::unload(const std::string& name) {
  if (options_.mode != ControlMode::kExplicit) {
    return unavailable("explicit model load / unload is not allowed in model control mode '" +
                       std::string(options_.mode == ControlMode::kNone ? "none" : "poll") +
                       "' (start the server with --model-control-mode explicit)");
  }
  std::lock_guard control(control_mu_);
  return unload_locked(name, "unloaded");
}

Status ModelRepository::unload_locked(const std::string& name, const std::string& reason) {
  std::map<int64_t, VersionRecord> retired;
  {
    std::lock_guard lock(mu_);
    auto it = records_.find(name);
    if (it == records_.end()) return not_found("failed to unload '" + name + "': unknown model");
    for (auto& [v, rec] : it->second.versions) rec.state = ModelState::kUnloading;
    retired = it->second.versions;  // shares the ServingModels; lookups still see UNLOADING
  }
  for (auto& [v, rec] : retired) {
    if (rec.serving && rec.serving->batcher)
      rec.serving->batcher->stop();  // finishes what was queued
  }
  {
    std::lock_guard lock(mu_);
    ModelRecord& record = records_[name];
    record.versions.clear();
    record.state = ModelState::kUnavailable;
    record.reason = reason;
  }
  retired.clear();  // the last reference to each version: weights are freed here
  log_event(LogLevel::kInfo, "model_unloaded", {{"model", name}});
  return Status::ok();
}

void ModelRepository::poll() {
  std::lock_guard control(control_mu_);
  const std::vector<std::string> on_disk = models_on_disk();
  std::vector<std::string> known;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, record] : records_) known.push_back(name);
  }
  for (const std::string& name : known) {
    if (!std::binary_search(on_disk.begin(), on_disk.end(), name)) {
      (void)unload_locked(name, "removed from the repository");
      std::lock_guard lock(mu_);
      records_.erase(name);
    }
  }
  for (const std::string& name : on_disk) {
    std::string old_signature;
    bool seen = false;
    {
      std::lock_guard lock(mu_);
      auto it = records_.find(name);
      if (it != records_.end()) seen = true, old_signature = it->second.signature;
    }
    if (!seen || old_signature != disk_signature(name)) (void)load_locked(name, "");
  }
}

void ModelRepository::poll_loop() {
  std::unique_lock lock(poll_mu_);
  while (!stopping_) {
    poll_cv_.wait_for(lock, std::chrono::seconds(options_.poll_seconds));
    if (stopping_) break;
    lock.unlock();
    poll();
    lock.lock();
  }
}

bool ModelRepository::VersionRecord::ready() const {
  return state == ModelState::kReady && (!serving || !serving->model || serving->model->healthy());
}

Result<std::shared_ptr<ServingModel>> ModelRepository::find(const std::string& name,
                                                            int64_t version) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(name);
  if (it == records_.end()) {
    return invalid_argument("Request for unknown model: '" + name + "' is not found");
  }
  const auto& versions = it->second.versions;
  if (version == 0) {
    for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
      if (v->second.ready()) return v->second.serving;
    }
    return unavailable("Request for unknown model: '" + name + "' has no available versions");
  }
  auto v = versions.find(version);
  if (v == versions.end()) {
    return not_found("Request for unknown model: '" + name + "' version " +
                     std::to_string(version) + " is not found");
  }
  if (!v->second.ready()) {
    return unavailable("'" + name + "' version " + std::to_string(version) +
                       " is not at ready state");
  }
  return v->second.serving;
}

std::vector<std::shared_ptr<ServingModel>> ModelRepository::serving() const {
  std::vector<std::shared_ptr<ServingModel>> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, record] : records_) {
    for (const auto& [v, rec] : record.versions) {
      if (rec.state == ModelState::kReady && rec.serving) out.push_back(rec.serving);
    }
  }
  return out;
}

std::vector<int64_t> ModelRepository::ready_versions(const std::string& name) const {
  std::vector<int64_t> out;
  std::lock_guard lock(mu_);
  auto it = records_.find(name);
  if (it == records_.end()) return out;
  for (const auto& [v, rec] : it->second.versions) {
    if (rec.ready()) out.push_back(v);
  }
  return out;
}

bool ModelRepository::all_ready() const {
  std::lock_guard lock(mu_);
  for (const auto& [name, record] : records_) {
    if (record.versions.empty() && options_.mode == ControlMode::kExplicit &&
        record.state == ModelState::kUnknown) {
      continue;  // never asked for
    }
    if (record.state != ModelState::kReady) return false;
    for (const auto& [v, rec] : record.versions) {
      if (rec.state == ModelState::kReady && !rec.ready()) return false;
    }
  }
  return true;
}

std::vector<IndexEntry> ModelRepository::index(bool ready_only) const {
  std::vector<IndexEntry> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, record] : records_) {
    if (record.versions.empty()) {
      if (ready_only) continue;
      IndexEntry e{name, "", record.state, record.reason};
      if (e.state == ModelState::kUnknown)
        e.state = ModelState::kUnavailable, e.reason = "not loaded";
      out.push_back(std::move(e));
      continue;
    }
    for (const auto& [v, rec] : record.versions) {
      if (ready_only && !rec.ready()) continue;
      const bool faulted = rec.reported_state() != rec.state;
      out.push_back({name, std::to_string(v), rec.reported_state(),
                     faulted ? "the model's GPU failed; unload and load it again" : rec.reason});
    }
  }
  return out;
}

void ModelRepository::shutdown() {
  {
    std::lock_guard lock(poll_mu_);
    stopping_ = true;
  }
  poll_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  for (const auto& serving : serving()) {
    if (serving->batcher) serving->batcher->stop();
  }
}

}  // namespace fourbrain::runtime
