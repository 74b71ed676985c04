// WeightBinder: binds a checkpoint's tensors to a model's weight slots by name, as every
// architecture's weight table does, and collects every problem (missing, unexpected,
// mis-shaped, wrong dtype) so that loading reports them all in one error.
//
// Borrows the checkpoint; one binder per load, single-threaded.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/tensor.h"
#include "formats/safetensors.h"

namespace fourbrain::models {

class WeightBinder {
 public:
  explicit WeightBinder(const formats::Checkpoint& checkpoint) : checkpoint_(checkpoint) {}

  // Binds `name` into `slot` (bf16, f16 or f32); a dim of -1 in `expected` accepts any size.
  void bind(const std::string& name, Shape expected, Tensor& slot, bool required = true);
  // Tensors we know and do not need: accepted, whatever their dtype.
  void ignore_if_present(const std::string& name);
  void ignore_prefix(const std::string& prefix);
  // InvalidArgument listing every problem, or OK.
  Status finish() const;

 private:
  const formats::Checkpoint& checkpoint_;
  std::set<std::string> used_;
  std::vector<std::string> missing_;
  std::vector<std::string> problems_;
};

}  // namespace fourbrain::models
