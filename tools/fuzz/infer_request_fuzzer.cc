// libFuzzer target for the KServe v2 HTTP inference request parser
// (server/http/infer_codec.h): decode_infer_request on arbitrary bodies, with and without
// an Inference-Header-Content-Length, then encode_infer_response on a response built from
// what was decoded. Built and run by tools/fuzz/run_infer_request_fuzzer.sh (ASan + UBSan).
//
// Input layout (so that mutations can reach every branch of the header handling):
//   byte 0, mode % 4:
//     0  no header; the body is bytes 1..
//     1  header = uint16 LE from bytes 1-2; the body is bytes 3..
//     2  header = body size - uint16 LE from bytes 1-2 (clamped at 0): the JSON covers the
//        body but the last N bytes, the common binary request; the body is bytes 3..
//     3  header = uint64 LE from bytes 1-8 (huge values, overflow); the body is bytes 9..
// The body stays at the end of libFuzzer's exactly sized buffer, so ASan catches any read
// past it. Beyond "no crash, no leak, no UB", the target checks what the header promises:
// every input view lies inside the body or inside the decoded request's own `converted`
// buffer; fixed-size inputs hold exactly shape-product x size bytes; BYTES inputs given as
// JSON split into exactly their element count; the encoded response is valid JSON whose
// binary sizes add up to the bytes after its header.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "api/bytes_tensor.h"
#include "server/http/infer_codec.h"

namespace {

using fourbrain::api::InferResponse;
using fourbrain::api::InputTensor;
using fourbrain::api::OutputTensor;
using fourbrain::server::http::decode_infer_request;
using fourbrain::server::http::DecodedInfer;
using fourbrain::server::http::encode_infer_response;
using fourbrain::server::http::EncodedResponse;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "infer_request_fuzzer: invariant broken: %s\n", what);
  std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  const auto p = reinterpret_cast<uintptr_t>(part.data());
  const auto w = reinterpret_cast<uintptr_t>(whole.data());
  return part.empty() || (p >= w && p + part.size() <= w + whole.size());
}

size_t fixed_size(const std::string& t) {
  if (t == "BOOL" || t == "UINT8" || t == "INT8") return 1;
  if (t == "UINT16" || t == "INT16" || t == "FP16" || t == "BF16") return 2;
  if (t == "UINT32" || t == "INT32" || t == "FP32") return 4;
  if (t == "UINT64" || t == "INT64" || t == "FP64") return 8;
  return 0;
}

// Reads every byte of every input view (ASan reports a view that runs out of its buffer)
// and checks the view's size against the declared shape and datatype.
void check_inputs(const DecodedInfer& decoded, std::string_view body) {
  uint8_t acc = 0;
  for (const InputTensor& in : decoded.request.inputs) {
    for (char c : in.data) acc = static_cast<uint8_t>(acc + static_cast<uint8_t>(c));
    const bool from_body = inside(in.data, body);
    const bool from_json = inside(in.data, decoded.converted);
    if (!from_body && !from_json) fail("an input view points outside the body and `converted`");
    size_t count = 1;
    for (int64_t d : in.shape) {
      if (d < 0) fail("a decoded shape has a negative dimension");
      count *= static_cast<size_t>(d);  // the decoder bounds the product by INT32_MAX
    }
    if (const size_t size = fixed_size(in.datatype); size != 0) {
      if (in.data.size() != count * size)
        fail("a fixed-size input's bytes disagree with its shape");
    } else if (in.datatype == "BYTES") {
      auto split = fourbrain::api::split_bytes_elements(in.data, count);
      if (split.is_ok()) {
        for (std::string_view e : split.value()) {
          if (!inside(e, in.data)) fail("a BYTES element lies outside its tensor");
        }
      } else if (!in.data.empty() && from_json) {
        // JSON strings are converted by the decoder itself: they must split exactly. (An
        // empty view is binary: JSON with a nonzero count converts to length prefixes.)
        fail("BYTES converted from JSON do not split into the shape's element count");
      }
    } else {
      fail("an input with an unknown datatype was accepted");
    }
  }
  static volatile uint8_t sink;  // keeps the reads from being optimised away
  sink = acc;
  (void)sink;
}

