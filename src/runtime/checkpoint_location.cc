#include "runtime/checkpoint_location.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace fourbrain::runtime {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string home() { return env_or("HOME", "/root"); }

Result<std::string> existing_folder(const fs::path& path, const std::string& spec) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return path.lexically_normal().string();
  return not_found("checkpoint '" + spec + "': no folder at " + path.lexically_normal().string());
}

Result<std::string> hub_snapshot(const std::string& repo_id, const std::string& spec) {
  const size_t slash = repo_id.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == repo_id.size()) {
    return invalid_argument("checkpoint '" + spec + "': expected hf:ORG/NAME");
  }
  const std::string hub =
      env_or("HF_HUB_CACHE", env_or("HF_HOME", home() + "/.cache/huggingface") + "/hub");
  const fs::path repo =
      fs::path(hub) / ("models--" + repo_id.substr(0, slash) + "--" + repo_id.substr(slash + 1));
  const fs::path snapshots = repo / "snapshots";
  std::ifstream ref(repo / "refs" / "main");
  std::string revision;
  if (ref && std::getline(ref, revision) && !revision.empty()) {
    return existing_folder(snapshots / revision, spec);
  }
  std::error_code ec;
  fs::path newest;
  fs::file_time_type newest_time{};
  for (const auto& entry : fs::directory_iterator(snapshots, ec)) {
    if (!entry.is_directory()) continue;
    const auto t = entry.last_write_time(ec);
    if (newest.empty() || t > newest_time) newest = entry.path(), newest_time = t;
  }
  if (newest.empty()) {
    return not_found("checkpoint '" + spec + "': not in the HuggingFace cache (looked in " +
                     snapshots.string() + "; download it with `hf download " + repo_id +
                     "` or set HF_HUB_CACHE)");
  }
  return newest.lexically_normal().string();
}

}  // namespace

Result<std::string> resolve_checkpoint(const std::string& spec, const std::string& model_dir) {
  if (spec.rfind("hf:", 0) == 0) return hub_snapshot(spec.substr(3), spec);
  if (spec.rfind("cache:", 0) == 0) {
    const std::string cache = env_or("FOURBRAIN_MODEL_CACHE", home() + "/.cache/fourbrain/models");
    return existing_folder(fs::path(cache) / spec.substr(6), spec);
  }
  if (spec.rfind("~/", 0) == 0) return existing_folder(fs::path(home()) / spec.substr(2), spec);
  return existing_folder(fs::path(model_dir) / spec, spec);
}

}  // namespace fourbrain::runtime
