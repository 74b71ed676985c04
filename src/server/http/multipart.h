// multipart/form-data bodies (RFC 7578 over RFC 2046's multipart syntax), as browsers,
// curl -F and Python's requests send them: docling-serve's /v1/convert/file takes its files
// and options this way.
//
// The boundary comes from the Content-Type header (quoted or not). Delimiter lines end in
// CRLF (a bare LF is accepted too); the preamble and epilogue are ignored; each part needs
// a Content-Disposition with a name. Parts are views into the body, which must outlive
// them. Anything malformed (no boundary, no closing delimiter, a part without headers or
// name) is InvalidArgument with the reason. Plain functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fourbrain::server::http {

struct MultipartPart {
  std::string name;          // the form field's name
  std::string filename;      // "" unless the part is a file
  std::string content_type;  // of the part; "" if not given
  std::string_view data;     // into the body
};

// The boundary parameter of a multipart/form-data Content-Type value.
Result<std::string> multipart_boundary(std::string_view content_type);

Result<std::vector<MultipartPart>> parse_multipart(std::string_view content_type,
                                                   std::string_view body);

}  // namespace fourbrain::server::http
