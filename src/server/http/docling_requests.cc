#include "server/http/docling_requests.h"

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>
#include <map>

namespace fourbrain::server::http {
namespace {

using api::ChunkerKind;
using api::DocumentRequest;

// One option's value(s) as text: a form field's repeated values, or a JSON scalar or
// array of scalars.
using OptionValues = std::vector<std::string>;

Result<bool> parse_bool(const std::string& key, const std::string& v) {
  std::string l;
  for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true" || l == "1") return true;
  if (l == "false" || l == "0") return false;
  return invalid_argument("option '" + key + "' must be true or false, got '" + v + "'");
}

Result<int64_t> parse_int(const std::string& key, const std::string& v) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return invalid_argument("option '" + key + "' must be an integer, got '" + v + "'");
  }
  return n;
}

Result<double> parse_number(const std::string& key, const std::string& v) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') {
    return invalid_argument("option '" + key + "' must be a number, got '" + v + "'");
  }
  return d;
}

Status set_page_range(const OptionValues& values, api::ConvertOptions& o) {
  std::vector<std::string> ends = values;
  if (ends.size() == 1 && ends[0].find('-', 1) != std::string::npos) {  // "1-5"
    const size_t dash = ends[0].find('-', 1);
    ends = {ends[0].substr(0, dash), ends[0].substr(dash + 1)};
  }
  if (ends.size() == 1) ends.push_back(ends[0]);
  if (ends.size() != 2) return invalid_argument("page_range must be [first, last]");
  FB_ASSIGN_OR_RETURN(int64_t first, parse_int("page_range", ends[0]));
  FB_ASSIGN_OR_RETURN(int64_t last, parse_int("page_range", ends[1]));
  if (first < 1 || last < first) {
    return invalid_argument("page_range must be 1-based and ascending, got [" + ends[0] + ", " +
                            ends[1] + "]");
  }
  o.first_page = static_cast<int>(first);
  o.last_page = static_cast<int>(std::min<int64_t>(last, INT32_MAX));
  return Status::ok();
}

Status set_formats(const OptionValues& values, api::ConvertOptions& o) {
  o.to_md = o.to_json = o.to_text = false;
  for (const std::string& f : values) {
    if (f == "md") {
      o.to_md = true;
    } else if (f == "json") {
      o.to_json = true;
    } else if (f == "text") {
      o.to_text = true;
    } else if (f != "html" && f != "html_split_page" && f != "doctags" && f != "yaml" &&
               f != "vtt" && f != "doclang" && f != "dclx" && f != "chunks") {
      return invalid_argument("to_formats: unknown format '" + f +
                              "' (md, json, text; html and doctags come back null)");
    }
  }
  return Status::ok();
}

// docling-serve's target kinds: "inbody" (the default) and "zip" (conversions only).
Status set_target(const std::string& kind, DocumentRequest& r) {
  if (kind == "inbody") return Status::ok();
  if (kind == "zip" && r.chunking.kind == ChunkerKind::kNone) {
    r.zip_target = true;
    return Status::ok();
  }
  return unsupported("target kind '" + kind + "' is not supported (" +
                     (r.chunking.kind == ChunkerKind::kNone ? "inbody, zip" : "inbody") + ")");
}

