// JSON bodies of docling-serve's responses (reference/docling.md §5.3): ConvertDocumentResponse,
// the chunking response {chunks, documents, processing_time}, TaskStatusResponse, and the
// /health and /version bodies. json_content is the DoclingDocument itself (an object, not
// a string). Formats not produced here (html, doctags) are null. Pure functions.
#pragma once

#include <string>

#include "api/document_types.h"

namespace fourbrain::server::http {

std::string convert_response_json(const api::DocumentResponse& response);
std::string chunk_response_json(const api::DocumentResponse& response);
std::string task_status_json(const api::TaskStatus& status);
std::string docling_version_json();
// FastAPI's error body: {"detail": message}.
std::string detail_json(const std::string& message);

}  // namespace fourbrain::server::http
