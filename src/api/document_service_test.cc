#include "api/document_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "api/http_fetch.h"

namespace fourbrain::api {
namespace {

std::string corpus_pdf() {
  std::ifstream in(
      std::string(FOURBRAIN_SOURCE_DIR) + "/tests/data/docling/corpus/numbered_report.pdf",
      std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

DocumentRequest request_for(std::string bytes, std::string filename = "report.pdf") {
  DocumentRequest r;
  r.sources.push_back({std::move(filename), std::move(bytes), "", {}});
  r.options.to_json = true;
  return r;
}

// Runs a request synchronously.
Result<DocumentResponse> run_and_wait(DocumentService& service, DocumentRequest request) {
  std::promise<Result<DocumentResponse>> promise;
  auto future = promise.get_future();
  service.run(std::move(request), [&](Result<DocumentResponse> r) { promise.set_value(r); });
  return future.get();
}

std::unique_ptr<DocumentService> make(DocumentServiceOptions options = {}) {
  auto s = DocumentService::create(options);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return std::move(s).value();
}

TEST(DocumentService, ConvertsAPdf) {
  const std::string pdf = corpus_pdf();
  ASSERT_FALSE(pdf.empty());
  auto service = make();
  auto r = run_and_wait(*service, request_for(pdf));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->documents.size(), 1u);
  const ConvertedDocument& d = r->documents[0];
  EXPECT_EQ(d.filename, "report.pdf");
  EXPECT_EQ(d.status, "success");
  EXPECT_NE(d.markdown.find("# A Numbered Report"), std::string::npos);
  EXPECT_EQ(d.json.rfind("{", 0), 0u);
  EXPECT_FALSE(d.has_text);
  EXPECT_FALSE(r->chunked);
}

TEST(DocumentService, HierarchicalChunks) {
  auto service = make();
  DocumentRequest req = request_for(corpus_pdf());
  req.chunking.kind = ChunkerKind::kHierarchical;
  auto r = run_and_wait(*service, req);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TRUE(r->chunked);
  ASSERT_FALSE(r->chunks.empty());
  EXPECT_EQ(r->chunks[0].chunk_index, 0);
  EXPECT_FALSE(r->chunks[0].doc_items.empty());
  EXPECT_FALSE(r->documents[0].has_md);  // not asked to include the document
}

TEST(DocumentService, RefusesBadInputsBeforeQueueing) {
  DocumentServiceOptions options;
  options.max_file_bytes = 1 << 20;
  auto service = make(options);
  auto code_of = [&](DocumentRequest r) { return run_and_wait(*service, std::move(r)).status(); };
  EXPECT_EQ(code_of({}).code(), StatusCode::kInvalidArgument);
  Status s = code_of(request_for("hello, not a pdf"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not a PDF"), std::string::npos);
  s = code_of(request_for("%PDF-1.4\n" + std::string(2 << 20, 'x')));
  EXPECT_NE(s.message().find(kOverSizeLimit), std::string::npos);
  DocumentRequest range = request_for(corpus_pdf());
  range.options.first_page = 3, range.options.last_page = 2;
  EXPECT_EQ(code_of(range).code(), StatusCode::kInvalidArgument);
  DocumentRequest hybrid = request_for(corpus_pdf());
  hybrid.chunking.kind = ChunkerKind::kHybrid;  // no tokenizer configured
  EXPECT_EQ(code_of(hybrid).code(), StatusCode::kUnsupported);
  DocumentRequest http;
  http.sources.push_back({"a.pdf", "", "http://example.com/a.pdf", {}});
  s = code_of(http);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--docling-http-allow"), std::string::npos);
}

TEST(DocumentService, HttpSourcesFollowTheAllowList) {
  DocumentServiceOptions options;
  options.http_allow = {"docs.example.com"};
  auto service = make(options);
  DocumentRequest r;
  r.sources.push_back({"a.pdf", "", "http://other.example.com/a.pdf", {}});
  EXPECT_EQ(run_and_wait(*service, r).status().code(), StatusCode::kInvalidArgument);
  r.sources[0].url = "https://docs.example.com/a.pdf";
  EXPECT_EQ(run_and_wait(*service, r).status().code(), StatusCode::kUnsupported);
  r.sources[0].url = "http://user:pw@docs.example.com/a.pdf";
  EXPECT_EQ(run_and_wait(*service, r).status().code(), StatusCode::kInvalidArgument);
  // Allowed, but nothing listens on port 1: the worker's fetch fails with a clear error.
  options.http_allow = {"127.0.0.1"};
  options.http_time_limit = std::chrono::milliseconds(5000);
  auto local = make(options);
  r.sources[0].url = "http://127.0.0.1:1/a.pdf";
  Status s = run_and_wait(*local, r).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("connect"), std::string::npos) << s.message();
}

TEST(DocumentService, CorruptPdfFailsWithInvalidArgument) {
  auto service = make();
  auto r = run_and_wait(*service, request_for("%PDF-1.7\nthis is not really a pdf\n%%EOF"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("report.pdf"), std::string::npos);
}

TEST(DocumentService, FullQueueIsResourceExhaustedAndNothingAcceptedIsLost) {
  DocumentServiceOptions options;
  options.workers = 1;
  options.max_queue = 1;
  auto service = make(options);
  const std::string pdf = corpus_pdf();
  std::atomic<int> answered{0}, refused{0};
  constexpr int kRequests = 32;
  for (int i = 0; i < kRequests; ++i) {
    service->run(request_for(pdf), [&](Result<DocumentResponse> r) {
      if (!r.is_ok() && r.status().code() == StatusCode::kResourceExhausted) ++refused;
      ++answered;
    });
  }
  service->begin_shutdown();
  service->wait_idle();
  EXPECT_EQ(answered.load(), kRequests);
  EXPECT_GE(refused.load(), 1);
  EXPECT_LE(refused.load(), kRequests - 1);
  Status after = run_and_wait(*service, request_for(pdf)).status();
  EXPECT_EQ(after.code(), StatusCode::kUnavailable);
}

TEST(DocumentService, TaskResultIsSingleUseAndExpires) {
  DocumentServiceOptions options;
  options.result_ttl = std::chrono::milliseconds(200);
  auto service = make(options);
  auto poll_until_done = [&](const std::string& id) {
    for (int i = 0; i < 600; ++i) {
      auto st = service->poll(id);
      EXPECT_TRUE(st.is_ok());
      if (!st.is_ok()) return TaskState::kFailure;
      if (st->state != TaskState::kPending && st->state != TaskState::kStarted) return st->state;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return TaskState::kPending;
  };
  auto id = service->submit(request_for(corpus_pdf()));
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(id->size(), 36u);
  EXPECT_EQ(poll_until_done(id.value()), TaskState::kSuccess);
  auto result = service->take_result(id.value());
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(result->documents.size(), 1u);
  EXPECT_EQ(service->take_result(id.value()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service->poll(id.value()).status().code(), StatusCode::kNotFound);

  auto expiring = service->submit(request_for(corpus_pdf()));
  ASSERT_TRUE(expiring.is_ok());
  EXPECT_EQ(poll_until_done(expiring.value()), TaskState::kSuccess);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(service->poll(expiring.value()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service->take_result(expiring.value()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(service->poll("no-such-task").status().code(), StatusCode::kNotFound);
}

TEST(DocumentService, FailedTaskReportsItsError) {
  auto service = make();
  auto id = service->submit(request_for("%PDF-1.7\ncorrupt"));
  ASSERT_TRUE(id.is_ok());
  service->wait_idle();
  auto st = service->poll(id.value());
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->state, TaskState::kFailure);
  EXPECT_FALSE(st->error_message.empty());
  EXPECT_EQ(service->take_result(id.value()).status().code(), StatusCode::kInvalidArgument);
}

TEST(DocumentService, MissingTokenizerFolderFailsCreate) {
  DocumentServiceOptions options;
  options.tokenizer_dir = "/nonexistent/tokenizer";
  EXPECT_FALSE(DocumentService::create(options).is_ok());
}

}  // namespace
}  // namespace fourbrain::api