// Options docling-serve knows that mean something here; all others are ignored.
Status apply_option(const std::string& key, const OptionValues& values, DocumentRequest& r) {
  api::ConvertOptions& o = r.options;
  auto one = [&]() -> Result<std::string> {
    if (values.size() != 1) return invalid_argument("option '" + key + "' takes one value");
    return values[0];
  };
  if (key == "to_formats") return set_formats(values, o);
  if (key == "target_type") {
    FB_ASSIGN_OR_RETURN(std::string v, one());
    return set_target(v, r);
  }
  if (key == "page_range") return set_page_range(values, o);
  if (key == "ocr_lang") {
    o.ocr_lang.clear();
    for (const std::string& lang : values) o.ocr_lang += (o.ocr_lang.empty() ? "" : "+") + lang;
    return Status::ok();
  }
  if (key == "do_ocr" || key == "force_ocr" || key == "include_converted_doc" ||
      key == "chunking_merge_peers" || key == "merge_peers") {
    FB_ASSIGN_OR_RETURN(std::string v, one());
    FB_ASSIGN_OR_RETURN(bool b, parse_bool(key, v));
    if (key == "do_ocr") o.do_ocr = b;
    if (key == "force_ocr") o.force_ocr = b;
    if (key == "include_converted_doc") r.chunking.include_converted_document = b;
    if (key == "chunking_merge_peers" || key == "merge_peers") r.chunking.merge_peers = b;
    return Status::ok();
  }
  if (key == "document_timeout") {
    FB_ASSIGN_OR_RETURN(std::string v, one());
    FB_ASSIGN_OR_RETURN(o.document_timeout_s, parse_number(key, v));
    return Status::ok();
  }
  if (key == "chunking_max_tokens" || key == "max_tokens") {
    FB_ASSIGN_OR_RETURN(std::string v, one());
    FB_ASSIGN_OR_RETURN(int64_t n, parse_int(key, v));
    if (n < 1) return invalid_argument("option '" + key + "' must be >= 1");
    r.chunking.max_tokens = static_cast<size_t>(n);
  }
  return Status::ok();
}

Result<OptionValues> json_values(const std::string& key, const rapidjson::Value& v) {
  auto scalar = [&](const rapidjson::Value& s) -> Result<std::string> {
    if (s.IsString()) return std::string(s.GetString(), s.GetStringLength());
    if (s.IsBool()) return std::string(s.GetBool() ? "true" : "false");
    if (s.IsInt64()) return std::to_string(s.GetInt64());
    if (s.IsNumber()) return std::to_string(s.GetDouble());
    return invalid_argument("option '" + key + "' has a value of the wrong type");
  };
  OptionValues out;
  if (v.IsNull()) return out;
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      FB_ASSIGN_OR_RETURN(std::string s, scalar(item));
      out.push_back(std::move(s));
    }
    return out;
  }
  if (v.IsObject()) return out;  // nested options (presets, pipelines): nothing here
  FB_ASSIGN_OR_RETURN(std::string s, scalar(v));
  out.push_back(std::move(s));
  return out;
}

Status apply_json_options(const rapidjson::Value& options, const char* where, DocumentRequest& r) {
  if (options.IsNull()) return Status::ok();
  if (!options.IsObject())
    return invalid_argument(std::string("'") + where + "' must be an object");
  for (auto it = options.MemberBegin(); it != options.MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    if (it->value.IsNull()) continue;  // docling-serve's "not set"
    FB_ASSIGN_OR_RETURN(OptionValues values, json_values(key, it->value));
    FB_RETURN_IF_ERROR(apply_option(key, values, r));
  }
  return Status::ok();
}

std::string json_string(const rapidjson::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : "";
}

Result<api::DocumentSource> json_source(const rapidjson::Value& s, size_t index) {
  const std::string where = "sources[" + std::to_string(index) + "]";
  if (!s.IsObject()) return invalid_argument(where + " must be an object");
  auto member = [&](const char* name) -> const rapidjson::Value* {
    auto it = s.FindMember(name);
    return it == s.MemberEnd() ? nullptr : &it->value;
  };
  const rapidjson::Value* kind = member("kind");
  if (!kind || !kind->IsString()) return invalid_argument(where + " needs a string 'kind'");
  const std::string k = json_string(*kind);
  api::DocumentSource source;
  if (k == "file") {
    const rapidjson::Value* b64 = member("base64_string");
    if (!b64 || !b64->IsString()) {
      return invalid_argument(where + " (kind 'file') needs a string 'base64_string'");
    }
    if (const rapidjson::Value* name = member("filename"); name && name->IsString()) {
      source.filename = json_string(*name);
    }
    auto bytes = base64_decode(std::string_view(b64->GetString(), b64->GetStringLength()));
    if (!bytes.is_ok()) return bytes.status().with_context(where + " base64_string");
    source.bytes = std::move(bytes).value();
    return source;
  }
  if (k == "http") {
    const rapidjson::Value* url = member("url");
    if (!url || !url->IsString()) return invalid_argument(where + " (kind 'http') needs 'url'");
    source.url = json_string(*url);
    if (const rapidjson::Value* headers = member("headers"); headers && !headers->IsNull()) {
      if (!headers->IsObject()) return invalid_argument(where + " 'headers' must be an object");
      for (auto h = headers->MemberBegin(); h != headers->MemberEnd(); ++h) {
        if (!h->value.IsString()) {
          return invalid_argument(where + " header '" + json_string(h->name) +
                                  "' must be a string");
        }
        source.headers.emplace_back(json_string(h->name), json_string(h->value));
      }
    }
    const size_t slash = source.url.find_last_of('/');
    const std::string tail = slash == std::string::npos ? "" : source.url.substr(slash + 1);
    source.filename = tail.empty() ? "document.pdf" : tail.substr(0, tail.find('?'));
    return source;
  }
  return unsupported(where + ": source kind '" + k + "' is not supported (file, http)");
}

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+' || c == '-') v = 62;
    if (c == '/' || c == '_') v = 63;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (v < 0 || padding > 0) return invalid_argument("not valid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6 || padding > 2) return invalid_argument("not valid base64 (truncated)");
  return out;
}

