// Reading and validating one .safetensors file; the building block of Checkpoint (see
// safetensors.h), and the dtype-name table that the writer shares.
//
// A file is 8 bytes of little-endian header length N, N bytes of JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}},
// then the data region; offsets count from the start of the data region.
//
// read_safetensors_file() checks the whole header and appends every problem it finds to
// `problems` (each a Status whose message starts with the path and names the tensor), so a
// caller can report a broken checkpoint in one message. Entries are appended only when the
// file has no problem at all. Stateless and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/dtype.h"
#include "formats/safetensors.h"

namespace fourbrain::formats {

// The DType for a safetensors dtype string: a value for the ones we load, Unsupported for
// those the format knows but we do not (F64, BOOL, I8, ...), InvalidArgument otherwise.
Result<DType> dtype_from_safetensors(std::string_view name);
// The safetensors spelling of `dtype`; nullopt for kNvfp4, which has none (packed NVFP4
// weights are stored as U8 with separate F8_E4M3 scales).
std::optional<std::string_view> safetensors_dtype_name(DType dtype);

// Maps `path`, validates it and appends its tensors (unsorted) to `entries`, or appends its
// problems to `problems`. Returns false if the file had any problem.
bool read_safetensors_file(const std::string& path, std::vector<TensorEntry>* entries,
                           std::vector<Status>* problems);

// One Status for a list of problems: the single problem itself, or "<n> problems in
// <what>:" followed by one problem per line. The code is the problems' common code, or
// InvalidArgument when they differ. `problems` must not be empty.
Status combine_problems(const std::vector<Status>& problems, std::string_view what);

}  // namespace fourbrain::formats