void check_response(const EncodedResponse& enc, size_t n_binary_bytes) {
  const size_t json_size = enc.json_length ? *enc.json_length : enc.body.size();
  if (json_size > enc.body.size()) fail("the response header length exceeds its body");
  if (enc.body.size() - json_size != n_binary_bytes)
    fail("the response binary tail has the wrong size");
  rapidjson::Document doc;
  doc.Parse(enc.body.data(), json_size);
  if (doc.HasParseError() || !doc.IsObject()) fail("the encoded response is not a JSON object");
  auto outputs = doc.FindMember("outputs");
  if (outputs == doc.MemberEnd() || !outputs->value.IsArray()) fail("the response has no outputs");
  size_t declared = 0;
  for (const auto& o : outputs->value.GetArray()) {
    auto p = o.FindMember("parameters");
    if (p == o.MemberEnd()) continue;
    auto b = p->value.FindMember("binary_data_size");
    if (b == p->value.MemberEnd() || !b->value.IsUint64()) fail("bad binary_data_size");
    declared += b->value.GetUint64();
  }
  if (declared != n_binary_bytes) fail("binary_data_size values do not add up");
}

// A response as a model would produce it: one FP32 output per requested output (or one
// named "embedding"), filled from the request's own input bytes so that NaN, Inf and
// denormals reach the JSON writer, plus a BYTES output the writer must leave empty.
void encode_and_check(const DecodedInfer& decoded) {
  InferResponse response;
  response.model_name = "qwen3-tiny-embedding";
  response.model_version = "1";
  response.id = decoded.request.id;
  std::string bytes;
  for (const InputTensor& in : decoded.request.inputs) bytes.append(in.data.substr(0, 64));
  auto add = [&](std::string name, std::string datatype) {
    OutputTensor t;
    t.name = std::move(name);
    t.datatype = std::move(datatype);
    t.data = bytes;
    t.data.resize(bytes.size() / 4 * 4);
    t.shape = {1, static_cast<int64_t>(t.data.size() / 4)};
    response.outputs.push_back(std::move(t));
  };
  if (decoded.request.requested_outputs.empty()) {
    add("embedding", "FP32");
  } else {
    for (const std::string& name : decoded.request.requested_outputs) add(name, "FP32");
  }
  add("strings", "BYTES");
  size_t n_binary = 0;
  for (const OutputTensor& t : response.outputs) {
    auto it = decoded.output_binary.find(t.name);
    const bool binary =
        it != decoded.output_binary.end() ? it->second : decoded.binary_output_default;
    if (binary) n_binary += t.data.size();
  }
  check_response(encode_infer_response(response, decoded), n_binary);
}

uint64_t read_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] % 4;
  size_t skip = 1;
  std::optional<size_t> json_length;
  if (mode == 1 || mode == 2) {
    if (size < 3) return 0;
    skip = 3;
    const size_t v = read_le(data + 1, 2);
    const size_t body_size = size - skip;
    json_length = mode == 1 ? v : (v > body_size ? 0 : body_size - v);
  } else if (mode == 3) {
    if (size < 9) return 0;
    skip = 9;
    json_length = static_cast<size_t>(read_le(data + 1, 8));
  }
  const std::string_view body(reinterpret_cast<const char*>(data) + skip, size - skip);
  auto decoded = decode_infer_request(body, json_length);
  if (!decoded.is_ok()) {
    if (decoded.status().message().empty()) fail("an error without a message");
    return 0;
  }
  const DecodedInfer& d = *decoded.value();
  check_inputs(d, body);
  encode_and_check(d);
  return 0;
}
