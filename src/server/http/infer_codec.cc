#include "server/http/infer_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "api/bytes_tensor.h"

namespace fourbrain::server::http {
namespace {

using rapidjson::Value;

Status bad(std::string message) { return invalid_argument(std::move(message)); }

Result<api::Parameters> parse_parameters(const Value& v, const std::string& where) {
  if (!v.IsObject()) return bad(where + " parameters must be a JSON object");
  api::Parameters out;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    const Value& p = it->value;
    if (p.IsBool()) {
      out[key] = p.GetBool();
    } else if (p.IsInt64()) {
      out[key] = p.GetInt64();
    } else if (p.IsNumber()) {
      out[key] = p.GetDouble();
    } else if (p.IsString()) {
      out[key] = std::string(p.GetString(), p.GetStringLength());
    } else {
      return bad(where + " parameter '" + key + "' must be a string, number or bool");
    }
  }
  return out;
}

Result<std::string> get_string(const Value& obj, const char* key, const std::string& where,
                               bool required) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) {
    if (required) return bad(where + " has no '" + key + "'");
    return std::string();
  }
  if (!it->value.IsString()) return bad(where + " '" + key + "' must be a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

size_t datatype_size(const std::string& t) {
  if (t == "BOOL" || t == "UINT8" || t == "INT8") return 1;
  if (t == "UINT16" || t == "INT16" || t == "FP16" || t == "BF16") return 2;
  if (t == "UINT32" || t == "INT32" || t == "FP32") return 4;
  if (t == "UINT64" || t == "INT64" || t == "FP64") return 8;
  return 0;  // BYTES (variable) or unknown
}

template <typename T>
void put(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

// Appends one JSON element as `datatype` to `out`.
Status convert_element(const Value& e, const std::string& type, std::string& out) {
  auto integer = [&](int64_t lo, uint64_t hi) -> Result<uint64_t> {
    if (e.IsInt64() && e.GetInt64() >= lo && (e.GetInt64() < 0 || uint64_t(e.GetInt64()) <= hi)) {
      return static_cast<uint64_t>(e.GetInt64());
    }
    if (e.IsUint64() && e.GetUint64() <= hi) return e.GetUint64();
    return bad("a " + type + " element is not an integer in range");
  };
  if (type == "BYTES") {
    if (!e.IsString()) return bad("a BYTES element must be a JSON string");
    api::append_bytes_element(out, std::string_view(e.GetString(), e.GetStringLength()));
  } else if (type == "BOOL") {
    if (!e.IsBool()) return bad("a BOOL element must be true or false");
    out.push_back(e.GetBool() ? 1 : 0);
  } else if (type == "FP32" || type == "FP64") {
    if (!e.IsNumber()) return bad("a " + type + " element must be a number");
    if (type == "FP32")
      put(out, static_cast<float>(e.GetDouble()));
    else
      put(out, e.GetDouble());
  } else if (type == "INT8" || type == "INT16" || type == "INT32" || type == "INT64") {
    const int bits = static_cast<int>(datatype_size(type) * 8);
    const int64_t lo =
        bits == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (bits - 1));
    const uint64_t hi = bits == 64 ? uint64_t(std::numeric_limits<int64_t>::max())
                                   : (uint64_t{1} << (bits - 1)) - 1;
    FB_ASSIGN_OR_RETURN(uint64_t v, integer(lo, hi));
    out.append(reinterpret_cast<const char*>(&v), datatype_size(type));  // little-endian
  } else if (type == "UINT8" || type == "UINT16" || type == "UINT32" || type == "UINT64") {
    const int bits = static_cast<int>(datatype_size(type) * 8);
    const uint64_t hi =
        bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
    FB_ASSIGN_OR_RETURN(uint64_t v, integer(0, hi));
    out.append(reinterpret_cast<const char*>(&v), datatype_size(type));
  } else {
    return bad("unknown datatype '" + type + "'");
  }
  return Status::ok();
}

// Flattens (possibly nested) JSON `data` row-major into raw bytes; returns the count.
Result<int64_t> convert_data(const Value& data, const std::string& type, std::string& out,
                             int depth) {
  if (depth > 32) return bad("input data is nested too deeply");
  if (!data.IsArray()) {
    FB_RETURN_IF_ERROR(convert_element(data, type, out));
    return int64_t{1};
  }
  int64_t n = 0;
  for (const Value& e : data.GetArray()) {
    FB_ASSIGN_OR_RETURN(int64_t k, convert_data(e, type, out, depth + 1));
    n += k;
  }
  return n;
}

Result<int64_t> element_count(const std::vector<int64_t>& shape, const std::string& name) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return bad("input '" + name + "' has a negative dimension in its shape");
    if (d > 0 && n > std::numeric_limits<int32_t>::max() / d) {
      return bad("input '" + name + "' has too many elements");
    }
    n *= d;
  }
  return n;
}

struct PendingBinary {
  size_t input_index;
  size_t size;
};