Result<DocumentRequest> document_request_from_form(const std::vector<MultipartPart>& parts,
                                                   ChunkerKind chunker) {
  DocumentRequest r;
  r.chunking.kind = chunker;
  std::map<std::string, OptionValues> fields;
  std::vector<std::string> order;
  for (const MultipartPart& part : parts) {
    if (part.name == "files") {
      api::DocumentSource& s = r.sources.emplace_back();
      s.filename = part.filename.empty() ? "file_" + std::to_string(r.sources.size()) + ".pdf"
                                         : part.filename;
      s.bytes.assign(part.data);
      continue;
    }
    if (!fields.count(part.name)) order.push_back(part.name);
    fields[part.name].emplace_back(part.data);
  }
  for (const std::string& key : order) FB_RETURN_IF_ERROR(apply_option(key, fields[key], r));
  if (r.sources.empty()) return invalid_argument("the form has no 'files' part");
  return r;
}

Result<DocumentRequest> document_request_from_json(std::string_view body, ChunkerKind chunker) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return invalid_argument("the request body must be a JSON object");
  }
  DocumentRequest r;
  r.chunking.kind = chunker;
  if (doc.HasMember("http_sources") || doc.HasMember("file_sources")) {
    return invalid_argument(
        "'http_sources' and 'file_sources' are docling-serve v1alpha; use "
        "'sources' with kind 'http' or 'file'");
  }
  for (const char* key : {"options", "convert_options", "chunking_options"}) {
    if (auto it = doc.FindMember(key); it != doc.MemberEnd()) {
      FB_RETURN_IF_ERROR(apply_json_options(it->value, key, r));
    }
  }
  if (auto it = doc.FindMember("include_converted_doc"); it != doc.MemberEnd()) {
    if (!it->value.IsBool()) return invalid_argument("'include_converted_doc' must be a bool");
    r.chunking.include_converted_document = it->value.GetBool();
  }
  if (auto it = doc.FindMember("target"); it != doc.MemberEnd() && !it->value.IsNull()) {
    auto kind = it->value.IsObject() ? it->value.FindMember("kind") : it->value.MemberEnd();
    const std::string k =
        it->value.IsObject() && kind != it->value.MemberEnd() ? json_string(kind->value) : "";
    FB_RETURN_IF_ERROR(set_target(k, r));
  }
  auto sources = doc.FindMember("sources");
  if (sources == doc.MemberEnd() || !sources->value.IsArray()) {
    return invalid_argument("the request needs a 'sources' array");
  }
  size_t i = 0;
  for (const auto& s : sources->value.GetArray()) {
    FB_ASSIGN_OR_RETURN(api::DocumentSource source, json_source(s, i++));
    r.sources.push_back(std::move(source));
  }
  if (r.sources.empty()) return invalid_argument("'sources' is empty");
  return r;
}

}  // namespace fourbrain::server::http
