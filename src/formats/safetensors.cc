#include "formats/safetensors.h"

#include <algorithm>
#include <map>
#include <set>

#include "formats/json.h"
#include "formats/safetensors_file.h"

namespace fourbrain::formats {

namespace {

constexpr std::string_view kIndexName = "model.safetensors.index.json";
constexpr std::string_view kSingleName = "model.safetensors";

// Built by appending: GCC 12 gives a false -Wrestrict for `"literal" + std::string(...)`.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out += '"';
  return out;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The index is input from outside: a shard name must not lead out of the checkpoint folder.
bool is_plain_shard_name(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = std::min(name.find('/', start), name.size());
    if (name.substr(start, slash - start) == "..") return false;
    start = slash + 1;
  }
  return true;
}

void sort_by_name(std::vector<TensorEntry>* entries) {
  std::sort(entries->begin(), entries->end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.name < b.name; });
}

// Reads the index, then every shard it names, and checks that the two agree: each tensor in
// the shard the index says, no tensor the index does not list, no tensor in two shards.
Result<std::vector<TensorEntry>> read_sharded(const std::string& dir, const std::string& index) {
  FB_ASSIGN_OR_RETURN(JsonValue doc, JsonValue::parse_file(index));
  std::optional<JsonValue> weight_map = doc.find("weight_map");
  if (!weight_map || !weight_map->is_object()) {
    return invalid_argument(index + ": \"weight_map\" must be an object {tensor name: shard file}");
  }
  std::vector<Status> problems;
  auto problem = [&](std::string what) { problems.push_back(invalid_argument(std::move(what))); };
  std::map<std::string, std::string, std::less<>> shard_of;  // tensor -> shard, per index
  std::map<std::string, std::vector<std::string>> listed;    // shard -> its tensors
  weight_map->for_each_member([&](std::string_view tensor, const JsonValue& shard) {
    if (!shard.is_string()) {
      problem(index + ": weight_map value for tensor " + quoted(tensor) +
              " must be a shard file name, got " + std::string(shard.kind_name()));
    } else if (!is_plain_shard_name(shard.as_string())) {
      problem(index + ": shard " + quoted(shard.as_string()) + " for tensor " + quoted(tensor) +
              " must be a relative path inside the checkpoint folder");
    } else if (!shard_of.emplace(tensor, shard.as_string()).second) {
      problem(index + ": weight_map lists tensor " + quoted(tensor) + " twice");
    } else {
      listed[std::string(shard.as_string())].push_back(std::string(tensor));
    }
  });
  if (shard_of.empty() && problems.empty()) problem(index + ": weight_map names no tensors");

  std::vector<TensorEntry> entries;
  std::map<std::string, std::string, std::less<>> found_in;  // tensor -> first shard holding it
  for (const auto& [shard, tensors] : listed) {
    const std::string path = join_path(dir, shard);
    if (!file_exists(path)) {
      problems.push_back(not_found(index + " names shard " + quoted(shard) +
                                   ", which does not exist (looked for " + path + ")"));
      continue;
    }
    std::vector<TensorEntry> shard_entries;
    if (!read_safetensors_file(path, &shard_entries, &problems)) continue;
    std::set<std::string, std::less<>> held;
    for (TensorEntry& e : shard_entries) {
      held.insert(e.name);
      auto in_index = shard_of.find(e.name);
      if (in_index == shard_of.end()) {
        problem(path + ": holds tensor " + quoted(e.name) + ", which " + index + " does not list");
      } else if (in_index->second != shard) {
        problem(path + ": holds tensor " + quoted(e.name) + ", which " + index + " places in " +
                quoted(in_index->second));
      }
      auto [first, is_new] = found_in.emplace(e.name, shard);
      if (!is_new) {
        problem(dir + ": tensor " + quoted(e.name) + " appears in two shards, " +
                quoted(first->second) + " and " + quoted(shard));
        continue;
      }
      entries.push_back(std::move(e));
    }
    for (const std::string& tensor : tensors) {
      if (!held.contains(tensor)) {
        problem(index + ": places tensor " + quoted(tensor) + " in " + quoted(shard) +
                ", but that shard has no such tensor");
      }
    }
  }
  if (!problems.empty()) return combine_problems(problems, "checkpoint " + dir);
  return entries;
}

}  // namespace

Result<Checkpoint> Checkpoint::open(const std::string& dir) {
  const std::string index = join_path(dir, kIndexName);
  const std::string single = join_path(dir, kSingleName);
  Checkpoint checkpoint;
  if (file_exists(index)) {
    FB_ASSIGN_OR_RETURN(checkpoint.entries_, read_sharded(dir, index));
    sort_by_name(&checkpoint.entries_);
  } else if (file_exists(single)) {
    FB_ASSIGN_OR_RETURN(checkpoint, open_file(single));
  } else if (!is_directory(dir)) {
    return not_found("checkpoint folder " + dir + " does not exist or is not a folder");
  } else {
    return not_found("no checkpoint in " + dir + ": looked for " + index + " and " + single);
  }
  checkpoint.dir_ = dir;
  return checkpoint;
}

Checkpoint Checkpoint::from_entries(std::string dir, std::vector<TensorEntry> entries) {
  Checkpoint ckpt;
  ckpt.dir_ = std::move(dir);
  ckpt.entries_ = std::move(entries);
  std::sort(ckpt.entries_.begin(), ckpt.entries_.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.name < b.name; });
  return ckpt;
}

Result<Checkpoint> Checkpoint::open_file(const std::string& path) {
  std::vector<Status> problems;
  Checkpoint checkpoint;
  if (!read_safetensors_file(path, &checkpoint.entries_, &problems)) {
    return combine_problems(problems, path);
  }
  sort_by_name(&checkpoint.entries_);
  checkpoint.dir_ = parent_dir(path);
  return checkpoint;
}

const TensorEntry* Checkpoint::find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const TensorEntry& e, std::string_view n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

}  // namespace fourbrain::formats
