#include "server/http/docling_replies.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fourbrain::server::http {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void key(Writer& w, const char* k) { w.Key(k); }

void string_or_null(Writer& w, bool present, const std::string& s) {
  present ? string(w, s) : static_cast<void>(w.Null());
}

void string_list(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const std::string& s : items) string(w, s);
  w.EndArray();
}

// ExportDocumentResponse.
void document(Writer& w, const api::ConvertedDocument& d) {
  w.StartObject();
  key(w, "filename");
  string(w, d.filename);
  key(w, "md_content");
  string_or_null(w, d.has_md, d.markdown);
  key(w, "json_content");
  if (d.has_json) {
    w.RawValue(d.json.data(), d.json.size(), rapidjson::kObjectType);
  } else {
    w.Null();
  }
  key(w, "html_content");
  w.Null();
  key(w, "text_content");
  string_or_null(w, d.has_text, d.text);
  key(w, "doctags_content");
  w.Null();
  w.EndObject();
}

void errors(Writer& w, const std::vector<api::DocumentError>& errors) {
  w.StartArray();
  for (const api::DocumentError& e : errors) {
    w.StartObject();
    key(w, "component_type");
    string(w, e.component_type);
    key(w, "module_name");
    string(w, e.module_name);
    key(w, "error_message");
    string(w, e.message);
    if (e.page_no > 0) {
      key(w, "page_no");
      w.Int(e.page_no);
    }
    w.EndObject();
  }
  w.EndArray();
}

void status_errors_timings(Writer& w, const api::ConvertedDocument& d) {
  key(w, "status");
  string(w, d.status);
  key(w, "errors");
  errors(w, d.errors);
}

std::string done(const rapidjson::StringBuffer& b) {
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace

std::string convert_response_json(const api::DocumentResponse& response) {
  rapidjson::StringBuffer b;
  Writer w(b);
  static const api::ConvertedDocument kNone;
  const api::ConvertedDocument& d = response.documents.empty() ? kNone : response.documents[0];
  w.StartObject();
  key(w, "document");
  document(w, d);
  status_errors_timings(w, d);
  key(w, "processing_time");
  w.Double(response.processing_time);
  key(w, "timings");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  return done(b);
}

std::string chunk_response_json(const api::DocumentResponse& response) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  key(w, "chunks");
  w.StartArray();
  for (const api::DocumentChunk& c : response.chunks) {
    w.StartObject();
    key(w, "filename");
    string(w, c.filename);
    key(w, "chunk_index");
    w.Int(c.chunk_index);
    key(w, "text");
    string(w, c.text);
    key(w, "raw_text");
    string(w, c.raw_text);
    key(w, "num_tokens");
    c.num_tokens > 0 ? static_cast<void>(w.Uint64(c.num_tokens)) : static_cast<void>(w.Null());
    key(w, "headings");
    string_list(w, c.headings);
    key(w, "captions");
    string_list(w, c.captions);
    key(w, "doc_items");
    string_list(w, c.doc_items);
    key(w, "page_numbers");
    w.StartArray();
    for (int p : c.page_numbers) w.Int(p);
    w.EndArray();
    key(w, "metadata");
    w.Null();
    w.EndObject();
  }
  w.EndArray();
  key(w, "documents");
  w.StartArray();
  for (const api::ConvertedDocument& d : response.documents) {
    w.StartObject();
    key(w, "kind");
    w.String("ExportResult");
    key(w, "content");
    document(w, d);
    status_errors_timings(w, d);
    key(w, "timings");
    w.StartObject();
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  key(w, "processing_time");
  w.Double(response.processing_time);
  w.EndObject();
  return done(b);
}

std::string task_status_json(const api::TaskStatus& status) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  key(w, "task_id");
  string(w, status.task_id);
  key(w, "task_type");
  string(w, status.task_type);
  key(w, "task_status");
  w.String(api::task_state_name(status.state));
  key(w, "task_position");
  status.position > 0 ? static_cast<void>(w.Int(status.position)) : static_cast<void>(w.Null());
  key(w, "task_meta");
  w.Null();
  key(w, "error_message");
  string_or_null(w, !status.error_message.empty(), status.error_message);
  w.EndObject();
  return done(b);
}

std::string detail_json(const std::string& message) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  key(w, "detail");
  string(w, message);
  w.EndObject();
  return done(b);
}

std::string docling_version_json() {
  return R"J({"fourbrain":"0.1.0","docling-serve":"v1 API (fourbrain)","docling-core":"2.104.0",)J"
         R"J("docling":"fourbrain heuristic PDF pipeline"})J";
}

}  // namespace fourbrain::server::http
