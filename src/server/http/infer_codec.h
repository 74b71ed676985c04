// The KServe v2 HTTP body of an inference request and response, JSON with or without
// the binary tensor data extension (../shared/reference/triton.md §1.5-1.6).
//
// decode_infer_request turns a body into api tensors: JSON `data` is converted to the
// raw little-endian layout of its datatype (BYTES length-prefixed); binary inputs are
// views into the body. Every malformed body is an InvalidArgument that says what is
// wrong; nothing reads outside the body. encode_infer_response writes outputs as JSON
// `data` or as binary, as the request asked. Plain functions, thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/types.h"
#include "base/status.h"

namespace fourbrain::server::http {

struct DecodedInfer {
  api::InferRequest request;
  // How each output goes back: binary unless JSON was asked for.
  bool binary_output_default = false;         // "binary_data_output" request parameter
  std::map<std::string, bool> output_binary;  // per requested output "binary_data"
  std::string converted;  // JSON input data converted to raw bytes (inputs point into it)
};

// `body` must outlive the returned request's input views (they point into it, or into
// `converted`). `json_length` is the Inference-Header-Content-Length header, if sent.
Result<std::unique_ptr<DecodedInfer>> decode_infer_request(std::string_view body,
                                                           std::optional<size_t> json_length);

struct EncodedResponse {
  std::string body;
  std::optional<size_t> json_length;  // set when binary data follows the JSON header
};
EncodedResponse encode_infer_response(const api::InferResponse& response,
                                      const DecodedInfer& request);

}  // namespace fourbrain::server::http
