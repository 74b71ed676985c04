// docling-serve request bodies into api::DocumentRequest: the multipart form of
// /v1/convert/file and /v1/chunk/*/file (files parts plus option fields), and the JSON of
// /v1/convert/source and /v1/chunk/*/source ({options | convert_options, chunking_options,
// sources: [{kind: "file", base64_string, filename} | {kind: "http", url, headers}],
// target: {kind: "inbody" | "zip"}}); the form's target is the field target_type.
//
// Options that mean nothing here (image_export_mode, table_mode, pipeline, ...) are
// accepted and ignored, as a client of docling-serve sends them; wrong types and unknown
// values of the options that do mean something are InvalidArgument naming the field.
// Plain functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/document_types.h"
#include "base/status.h"
#include "server/http/multipart.h"

namespace fourbrain::server::http {

Result<api::DocumentRequest> document_request_from_form(const std::vector<MultipartPart>& parts,
                                                        api::ChunkerKind chunker);
Result<api::DocumentRequest> document_request_from_json(std::string_view body,
                                                        api::ChunkerKind chunker);

// Standard base64 (padding optional, whitespace ignored); InvalidArgument otherwise.
Result<std::string> base64_decode(std::string_view text);

}  // namespace fourbrain::server::http
