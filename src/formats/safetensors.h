// Safetensors files and HuggingFace checkpoints (single file or sharded with
// model.safetensors.index.json), memory-mapped: tensors are views into the mapping, never
// copied whole into RAM.
//
// Opening validates every header completely: JSON well-formed, known dtypes, shapes
// whose byte size matches the offsets, offsets inside the file and non-overlapping, the
// index naming shards that exist and agreeing with them. Every problem found is reported
// in one Status (one line each, naming the file and the tensor); nothing is returned from a
// checkpoint with any problem. Codes: NotFound for a missing file or shard, Unsupported for
// a dtype the format knows but we do not load (F64, BOOL, ...), InvalidArgument otherwise
// (and when problems of different kinds are mixed).
//
// Ownership and threads: Checkpoint and its tensors are immutable and thread-safe; each
// borrowed Tensor shares ownership of its file's mapping, so it stays valid after the
// Checkpoint is gone. The mapping is read-only: writing through a tensor's data faults.
//
// Alignment is not promised. The reference writer pads the header so the data region starts
// 8-byte aligned in the file and lays tensors out largest element first, but other writers need
// not, and offsets may be any byte; so a tensor's data pointer may be misaligned for its dtype.
// Kernels must copy or convert (memcpy, or a byte-wise load per element) rather than
// dereference it as `const float*` and the like.
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
  std::shared_ptr<const MappedFile> mapping;  // the shard's mapping `tensor` points into (or null)

  // Drops the tensor's resident pages (see drop_mapped_pages) once its bytes were copied.
  void drop_pages() const {
    if (mapping) drop_mapped_pages(*mapping, tensor.raw_data(), tensor.nbytes());
  }
};

class Checkpoint {
 public:
  // `dir` holds model.safetensors, or model.safetensors.index.json and its shards.
  static Result<Checkpoint> open(const std::string& dir);
  // One .safetensors file.
  static Result<Checkpoint> open_file(const std::string& path);
  // A checkpoint made of given entries (e.g. dequantized copies of another's tensors).
  static Checkpoint from_entries(std::string dir, std::vector<TensorEntry> entries);

  const std::vector<TensorEntry>& entries() const { return entries_; }
  // nullptr if absent.
  const TensorEntry* find(std::string_view name) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<TensorEntry> entries_;  // sorted by name
};

}  // namespace fourbrain::formats
