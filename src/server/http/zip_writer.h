// ZipWriter: a zip archive built in memory, as docling-serve answers a conversion of several
// documents (or one with target kind "zip"): one entry per document and format. Entries are
// deflated with zlib (raw deflate, method 8), or stored (method 0) when that is not smaller.
// No zip64: an archive, or an entry, past 4 GiB or 65535 entries is an InvalidArgument.
//
// Single-threaded value; finish() once, after the last add().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fourbrain::server::http {

class ZipWriter {
 public:
  // `name` is the entry's path inside the archive ("report.md"); UTF-8.
  Status add(std::string_view name, std::string_view data);
  // The whole archive: the entries, the central directory and its end record.
  Result<std::string> finish();
  size_t entries() const { return n_entries_; }

 private:
  std::string body_;     // local headers and data
  std::string central_;  // central directory entries
  size_t n_entries_ = 0;
  bool finished_ = false;
};

}  // namespace fourbrain::server::http
