#include "server/http/json_replies.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fourbrain::server::http {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const std::string& s) { w.String(s.data(), static_cast<unsigned>(s.size())); }

void key_str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  str(w, value);
}

void tensors(Writer& w, const char* key, const std::vector<api::TensorMetadata>& list) {
  w.Key(key);
  w.StartArray();
  for (const auto& t : list) {
    w.StartObject();
    key_str(w, "name", t.name);
    key_str(w, "datatype", t.datatype);
    w.Key("shape");
    w.StartArray();
    for (int64_t d : t.shape) w.Int64(d);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

void duration(Writer& w, const char* key, const api::DurationStat& d) {
  w.Key(key);
  w.StartObject();
  w.Key("count");
  w.Uint64(d.count);
  w.Key("ns");
  w.Uint64(d.ns);
  w.EndObject();
}

std::string done(rapidjson::StringBuffer& b) { return std::string(b.GetString(), b.GetSize()); }

}  // namespace

std::string server_metadata_json(const api::ServerMetadata& meta) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  key_str(w, "name", meta.name);
  key_str(w, "version", meta.version);
  w.Key("extensions");
  w.StartArray();
  for (const auto& e : meta.extensions) str(w, e);
  w.EndArray();
  w.EndObject();
  return done(b);
}

std::string model_metadata_json(const api::ModelMetadata& meta) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  key_str(w, "name", meta.name);
  w.Key("versions");
  w.StartArray();
  for (const auto& v : meta.versions) str(w, v);
  w.EndArray();
  key_str(w, "platform", meta.platform);
  tensors(w, "inputs", meta.inputs);
  tensors(w, "outputs", meta.outputs);
  w.EndObject();
  return done(b);
}

std::string repository_index_json(const std::vector<api::RepositoryEntry>& entries) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartArray();
  for (const auto& e : entries) {
    w.StartObject();
    key_str(w, "name", e.name);
    if (!e.version.empty()) key_str(w, "version", e.version);
    key_str(w, "state", e.state);
    key_str(w, "reason", e.reason);
    w.EndObject();
  }
  w.EndArray();
  return done(b);
}

std::string statistics_json(const std::vector<api::ModelStatistics>& models) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("model_stats");
  w.StartArray();
  for (const auto& m : models) {
    const auto& s = m.stats;
    w.StartObject();
    key_str(w, "name", m.name);
    key_str(w, "version", m.version);
    w.Key("last_inference");
    w.Uint64(s.last_inference_ms);
    w.Key("inference_count");
    w.Uint64(s.inference_count);
    w.Key("execution_count");
    w.Uint64(s.execution_count);
    w.Key("inference_stats");
    w.StartObject();
    duration(w, "success", s.success);
    duration(w, "fail", s.fail);
    duration(w, "queue", s.queue);
    duration(w, "compute_input", s.compute_input);
    duration(w, "compute_infer", s.compute_infer);
    duration(w, "compute_output", s.compute_output);
    duration(w, "cache_hit", {});
    duration(w, "cache_miss", {});
    w.EndObject();
    w.Key("response_stats");
    w.StartObject();
    w.EndObject();
    w.Key("batch_stats");
    w.StartArray();
    for (const auto& bs : s.batch_stats) {
      w.StartObject();
      w.Key("batch_size");
      w.Uint64(bs.batch_size);
      duration(w, "compute_input", bs.compute_input);
      duration(w, "compute_infer", bs.compute_infer);
      duration(w, "compute_output", bs.compute_output);
      w.EndObject();
    }
    w.EndArray();
    w.Key("memory_usage");
    w.StartArray();
    w.StartObject();
    key_str(w, "type", "CPU");
    w.Key("id");
    w.Int64(0);
    w.Key("byte_size");
    w.Uint64(m.memory_bytes);
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return done(b);
}

std::string error_json(const std::string& message) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  key_str(w, "error", message);
  w.EndObject();
  return done(b);
}

}  // namespace fourbrain::server::http
