// The zip answer of docling-serve's conversions (reference/docling.md §5.3: several inputs,
// or target kind "zip"): converted_docs.zip with one entry per document and format,
// `<stem>.md`, `<stem>.json` (the DoclingDocument), `<stem>.txt`, as docling-serve's
// exporter names them. Documents that failed are left out, as docling-serve does; two
// inputs with one stem get `<stem>_2.md`, ... instead of overwriting each other.
//
// Pure function; InvalidArgument if the archive would need zip64, Internal when no
// document produced any file (docling-serve's 500 "No documents were exported.").
#pragma once

#include <string>

#include "api/document_types.h"
#include "base/status.h"

namespace fourbrain::server::http {

inline constexpr const char* kZipFilename = "converted_docs.zip";

// Whether a conversion's response is a zip rather than JSON.
bool answers_with_zip(const api::DocumentResponse& response);
Result<std::string> convert_response_zip(const api::DocumentResponse& response);

}  // namespace fourbrain::server::http
