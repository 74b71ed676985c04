// Safetensors files and HuggingFace checkpoints (single file or sharded with
// model.safetensors.index.json), memory-mapped: tensors are views into the mapping, never
// copied whole into RAM.
//
// Opening validates every header completely: JSON well-formed, known dtypes, shapes
// whose byte size matches the offsets, offsets inside the file and non-overlapping, the
// index naming shards that exist. Errors name the file and the tensor. Checkpoint and
// its tensors are immutable and thread-safe; a borrowed Tensor keeps its mapping alive.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "core/tensor.h"

namespace fourbrain::formats {

struct TensorEntry {
  std::string name;
  DType dtype;
  Shape shape;
  std::string file;  // the shard it lives in (path)
  // Borrowed view of the bytes, valid as long as the Checkpoint (or the Tensor) lives.
  Tensor tensor;
};

class Checkpoint {
 public:
  // `dir` holds model.safetensors, or model.safetensors.index.json and its shards.
  static Result<Checkpoint> open(const std::string& dir);
  // One .safetensors file.
  static Result<Checkpoint> open_file(const std::string& path);

  const std::vector<TensorEntry>& entries() const { return entries_; }
  // nullptr if absent.
  const TensorEntry* find(std::string_view name) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<TensorEntry> entries_;  // sorted by name
};

}  // namespace fourbrain::formats
