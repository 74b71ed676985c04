#include "server/http/router.h"

#include <rapidjson/document.h>

#include "base/log.h"
#include "server/common/status_mapping.h"
#include "server/http/compression.h"
#include "server/http/docling_routes.h"
#include "server/http/infer_codec.h"
#include "server/http/json_replies.h"

namespace fourbrain::server::http {
namespace {

constexpr const char* kJson = "application/json";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits the path (query dropped) into percent-decoded segments.
std::vector<std::string> path_segments(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '/') {
      flush();
    } else if (c == '%' && i + 2 < path.size() && hex_value(path[i + 1]) >= 0 &&
               hex_value(path[i + 2]) >= 0) {
      cur += static_cast<char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]));
      i += 2;
    } else {
      cur += c;
    }
  }
  flush();
  return out;
}

HttpReply json_reply(std::string body) { return {200, kJson, std::move(body), std::nullopt, "", ""}; }
HttpReply empty_reply(int status) { return {status, "", "", std::nullopt, "", ""}; }
HttpReply not_found_reply() { return error_reply(404, "Not Found"); }
HttpReply method_not_allowed() { return error_reply(405, "Method Not Allowed"); }

}  // namespace

HttpReply error_reply(const Status& status) {
  return error_reply(http_status_of(status.code()), status.message());
}

HttpReply error_reply(int http_status, const std::string& message) {
  return {http_status, kJson, error_json(message), std::nullopt, "", ""};
}

Router::Router(api::Server& server, BlockingRunner run_blocking)
    : server_(server),
      run_blocking_(std::move(run_blocking)),
      docling_(std::make_unique<DoclingRoutes>(server)) {}

Router::~Router() = default;

std::shared_ptr<api::InferTicket> Router::handle(std::shared_ptr<HttpRequest> request,
                                                 ReplyFn reply) {
  const std::vector<std::string> seg = path_segments(request->target);
  const std::string& method = request->method;
  const bool get = method == "GET", post = method == "POST";
  if (DoclingRoutes::owns(seg)) {
    docling_->handle(std::move(request), seg, std::move(reply));
    return nullptr;
  }
  if (seg.empty() || seg[0] != "v2") {
    reply(not_found_reply());
    return nullptr;
  }
  if (seg.size() == 1) {
    reply(get ? json_reply(server_metadata_json(server_.metadata())) : method_not_allowed());
    return nullptr;
  }
  if (seg[1] == "health" && seg.size() == 3 && (seg[2] == "live" || seg[2] == "ready")) {
    if (!get) {
      reply(method_not_allowed());
    } else {
      const bool ok = seg[2] == "live" ? server_.live() : server_.ready();
      reply(empty_reply(ok ? 200 : 400));
    }
    return nullptr;
  }
  if (seg[1] == "models" && seg.size() == 3 && seg[2] == "stats") {
    if (!get) {
      reply(method_not_allowed());
    } else {
      auto stats = server_.statistics("", "");
      reply(stats.is_ok() ? json_reply(statistics_json(stats.value()))
                          : error_reply(stats.status()));
    }
    return nullptr;
  }
  if (seg[1] == "models" && seg.size() >= 3) {
    const std::string& model = seg[2];
    size_t i = 3;
    std::string version;
    if (seg.size() >= 5 && seg[3] == "versions") version = seg[4], i = 5;
    if (seg.size() > i + 1) {
      reply(not_found_reply());
      return nullptr;
    }
    const std::string action = seg.size() == i + 1 ? seg[i] : "";
    if (action == "infer") {
      if (!post) {
        reply(method_not_allowed());
        return nullptr;
      }
      return infer(std::move(request), model, version, std::move(reply));
    }
    model_route(*request, model, version, action, reply);
    return nullptr;
  }
  if (seg[1] == "repository" && seg.size() == 3 && seg[2] == "index") {
    repository_route(std::move(request), "", "index", std::move(reply));
    return nullptr;
  }
  if (seg[1] == "repository" && seg.size() == 5 && seg[2] == "models" &&
      (seg[4] == "load" || seg[4] == "unload")) {
    repository_route(std::move(request), seg[3], seg[4], std::move(reply));
    return nullptr;
  }
  reply(not_found_reply());
  return nullptr;
}

