#include "quant/compressed_tensors_config.h"

#include <algorithm>

namespace fourbrain::quant {
namespace {

using formats::JsonValue;

bool is_regex(const std::string& target) { return target.starts_with("re:"); }

// The checkpoint's stand-in for compressed-tensors' class match (see the header).
bool matches_class(std::string_view module, const std::string& cls) {
  const size_t dot = module.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? module : module.substr(dot + 1);
  const bool embedding = last.find("embed") != std::string_view::npos;
  return (cls == "Linear" && !embedding) || (cls == "Embedding" && embedding);
}

bool matches_name(std::string_view module, const std::string& target, const std::regex* re) {
  if (re == nullptr) return module == target;
  return std::regex_search(module.begin(), module.end(), *re,
                           std::regex_constants::match_continuous);  // Python's re.match
}

Result<std::string> string_field(const JsonValue& obj, std::string_view key,
                                 const std::string& where, const std::string& fallback) {
  auto v = obj.find(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) return invalid_argument(where + "." + std::string(key) + " is not a string");
  return std::string(v->as_string());
}

Result<std::vector<std::string>> string_list(const JsonValue& obj, std::string_view key,
                                             const std::string& where) {
  std::vector<std::string> out;
  auto v = obj.find(key);
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return invalid_argument(where + "." + std::string(key) + " is not a list");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!v->at(i).is_string()) {
      return invalid_argument(where + "." + std::string(key) + "[" + std::to_string(i) +
                              "] is not a string");
    }
    out.emplace_back(v->at(i).as_string());
  }
  return out;
}

Result<std::optional<CtArgs>> parse_args(const JsonValue& obj, std::string_view key,
                                         const std::string& where_parent) {
  auto v = obj.find(key);
  if (!v || v->is_null()) return std::optional<CtArgs>();
  const std::string where = where_parent + "." + std::string(key);
  if (!v->is_object()) return invalid_argument(where + " is not an object");
  CtArgs a;
  if (auto bits = v->find("num_bits"); bits && !bits->is_null()) {
    if (!bits->is_integer()) return invalid_argument(where + ".num_bits is not an integer");
    a.num_bits = static_cast<int>(bits->as_int());
  }
  FB_ASSIGN_OR_RETURN(a.type, string_field(*v, "type", where, "int"));
  FB_ASSIGN_OR_RETURN(a.strategy, string_field(*v, "strategy", where, ""));
  if (auto gs = v->find("group_size"); gs && !gs->is_null()) {
    if (!gs->is_integer() || gs->as_int() <= 0) {
      return invalid_argument(where + ".group_size is not a positive integer");
    }
    a.group_size = gs->as_int();
  }
  if (auto sym = v->find("symmetric"); sym && sym->is_bool()) a.symmetric = sym->as_bool();
  if (auto dyn = v->find("dynamic"); dyn && !dyn->is_null()) {
    if (dyn->is_bool()) {
      a.dynamic = dyn->as_bool() ? "true" : "false";
    } else if (dyn->is_string()) {
      a.dynamic = std::string(dyn->as_string());
    } else {
      return invalid_argument(where + ".dynamic is neither a bool nor a string");
    }
  }
  return std::optional<CtArgs>(a);
}

bool non_empty(const JsonValue& qc, std::string_view key) {
  auto v = qc.find(key);
  return v && !v->is_null() && (v->is_object() || v->is_array()) && v->size() > 0;
}

}  // namespace

std::string CtArgs::describe() const {
  std::string out = type + std::to_string(num_bits) + " " + strategy;
  if (group_size > 0) out += " " + std::to_string(group_size);
  out += dynamic == "false" ? " static" : dynamic == "local" ? " local" : " dynamic";
  return out;
}

const CtGroup* CtConfig::group_for(std::string_view module) const {
  for (const Target& t : ignore_targets_) {
    if (matches_name(module, t.text, t.regex.get()) || matches_class(module, t.text)) {
      return nullptr;
    }
  }
  for (const Target& t : targets_) {
    if (matches_name(module, t.text, t.regex.get())) return &groups[t.group];
  }
  for (const Target& t : targets_) {
    if (matches_class(module, t.text)) return &groups[t.group];
  }
  return nullptr;
}

