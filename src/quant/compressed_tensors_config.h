// The "quantization_config" that llm-compressor writes into config.json ("quant_method":
// "compressed-tensors"), parsed and checked once, and the library's rule for which config
// group quantizes a module:
//
//   config_groups.<group>.{targets, format, weights, input_activations}, ignore, format (one for
//   all groups, or "mixed-precision" with a format per group), kv_cache_scheme,
//   quantization_status, sparsity_config, transform_config.
//
// Matching follows compressed_tensors.utils.match / lifecycle.apply (0.20): a target is a module
// name, "re:<regex>" (Python re.match: anchored at the start only; we run it as an ECMAScript
// std::regex, which agrees on the patterns llm-compressor writes), or a class name. Of the
// targets that match, exact names win over regexes, regexes over class names, each kind in
// sorted order; a target listed by two groups belongs to the later group; a module that an
// `ignore` entry matches is not quantized. Class names are resolved from the checkpoint's
// names, which is all a checkpoint has: "Linear" is any module that is not an embedding
// (a last name component containing "embed"), "Embedding" one that is; other class names match
// nothing.
//
// Failure: parse_compressed_tensors_config says InvalidArgument for a malformed config (naming
// the field) and Unsupported for what we do not load (sparsity, transforms, status other than
// "compressed"); formats are checked per group when a module of that group is loaded, so a group
// that quantizes no tensor never fails. Values are immutable once parsed; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/json.h"

namespace fourbrain::quant {

// compressed_tensors.quantization.QuantizationArgs, the fields we read.
struct CtArgs {
  int num_bits = 8;
  std::string type = "int";  // "int" or "float"
  std::string strategy;      // "tensor", "channel", "group", "tensor_group", "block", "token"
  int64_t group_size = 0;    // 0: none
  bool symmetric = true;
  std::string dynamic = "false";  // "false" (static scales in the checkpoint), "true", "local"

  std::string describe() const;  // e.g. "float8 channel static"
};

struct CtGroup {
  std::string name;  // "group_0"
  std::vector<std::string> targets;
  std::string format;  // the group's own, else the config's
  std::optional<CtArgs> weights;
  std::optional<CtArgs> input_activations;
};

class CtConfig {
 public:
  std::string format;  // config-wide ("mixed-precision" when groups differ)
  std::vector<CtGroup> groups;
  std::vector<std::string> ignore;
  std::optional<CtArgs> kv_cache;  // kv_cache_scheme: k_scale / v_scale tensors are present

  // The group that quantizes `module`, or nullptr (not targeted, or ignored).
  const CtGroup* group_for(std::string_view module) const;

 private:
  friend Result<CtConfig> parse_compressed_tensors_config(const formats::JsonValue&,
                                                          const std::string&);
  struct Target {
    std::string text;
    size_t group = 0;                         // index into groups (so copies stay valid)
    std::shared_ptr<const std::regex> regex;  // for "re:" targets
  };
  std::vector<Target> targets_;  // sorted: exact names, then regexes, each alphabetically
  std::vector<Target> ignore_targets_;
};

// `qc` is config.json's "quantization_config"; `where` names the file in messages.
Result<CtConfig> parse_compressed_tensors_config(const formats::JsonValue& qc,
                                                 const std::string& where);

}  // namespace fourbrain::quant