void Router::model_route(const HttpRequest& request, const std::string& model,
                         const std::string& version, const std::string& action, ReplyFn& reply) {
  if (request.method != "GET") {
    reply(action == "" || action == "ready" || action == "config" || action == "stats"
              ? method_not_allowed()
              : not_found_reply());
    return;
  }
  if (action.empty()) {
    auto meta = server_.model_metadata(model, version);
    reply(meta.is_ok() ? json_reply(model_metadata_json(meta.value()))
                       : error_reply(meta.status()));
  } else if (action == "ready") {
    Status s = server_.model_ready(model, version);
    // Triton answers 400 for a known model that is not ready.
    reply(s.is_ok()                              ? empty_reply(200)
          : s.code() == StatusCode::kUnavailable ? error_reply(400, s.message())
                                                 : error_reply(s));
  } else if (action == "config") {
    auto config = server_.model_config_json(model, version);
    reply(config.is_ok() ? json_reply(config.value()) : error_reply(config.status()));
  } else if (action == "stats") {
    auto stats = server_.statistics(model, version);
    reply(stats.is_ok() ? json_reply(statistics_json(stats.value())) : error_reply(stats.status()));
  } else {
    reply(not_found_reply());
  }
}

void Router::repository_route(std::shared_ptr<HttpRequest> request, const std::string& model,
                              const std::string& action, ReplyFn reply) {
  if (request->method != "POST") {
    reply(method_not_allowed());
    return;
  }
  rapidjson::Document body;
  const bool has_body = request->body.find_first_not_of(" \t\r\n") != std::string::npos;
  if (has_body) {
    body.Parse<rapidjson::kParseIterativeFlag>(request->body.data(), request->body.size());
    if (body.HasParseError() || !body.IsObject()) {
      reply(error_reply(400, "the request body must be a JSON object"));
      return;
    }
  }
  if (action == "index") {
    bool ready_only = false;
    if (has_body) {
      if (auto r = body.FindMember("ready"); r != body.MemberEnd()) {
        if (!r->value.IsBool()) {
          reply(error_reply(400, "'ready' must be a bool"));
          return;
        }
        ready_only = r->value.GetBool();
      }
    }
    reply(json_reply(repository_index_json(server_.repository_index(ready_only))));
    return;
  }
  std::string config_json;
  if (has_body) {
    if (auto p = body.FindMember("parameters"); p != body.MemberEnd()) {
      if (!p->value.IsObject()) {
        reply(error_reply(400, "'parameters' must be a JSON object"));
        return;
      }
      for (auto it = p->value.MemberBegin(); it != p->value.MemberEnd(); ++it) {
        const std::string key(it->name.GetString(), it->name.GetStringLength());
        if (key == "config" && action == "load") {
          if (!it->value.IsString()) {
            reply(error_reply(400, "parameter 'config' must be a string holding the JSON config"));
            return;
          }
          config_json.assign(it->value.GetString(), it->value.GetStringLength());
        } else if (key.rfind("file:", 0) == 0) {
          reply(error_reply(501, "loading model files through the API is not supported"));
          return;
        }
      }
    }
  }
  // Loads and unloads block while checkpoints load or queues drain: off the I/O thread.
  run_blocking_([this, model, action, config_json, reply = std::move(reply)] {
    Status s =
        action == "load" ? server_.load_model(model, config_json) : server_.unload_model(model);
    reply(s.is_ok() ? empty_reply(200) : error_reply(s));
  });
}

std::shared_ptr<api::InferTicket> Router::infer(std::shared_ptr<HttpRequest> request,
                                                const std::string& model,
                                                const std::string& version, ReplyFn reply) {
  if (!request->content_encoding.empty() && request->content_encoding != "identity") {
    auto inflated =
        decompress_body(request->body, request->content_encoding, request->max_body_bytes);
    if (!inflated.is_ok()) {
      reply(error_reply(inflated.status()));
      return nullptr;
    }
    request->body = std::move(inflated).value();
  }
  auto decoded = decode_infer_request(request->body, request->inference_header_length);
  if (!decoded.is_ok()) {
    reply(error_reply(decoded.status()));
    return nullptr;
  }
  std::shared_ptr<DecodedInfer> how = std::move(decoded).value();
  how->request.model_name = model;
  how->request.model_version = version;
  api::InferRequest& req = how->request;
  // The inputs point into request->body and how->converted; infer() reads them before it
  // returns (tokenization happens on this thread).
  return server_.infer(std::move(req),
                       [how, reply = std::move(reply)](Result<api::InferResponse> response) {
                         if (!response.is_ok()) {
                           reply(error_reply(response.status()));
                           return;
                         }
                         EncodedResponse encoded = encode_infer_response(response.value(), *how);
                         HttpReply r;
                         r.status = 200;
                         r.content_type = encoded.json_length ? "application/octet-stream" : kJson;
                         r.body = std::move(encoded.body);
                         r.inference_header_length = encoded.json_length;
                         reply(std::move(r));
                       });
}

}  // namespace fourbrain::server::http