Result<CtConfig> parse_compressed_tensors_config(const JsonValue& qc, const std::string& where) {
  const std::string at = where + ": quantization_config";
  if (non_empty(qc, "sparsity_config")) {
    return unsupported(at +
                       ".sparsity_config: sparse compressed-tensors checkpoints are not "
                       "supported");
  }
  if (non_empty(qc, "transform_config")) {
    return unsupported(at +
                       ".transform_config: checkpoints with online transforms (rotations) "
                       "are not supported");
  }
  FB_ASSIGN_OR_RETURN(std::string status,
                      string_field(qc, "quantization_status", at, "compressed"));
  if (status != "compressed") {
    return unsupported(at + ".quantization_status \"" + status +
                       "\" is not supported (compressed is)");
  }
  CtConfig config;
  FB_ASSIGN_OR_RETURN(config.format, string_field(qc, "format", at, ""));
  FB_ASSIGN_OR_RETURN(config.ignore, string_list(qc, "ignore", at));
  FB_ASSIGN_OR_RETURN(config.kv_cache, parse_args(qc, "kv_cache_scheme", at));
  auto groups = qc.find("config_groups");
  if (!groups || !groups->is_object() || groups->size() == 0) {
    return invalid_argument(at + ".config_groups is missing or empty");
  }
  Status problem = Status::ok();
  groups->for_each_member([&](std::string_view name, const JsonValue& g) {
    if (!problem.is_ok()) return;
    const std::string gat = at + ".config_groups." + std::string(name);
    auto parsed = [&]() -> Result<CtGroup> {
      if (!g.is_object()) return invalid_argument(gat + " is not an object");
      CtGroup group;
      group.name = std::string(name);
      FB_ASSIGN_OR_RETURN(group.targets, string_list(g, "targets", gat));
      FB_ASSIGN_OR_RETURN(group.format, string_field(g, "format", gat, config.format));
      if (group.format.empty() || group.format == "mixed-precision") {
        return invalid_argument(gat + " has no format of its own (config format \"" +
                                config.format + "\")");
      }
      FB_ASSIGN_OR_RETURN(group.weights, parse_args(g, "weights", gat));
      FB_ASSIGN_OR_RETURN(group.input_activations, parse_args(g, "input_activations", gat));
      return group;
    }();
    if (parsed.is_ok()) {
      config.groups.push_back(std::move(parsed).value());
    } else {
      problem = parsed.status();
    }
  });
  FB_RETURN_IF_ERROR(problem);
  auto compile = [&](const std::string& text, size_t group, const std::string& field,
                     std::vector<CtConfig::Target>& out) -> Status {
    CtConfig::Target t{text, group, nullptr};
    if (is_regex(text)) {
      try {
        t.regex = std::make_shared<const std::regex>(text.substr(3), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return invalid_argument(at + "." + field + ": bad regex \"" + text + "\": " + e.what());
      }
    }
    // A target listed by two groups belongs to the later one (compressed-tensors' dict).
    std::erase_if(out, [&](const CtConfig::Target& o) { return o.text == text; });
    out.push_back(std::move(t));
    return Status::ok();
  };
  for (size_t i = 0; i < config.groups.size(); ++i) {
    for (const std::string& target : config.groups[i].targets) {
      FB_RETURN_IF_ERROR(compile(target, i, "config_groups." + config.groups[i].name + ".targets",
                                 config.targets_));
    }
  }
  for (const std::string& target : config.ignore) {
    FB_RETURN_IF_ERROR(compile(target, 0, "ignore", config.ignore_targets_));
  }
  std::stable_sort(config.targets_.begin(), config.targets_.end(),
                   [](const CtConfig::Target& a, const CtConfig::Target& b) {
                     const bool ra = is_regex(a.text), rb = is_regex(b.text);
                     return ra != rb ? rb : a.text < b.text;
                   });
  return config;
}

}  // namespace fourbrain::quant
