// Files: whole-file reads for small text files and read-only memory maps for large
// binary ones (checkpoints are mapped, never copied whole into RAM).
//
// MappedFile owns its mapping and unmaps on destruction; it is movable, not copyable,
// and safe to read from many threads. Failures name the path and the OS error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fourbrain {

Result<std::string> read_file(const std::string& path);
bool file_exists(const std::string& path);
bool is_directory(const std::string& path);
// "dir/name", without doubling the separator.
std::string join_path(std::string_view dir, std::string_view name);

class MappedFile;

// Lets the kernel drop the resident pages of [data, data + nbytes) inside a read-only file
// mapping (e.g. checkpoint weights already copied into their prepared form), so they stop
// counting in RSS; a later read faults them back in from the file. Only whole pages inside
// the range are dropped. Must only be called on MappedFile memory: on anonymous memory the
// kernel would zero the pages.
void drop_mapped_pages(const MappedFile& file, const void* data, size_t nbytes);

class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void reset();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace fourbrain
