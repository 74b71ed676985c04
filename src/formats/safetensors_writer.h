// Writing .safetensors files, e.g. a quantized checkpoint. The caller declares every tensor
// (name, dtype, shape, and where its bytes come from), then write() emits the header and
// streams the data, one tensor at a time, so a quantizer can produce each tensor only when
// it is written instead of holding the whole model in memory.
//
// Layout follows the reference implementation (huggingface/safetensors): tensors are laid
// out by element size, largest first, then by name, and the header is padded with spaces to
// a multiple of 8 bytes, so with an aligned file start every tensor is aligned to its
// element size. Only the dtypes Checkpoint loads can be written (NVFP4 has no safetensors
// dtype: store packed values as U8).
//
// Ownership: bytes passed to add() are borrowed until write() returns. Failure: add() rejects
// bad declarations (duplicate name, size that does not match the shape); write() writes to
// "<path>.tmp" and renames it into place, so a failed write leaves no partial file at `path`.
// Not thread-safe; one writer per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/tensor.h"

namespace fourbrain::formats {

class SafetensorsWriter {
 public:
  // Fills `out` (exactly the tensor's byte size) when write() reaches the tensor.
  using Producer = std::function<Status(std::span<uint8_t> out)>;

  // A tensor whose bytes exist now; `bytes` must stay valid until write() returns.
  Status add(std::string name, DType dtype, Shape shape, std::span<const uint8_t> bytes);
  // A tensor whose bytes `produce` makes during write().
  Status add_deferred(std::string name, DType dtype, Shape shape, Producer produce);
  // The "__metadata__" string map (e.g. {"format": "pt"}); omitted from the file if empty.
  void set_metadata(std::map<std::string, std::string> metadata) {
    metadata_ = std::move(metadata);
  }

  // Writes every declared tensor; a producer's error is returned naming its tensor.
  Status write(const std::string& path);

 private:
  struct Pending {
    std::string name;
    DType dtype;
    Shape shape;
    size_t nbytes;
    std::span<const uint8_t> bytes;  // when produce is empty
    Producer produce;
  };

  Status declare(std::string name, DType dtype, Shape shape, Pending* out);
  std::string header() const;

  std::vector<Pending> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace fourbrain::formats