Status parse_input(const Value& v, size_t index, DecodedInfer& out,
                   std::vector<PendingBinary>& binary,
                   std::vector<std::pair<size_t, size_t>>& converted_spans) {
  const std::string where = "input " + std::to_string(index);
  if (!v.IsObject()) return bad(where + " must be a JSON object");
  api::InputTensor in;
  FB_ASSIGN_OR_RETURN(in.name, get_string(v, "name", where, true));
  const std::string named = "input '" + in.name + "'";
  FB_ASSIGN_OR_RETURN(in.datatype, get_string(v, "datatype", named, true));
  auto shape = v.FindMember("shape");
  if (shape == v.MemberEnd() || !shape->value.IsArray()) {
    return bad(named + " needs a 'shape' array");
  }
  for (const Value& d : shape->value.GetArray()) {
    if (!d.IsInt64()) return bad(named + " shape must hold integers");
    in.shape.push_back(d.GetInt64());
  }
  FB_ASSIGN_OR_RETURN(int64_t count, element_count(in.shape, in.name));
  std::optional<size_t> binary_size;
  if (auto p = v.FindMember("parameters"); p != v.MemberEnd()) {
    FB_ASSIGN_OR_RETURN(api::Parameters params, parse_parameters(p->value, named));
    if (auto b = params.find("binary_data_size"); b != params.end()) {
      const int64_t* size = std::get_if<int64_t>(&b->second);
      if (!size || *size < 0)
        return bad(named + " binary_data_size must be a non-negative integer");
      binary_size = static_cast<size_t>(*size);
    }
    if (params.count("shared_memory_region")) {
      return unsupported(named + ": shared memory is not supported");
    }
  }
  const size_t fixed = datatype_size(in.datatype);
  if (in.datatype != "BYTES" && fixed == 0) {
    return bad(named + " has unknown datatype '" + in.datatype + "'");
  }
  auto data = v.FindMember("data");
  if (binary_size) {
    if (data != v.MemberEnd()) return bad(named + " has both 'data' and binary_data_size");
    if (fixed != 0 && *binary_size != fixed * static_cast<size_t>(count)) {
      return bad("input byte size mismatch for " + named + ": expected " +
                 std::to_string(fixed * count) + " bytes, got " + std::to_string(*binary_size));
    }
    binary.push_back({out.request.inputs.size(), *binary_size});
  } else {
    if (data == v.MemberEnd()) return bad(named + " has neither 'data' nor binary_data_size");
    if (in.datatype == "FP16" || in.datatype == "BF16") {
      return bad("receiving " + in.datatype +
                 " data via JSON is not supported. Please use the "
                 "binary data format for " +
                 named);
    }
    const size_t begin = out.converted.size();
    FB_ASSIGN_OR_RETURN(int64_t n, convert_data(data->value, in.datatype, out.converted, 0));
    if (n != count) {
      return bad(named + " has " + std::to_string(n) + " data elements but its shape " + "holds " +
                 std::to_string(count));
    }
    converted_spans.emplace_back(out.request.inputs.size(), begin);
  }
  out.request.inputs.push_back(std::move(in));
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<DecodedInfer>> decode_infer_request(std::string_view body,
                                                           std::optional<size_t> json_length) {
  if (json_length && *json_length == 0) {
    return unsupported(
        "raw binary requests (Inference-Header-Content-Length: 0) are not "
        "supported; send a JSON header");
  }
  if (json_length && *json_length > body.size()) {
    return bad("Inference-Header-Content-Length " + std::to_string(*json_length) +
               " exceeds the body of " + std::to_string(body.size()) + " bytes");
  }
  const std::string_view json = json_length ? body.substr(0, *json_length) : body;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(json.data(),
                                                                                json.size());
  if (doc.HasParseError()) {
    return bad(std::string("failed to parse the request JSON at byte ") +
               std::to_string(doc.GetErrorOffset()) + ": " +
               rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return bad("the request JSON must be an object");
  auto out = std::make_unique<DecodedInfer>();
  api::InferRequest& req = out->request;
  if (auto id = doc.FindMember("id"); id != doc.MemberEnd()) {
    if (!id->value.IsString()) return bad("request 'id' must be a string");
    req.id.assign(id->value.GetString(), id->value.GetStringLength());
  }
  if (auto p = doc.FindMember("parameters"); p != doc.MemberEnd()) {
    FB_ASSIGN_OR_RETURN(req.parameters, parse_parameters(p->value, "request"));
    if (auto b = req.parameters.find("binary_data_output"); b != req.parameters.end()) {
      const bool* v = std::get_if<bool>(&b->second);
      if (!v) return bad("parameter 'binary_data_output' must be a bool");
      out->binary_output_default = *v;
    }
  }
  auto inputs = doc.FindMember("inputs");
  if (inputs == doc.MemberEnd() || !inputs->value.IsArray()) {
    return bad("the request needs an 'inputs' array");
  }
  std::vector<PendingBinary> binary;
  std::vector<std::pair<size_t, size_t>> converted_spans;  // (input index, offset)
  size_t index = 0;
  for (const Value& v : inputs->value.GetArray()) {
    FB_RETURN_IF_ERROR(parse_input(v, index++, *out, binary, converted_spans));
  }
  // JSON data was appended to `converted`; point each input at its slice now that the
  // string no longer moves.
  for (size_t i = 0; i < converted_spans.size(); ++i) {
    const size_t begin = converted_spans[i].second;
    const size_t end =
        i + 1 < converted_spans.size() ? converted_spans[i + 1].second : out->converted.size();
    req.inputs[converted_spans[i].first].data =
        std::string_view(out->converted).substr(begin, end - begin);
  }
  size_t pos = json.size();
  for (const PendingBinary& b : binary) {
    if (b.size > body.size() - pos) {
      return bad("the binary data of input '" + req.inputs[b.input_index].name +
                 "' is truncated: " + std::to_string(b.size) + " bytes declared, " +
                 std::to_string(body.size() - pos) + " left in the body");
    }
    req.inputs[b.input_index].data = body.substr(pos, b.size);
    pos += b.size;
  }
  if (pos != body.size()) {
    return bad(std::to_string(body.size() - pos) + " unexpected bytes after the request " +
               (binary.empty() ? std::string("JSON (binary data without binary_data_size?)")
                               : std::string("binary data")));
  }
  if (auto outputs = doc.FindMember("outputs"); outputs != doc.MemberEnd()) {
    if (!outputs->value.IsArray()) return bad("'outputs' must be an array");
    for (const Value& o : outputs->value.GetArray()) {
      if (!o.IsObject()) return bad("each requested output must be a JSON object");
      FB_ASSIGN_OR_RETURN(std::string name, get_string(o, "name", "requested output", true));
      bool as_binary = out->binary_output_default;
      if (auto p = o.FindMember("parameters"); p != o.MemberEnd()) {
        FB_ASSIGN_OR_RETURN(api::Parameters params,
                            parse_parameters(p->value, "output '" + name + "'"));
        if (auto b = params.find("binary_data"); b != params.end()) {
          const bool* v = std::get_if<bool>(&b->second);
          if (!v) return bad("output '" + name + "' binary_data must be a bool");
          as_binary = *v;
        }
        if (params.count("classification")) {
          return unsupported("output '" + name +
                             "': the classification extension is not supported");
        }
      }
      out->output_binary[name] = as_binary;
      req.requested_outputs.push_back(std::move(name));
    }
  }
  return out;
}

namespace {

void write_data(rapidjson::Writer<rapidjson::StringBuffer>& w, const api::OutputTensor& t) {
  if (t.datatype != "FP32") {  // the only output type our models produce
    w.StartArray();
    w.EndArray();
    return;
  }
  std::string raw = "[";
  const size_t n = t.data.size() / sizeof(float);
  char buf[32];
  for (size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, t.data.data() + i * sizeof(float), sizeof(float));
    if (i) raw += ',';
    if (!std::isfinite(v)) {
      raw += "null";  // JSON has no NaN/Inf
      continue;
    }
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip
    raw.append(buf, end);
  }
  raw += ']';
  w.RawValue(raw.data(), raw.size(), rapidjson::kArrayType);
}

}  // namespace

EncodedResponse encode_infer_response(const api::InferResponse& response,
                                      const DecodedInfer& request) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("model_name");
  w.String(response.model_name.data(), response.model_name.size());
  w.Key("model_version");
  w.String(response.model_version.data(), response.model_version.size());
  if (!response.id.empty()) {
    w.Key("id");
    w.String(response.id.data(), response.id.size());
  }
  w.Key("outputs");
  w.StartArray();
  std::vector<const api::OutputTensor*> binary;
  for (const api::OutputTensor& t : response.outputs) {
    auto it = request.output_binary.find(t.name);
    const bool as_binary =
        it != request.output_binary.end() ? it->second : request.binary_output_default;
    w.StartObject();
    w.Key("name");
    w.String(t.name.data(), t.name.size());
    w.Key("datatype");
    w.String(t.datatype.data(), t.datatype.size());
    w.Key("shape");
    w.StartArray();
    for (int64_t d : t.shape) w.Uint64(static_cast<uint64_t>(d));
    w.EndArray();
    if (as_binary) {
      w.Key("parameters");
      w.StartObject();
      w.Key("binary_data_size");
      w.Uint64(t.data.size());
      w.EndObject();
      binary.push_back(&t);
    } else {
      w.Key("data");
      write_data(w, t);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  EncodedResponse out;
  out.body.assign(buffer.GetString(), buffer.GetSize());
  if (!binary.empty()) {
    out.json_length = out.body.size();
    for (const api::OutputTensor* t : binary) out.body += t->data;
  }
  return out;
}

}  // namespace fourbrain::server::http
