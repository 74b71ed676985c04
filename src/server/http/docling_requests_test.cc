#include "server/http/docling_requests.h"

#include <gtest/gtest.h>

namespace fourbrain::server::http {
namespace {

TEST(DoclingRequests, HttpSourceWithHeadersAndZipTarget) {
  auto r = document_request_from_json(
      R"({"sources": [{"kind": "http", "url": "http://127.0.0.1:8000/dir/a.pdf?x=1",
                       "headers": {"Authorization": "Bearer t"}}],
          "target": {"kind": "zip"}})",
      api::ChunkerKind::kNone);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->sources.size(), 1u);
  EXPECT_EQ(r->sources[0].filename, "a.pdf");
  ASSERT_EQ(r->sources[0].headers.size(), 1u);
  EXPECT_EQ(r->sources[0].headers[0].first, "Authorization");
  EXPECT_EQ(r->sources[0].headers[0].second, "Bearer t");
  EXPECT_TRUE(r->zip_target);
}

TEST(DoclingRequests, TargetKinds) {
  const std::string body = R"({"sources": [{"kind": "http", "url": "http://h/a.pdf"}], )";
  auto inbody = document_request_from_json(body + R"("target": {"kind": "inbody"}})",
                                           api::ChunkerKind::kNone);
  ASSERT_TRUE(inbody.is_ok());
  EXPECT_FALSE(inbody->zip_target);
  auto s3 =
      document_request_from_json(body + R"("target": {"kind": "s3"}})", api::ChunkerKind::kNone);
  EXPECT_EQ(s3.status().code(), StatusCode::kUnsupported);
  auto chunk_zip = document_request_from_json(body + R"("target": {"kind": "zip"}})",
                                              api::ChunkerKind::kHierarchical);
  EXPECT_EQ(chunk_zip.status().code(), StatusCode::kUnsupported);
  auto bad_headers = document_request_from_json(
      R"({"sources": [{"kind": "http", "url": "http://h/a.pdf", "headers": {"X": 1}}]})",
      api::ChunkerKind::kNone);
  EXPECT_EQ(bad_headers.status().code(), StatusCode::kInvalidArgument);
}

TEST(DoclingRequests, FormTargetType) {
  std::vector<MultipartPart> parts(2);
  parts[0].name = "files";
  parts[0].filename = "a.pdf";
  parts[0].data = "%PDF-1.4";
  parts[1].name = "target_type";
  parts[1].data = "zip";
  auto r = document_request_from_form(parts, api::ChunkerKind::kNone);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TRUE(r->zip_target);
}

}  // namespace
}  // namespace fourbrain::server::http
