#include "server/http/docling_routes.h"

#include "api/http_fetch.h"
#include "server/common/status_mapping.h"
#include "server/http/compression.h"
#include "server/http/docling_replies.h"
#include "server/http/docling_requests.h"
#include "server/http/docling_zip.h"

namespace fourbrain::server::http {
namespace {

constexpr const char* kJson = "application/json";

HttpReply ok_json(std::string body) { return {200, kJson, std::move(body), std::nullopt, "", ""}; }

HttpReply detail_reply(int status, const std::string& message) {
  return {status, kJson, detail_json(message), std::nullopt, "", ""};
}

// A document over the size limit (a file, or an http source's body) is 413, as the size
// check before queueing answers; every other error maps by its code.
HttpReply detail_reply(const Status& s) {
  const bool too_large = s.code() == StatusCode::kInvalidArgument &&
                         s.message().find(api::kOverSizeLimit) != std::string::npos;
  return detail_reply(too_large ? 413 : http_status_of(s.code()), s.message());
}

// A finished job's answer: chunks, one document in JSON, or a zip of several.
HttpReply documents_reply(const api::DocumentResponse& r) {
  if (r.chunked) return ok_json(chunk_response_json(r));
  if (!answers_with_zip(r)) return ok_json(convert_response_json(r));
  auto zip = convert_response_zip(r);
  if (!zip.is_ok()) return detail_reply(zip.status());
  HttpReply out;
  out.content_type = "application/zip";
  out.body = std::move(zip).value();
  out.content_disposition = std::string("attachment; filename=\"") + kZipFilename + "\"";
  return out;
}

Result<api::DocumentRequest> decode(HttpRequest& request, bool file, api::ChunkerKind chunker) {
  if (!request.content_encoding.empty() && request.content_encoding != "identity") {
    FB_ASSIGN_OR_RETURN(request.body, decompress_body(request.body, request.content_encoding,
                                                      request.max_body_bytes));
  }
  if (!file) return document_request_from_json(request.body, chunker);
  FB_ASSIGN_OR_RETURN(auto parts, parse_multipart(request.content_type, request.body));
  return document_request_from_form(parts, chunker);
}

}  // namespace

bool DoclingRoutes::owns(const std::vector<std::string>& seg) {
  if (seg.empty()) return false;
  if (seg.size() == 1) {
    return seg[0] == "health" || seg[0] == "livez" || seg[0] == "ready" || seg[0] == "readyz" ||
           seg[0] == "version";
  }
  return seg[0] == "v1";
}

void DoclingRoutes::handle(std::shared_ptr<HttpRequest> request,
                           const std::vector<std::string>& seg, ReplyFn reply) {
  const bool get = request->method == "GET", post = request->method == "POST";
  const size_t n = seg.size();
  if (n == 1) {
    if (!get) return reply(detail_reply(405, "Method Not Allowed"));
    if (seg[0] == "version") return reply(ok_json(docling_version_json()));
    const bool ok = seg[0] == "health" || seg[0] == "livez" || server_.ready();
    return reply({ok ? 200 : 503, kJson, ok ? R"({"status":"ok"})" : R"({"status":"not ready"})",
                  std::nullopt, "", ""});
  }
  if (n >= 3 && n <= 4 && seg[1] == "convert" && (seg[2] == "file" || seg[2] == "source") &&
      (n == 3 || seg[3] == "async")) {
    if (!post) return reply(detail_reply(405, "Method Not Allowed"));
    return documents_route(std::move(request), seg[2] == "file", n == 4, api::ChunkerKind::kNone,
                           std::move(reply));
  }
  if (n >= 4 && n <= 5 && seg[1] == "chunk" && (seg[2] == "hybrid" || seg[2] == "hierarchical") &&
      (seg[3] == "file" || seg[3] == "source") && (n == 4 || seg[4] == "async")) {
    if (!post) return reply(detail_reply(405, "Method Not Allowed"));
    const auto kind =
        seg[2] == "hybrid" ? api::ChunkerKind::kHybrid : api::ChunkerKind::kHierarchical;
    return documents_route(std::move(request), seg[3] == "file", n == 5, kind, std::move(reply));
  }
  const bool poll = n == 4 && seg[1] == "status" && seg[2] == "poll";
  const bool result = n == 3 && seg[1] == "result";
  if (poll || result) {
    if (!get) return reply(detail_reply(405, "Method Not Allowed"));
    const std::string& id = seg[n - 1];
    if (poll) {
      auto status = server_.documents().poll(id);
      return reply(status.is_ok() ? ok_json(task_status_json(status.value()))
                                  : detail_reply(status.status()));
    }
    auto taken = server_.documents().take_result(id);
    if (!taken.is_ok()) return reply(detail_reply(taken.status()));
    return reply(documents_reply(taken.value()));
  }
  reply(detail_reply(404, "Not Found"));
}

void DoclingRoutes::documents_route(std::shared_ptr<HttpRequest> request, bool file, bool async,
                                    api::ChunkerKind chunker, ReplyFn reply) {
  auto decoded = decode(*request, file, chunker);
  if (!decoded.is_ok()) return reply(detail_reply(decoded.status()));
  api::DocumentRequest doc = std::move(decoded).value();
  const size_t limit = server_.documents().options().max_file_bytes;
  for (const api::DocumentSource& s : doc.sources) {
    if (s.bytes.size() > limit) {
      return reply(detail_reply(
          413, "file '" + s.filename + "' is " + std::to_string(s.bytes.size()) + " bytes, " +
                   std::string(api::kOverSizeLimit) + " of " + std::to_string(limit)));
    }
  }
  if (async) {
    auto id = server_.documents().submit(std::move(doc));
    if (!id.is_ok()) return reply(detail_reply(id.status()));
    auto status = server_.documents().poll(id.value());
    if (!status.is_ok()) {  // finished and expired already: only with a zero TTL
      api::TaskStatus done;
      done.task_id = id.value();
      done.task_type = chunker == api::ChunkerKind::kNone ? "convert" : "chunk";
      done.state = api::TaskState::kSuccess;
      return reply(ok_json(task_status_json(done)));
    }
    return reply(ok_json(task_status_json(status.value())));
  }
  server_.documents().run(std::move(doc), [reply](Result<api::DocumentResponse> r) {
    reply(r.is_ok() ? documents_reply(r.value()) : detail_reply(r.status()));
  });
}

}  // namespace fourbrain::server::http
