#include "quant/compressed_tensors.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "base/log.h"
#include "core/dtype.h"
#include "kernels/cpu/convert.h"
#include "quant/fp_formats.h"
#include "quant/weight_quantizers.h"

namespace fourbrain::quant {
namespace {

using formats::Checkpoint;
using formats::TensorEntry;

// The leaves compressed-tensors writes beside (or instead of) a quantized module's weight.
const std::set<std::string, std::less<>> kWeightLeaves = {
    "weight_packed", "weight_scale", "weight_global_scale", "weight_zero_point", "weight_shape"};
const std::set<std::string, std::less<>> kActivationLeaves = {
    "input_scale",  "input_zero_point",  "input_global_scale",
    "output_scale", "output_zero_point", "output_global_scale"};
const std::set<std::string, std::less<>> kKvCacheLeaves = {
    "k_scale", "v_scale", "q_scale", "k_zero_point", "v_zero_point", "q_zero_point"};

std::pair<std::string, std::string> split(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

bool is_float(DType d) { return d == DType::kBF16 || d == DType::kF16 || d == DType::kF32; }

std::vector<float> floats_of(const TensorEntry& e) {
  std::vector<float> out(static_cast<size_t>(e.tensor.numel()));
  kernels::cpu::convert_to_f32(e.tensor.raw_data(), e.dtype, e.tensor.numel(), out.data());
  return out;
}

std::string shape_of(const TensorEntry& e) { return e.shape.to_string(); }

const TensorEntry* need(const Checkpoint& ckpt, const std::string& name, const CtGroup& group,
                        std::vector<std::string>& problems) {
  const TensorEntry* e = ckpt.find(name);
  if (e == nullptr) {
    problems.push_back(name + " is missing (config group " + group.name + ", " + group.format +
                       ")");
  }
  return e;
}

// compressed-tensors NaiveQuantizationCompressor.decompress: x_q.to(scale.dtype) * scale.
// Empty codes: a problem was reported.
StoredLinear stored_fp8_module(const Checkpoint& ckpt, const std::string& module,
                               const CtGroup& group, std::vector<std::string>& problems) {
  const TensorEntry* w = need(ckpt, module + ".weight", group, problems);
  const TensorEntry* s = need(ckpt, module + ".weight_scale", group, problems);
  if (w == nullptr || s == nullptr) return {};
  if (w->dtype != DType::kFp8E4M3 || w->shape.rank() != 2) {
    problems.push_back(w->name + ": a float-quantized weight must be F8_E4M3 [N, K], not " +
                       std::string(dtype_name(w->dtype)) + " " + shape_of(*w));
    return {};
  }
  const int64_t rows = w->shape[0], cols = w->shape[1];
  const bool per_channel = group.weights->strategy == "channel";
  const bool channel_shape = (s->shape.rank() == 2 && s->shape[0] == rows && s->shape[1] == 1) ||
                             (s->shape.rank() == 1 && s->shape[0] == rows);
  if (!is_float(s->dtype) || (per_channel ? !channel_shape : s->shape.numel() != 1)) {
    // Built by appending: GCC 12 gives a false -Wrestrict for `"literal" + std::string(...)`.
    std::string want = "[1]";
    if (per_channel) want = Shape({rows, 1}).to_string();
    std::string message = s->name;
    message += ": want a bf16/f16/f32 " + want + " scale (strategy ";
    message += group.weights->strategy + ") for weight " + shape_of(*w) + ", not ";
    message += std::string(dtype_name(s->dtype)) + " " + shape_of(*s);
    problems.push_back(std::move(message));
    return {};
  }
  // e4m3 * scale in f32 (torch's opmath), then rounded to the scale's dtype.
  StoredLinear stored{.precision = QuantPrecision::kFp8, .rows = rows, .cols = cols,
                      .codes = *w, .row_scales = floats_of(*s), .result_dtype = s->dtype};
  if (!per_channel) stored.row_scales.assign(static_cast<size_t>(rows), stored.row_scales[0]);
  return stored;
}

// compressed-tensors NVFP4PackedCompressor.decompress: unpack_fp4_from_uint8 (low nibble
// first) to bf16, then _dequantize: scale = weight_scale.to(bf16) / global_scale (a [1] f32
// tensor, so f32), x * scale in f32, .to(bf16). Empty codes: a problem was reported.
StoredLinear stored_nvfp4_module(const Checkpoint& ckpt, const std::string& module,
                                 const CtGroup& group, std::vector<std::string>& problems) {
  const TensorEntry* p = need(ckpt, module + ".weight_packed", group, problems);
  const TensorEntry* s = need(ckpt, module + ".weight_scale", group, problems);
  const TensorEntry* g = need(ckpt, module + ".weight_global_scale", group, problems);
  if (p == nullptr || s == nullptr || g == nullptr) return {};
  if (p->dtype != DType::kU8 || p->shape.rank() != 2 || (p->shape[1] * 2) % kNvfp4Block != 0) {
    problems.push_back(p->name + ": want U8 [N, K/2] with K a multiple of 16, not " +
                       std::string(dtype_name(p->dtype)) + " " + shape_of(*p));
    return {};
  }
  const int64_t rows = p->shape[0], cols = p->shape[1] * 2, blocks = cols / kNvfp4Block;
  if (s->dtype != DType::kFp8E4M3 || s->shape.rank() != 2 || s->shape[0] != rows ||
      s->shape[1] != blocks) {
    problems.push_back(s->name + ": want F8_E4M3 [" + std::to_string(rows) + ", " +
                       std::to_string(blocks) + "] block scales, not " +
                       std::string(dtype_name(s->dtype)) + " " + shape_of(*s));
    return {};
  }
  const std::vector<float> global = is_float(g->dtype) ? floats_of(*g) : std::vector<float>();
  if (global.size() != 1 || !std::isfinite(global[0]) || global[0] <= 0.0f) {
    problems.push_back(g->name + ": want one positive finite f32 global scale, not " +
                       std::string(dtype_name(g->dtype)) + " " + shape_of(*g));
    return {};
  }
  return StoredLinear{.precision = QuantPrecision::kNvfp4,
                      .rows = rows,
                      .cols = cols,
                      .codes = *p,
                      .block_scales = *s,
                      .global_scale = global[0],
                      .global_divides = true};
}

bool fp8_format(const CtGroup& g) {
  return g.format == "float-quantized" ||
         (g.format == "naive-quantized" && g.weights->type == "float" && g.weights->num_bits == 8);
}

// Empty if `group` is one we load, else why not (reported once per group).
std::string unsupported_reason(const CtGroup& group) {
  const std::string at = "config group " + group.name + ": ";
  const CtArgs& w = *group.weights;
  if (!w.symmetric) return at + "asymmetric weights (zero points) are not supported";
  if (fp8_format(group)) {
    if (w.type != "float" || w.num_bits != 8) {
      return at + "format " + group.format + " with weights " + w.describe() +
             " is not supported (float8 is)";
    }
    if (w.strategy != "tensor" && w.strategy != "channel") {
      return at + "FP8 weight strategy \"" + w.strategy +
             "\" is not supported (tensor and channel are)";
    }
    return "";
  }
  if (group.format == "nvfp4-pack-quantized") {
    if (w.type != "float" || w.num_bits != 4 || w.group_size != kNvfp4Block) {
      return at + "nvfp4-pack-quantized with weights " + w.describe() +
             " is not supported (float4, group size 16 is)";
    }
    return "";
  }
  return at + "format \"" + group.format +
         "\" is not supported (float-quantized, naive-quantized FP8 and nvfp4-pack-quantized "
         "are)";
}

std::string summary(const CtConfig& config) {
  std::string out;
  for (const CtGroup& g : config.groups) {
    if (!out.empty()) out += "; ";
    out += g.name;
    out += " ";
    out += g.format;
    if (g.weights) out += " weights " + g.weights->describe();
    if (g.input_activations) out += ", inputs " + g.input_activations->describe();
  }
  return out;
}

}  // namespace

Result<QuantizedCheckpoint> keep_compressed_tensors(const Checkpoint& ckpt,
                                                    const CtConfig& config) {
  std::map<std::string, const CtGroup*> modules;  // quantized module -> its group
  std::vector<std::string> problems, unsupported_groups;
  for (const TensorEntry& e : ckpt.entries()) {
    const auto [module, leaf] = split(e.name);
    if (kWeightLeaves.count(leaf) || (leaf == "weight" && e.dtype == DType::kFp8E4M3)) {
      modules.emplace(module, nullptr);
    }
  }
  QuantizedCheckpoint out;
  std::set<const CtGroup*> checked;
  for (auto& [module, group] : modules) {
    group = config.group_for(module);
    if (group == nullptr || !group->weights) {
      problems.push_back(module +
                         " holds quantized weights, but no config group with weights "
                         "targets it (or it is ignored)");
      continue;
    }
    if (!checked.count(group)) {
      checked.insert(group);
      if (std::string why = unsupported_reason(*group); !why.empty()) {
        unsupported_groups.push_back(why);
      }
    }
    if (!unsupported_groups.empty()) continue;
    StoredLinear stored = fp8_format(*group) ? stored_fp8_module(ckpt, module, *group, problems)
                                             : stored_nvfp4_module(ckpt, module, *group, problems);
    if (stored.codes.tensor.defined()) out.stored.emplace(module + ".weight", std::move(stored));
  }
  if (!unsupported_groups.empty() && problems.empty()) {
    std::string message = ckpt.dir() + "/config.json: compressed-tensors: ";
    for (size_t i = 0; i < unsupported_groups.size(); ++i) {
      if (i > 0) message += "; ";
      message += unsupported_groups[i];
    }
    return unsupported(message);
  }
  problems.insert(problems.end(), unsupported_groups.begin(), unsupported_groups.end());
  if (!problems.empty()) {
    std::string message = "compressed-tensors checkpoint " + ckpt.dir() + ":";
    for (const std::string& p : problems) message += "\n  " + p;
    return invalid_argument(message);
  }
  std::vector<TensorEntry> entries;
  for (const TensorEntry& e : ckpt.entries()) {
    const auto [module, leaf] = split(e.name);
    const bool quantized = modules.count(module) > 0;
    const bool hide = (quantized && (leaf == "weight" || kWeightLeaves.count(leaf))) ||
                      (kActivationLeaves.count(leaf) && (quantized || config.group_for(module))) ||
                      (config.kv_cache && kKvCacheLeaves.count(leaf));
    if (!hide) entries.push_back(e);
  }
  // Each stored weight as its logical tensor, the data in `stored`.
  for (const auto& [name, stored] : out.stored) {
    TensorEntry placeholder = stored.codes;
    placeholder.name = name;
    placeholder.dtype = stored.result_dtype;
    placeholder.shape = Shape({stored.rows, stored.cols});
    placeholder.tensor = Tensor();
    placeholder.mapping = nullptr;
    entries.push_back(std::move(placeholder));
  }
  const std::string kv = config.kv_cache ? config.kv_cache->describe() + " (ignored)" : "none";
  log_event(LogLevel::kInfo, "compressed_tensors_checkpoint",
            {{"dir", ckpt.dir()},
             {"quantized_modules", std::to_string(modules.size())},
             {"groups", summary(config)},
             {"kv_cache", kv},
             {"note",
              "static input scales are ignored: activations are quantized per token or not "
              "at all"}});
  out.checkpoint = Checkpoint::from_entries(ckpt.dir(), std::move(entries));
  return out;
}

}  // namespace fourbrain::quant
