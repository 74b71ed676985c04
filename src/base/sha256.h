// SHA-256 of files (OpenSSL's libcrypto), for checkpoint manifests. Thread-safe.
#pragma once

#include <string>

#include "base/status.h"

namespace fourbrain {

// Lower-case hex digest of the file's bytes; NotFound if it cannot be read.
Result<std::string> sha256_file(const std::string& path);
// Lower-case hex digest of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace fourbrain
