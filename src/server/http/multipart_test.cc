#include "server/http/multipart.h"

#include <gtest/gtest.h>

namespace fourbrain::server::http {
namespace {

constexpr const char* kType = "multipart/form-data; boundary=XyZ";

TEST(Multipart, ParsesFieldsAndFilesWithCrlf) {
  const std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"to_formats\"\r\n\r\n"
      "md\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"files\"; filename=\"a b.pdf\"\r\n"
      "Content-Type: application/pdf\r\n\r\n"
      "%PDF-1.4\r\nbinary\r\n--XyZ-not-a-delimiter\r\n"
      "\r\n--XyZ--\r\nepilogue";
  auto parts = parse_multipart(kType, body);
  ASSERT_TRUE(parts.is_ok()) << parts.status().to_string();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "to_formats");
  EXPECT_EQ((*parts)[0].data, "md");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[1].name, "files");
  EXPECT_EQ((*parts)[1].filename, "a b.pdf");
  EXPECT_EQ((*parts)[1].content_type, "application/pdf");
  EXPECT_EQ((*parts)[1].data, "%PDF-1.4\r\nbinary\r\n--XyZ-not-a-delimiter\r\n");
}

TEST(Multipart, QuotedBoundaryPreambleAndBareLf) {
  const std::string body =
      "preamble line\n--a;b c\nContent-Disposition: form-data; name=do_ocr\n\nfalse\n"
      "--a;b c\ncontent-disposition: FORM-DATA; NAME=\"x\\\"y\"; filename*=UTF-8''na%C3%AFve.pdf"
      "\n\n\n--a;b c--";
  auto parts = parse_multipart("Multipart/Form-Data; charset=utf-8; boundary=\"a;b c\"", body);
  ASSERT_TRUE(parts.is_ok()) << parts.status().to_string();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "do_ocr");
  EXPECT_EQ((*parts)[0].data, "false");
  EXPECT_EQ((*parts)[1].name, "x\"y");
  EXPECT_EQ((*parts)[1].filename, "na\xC3\xAFve.pdf");
  EXPECT_EQ((*parts)[1].data, "");
}

TEST(Multipart, EmptyFormHasNoParts) {
  auto parts = parse_multipart(kType, "--XyZ--\r\n");
  ASSERT_TRUE(parts.is_ok());
  EXPECT_TRUE(parts->empty());
}

TEST(Multipart, Errors) {
  auto message = [](std::string_view type, std::string_view body) {
    auto r = parse_multipart(type, body);
    EXPECT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_NE(message("multipart/form-data", "--x--").find("no boundary"), std::string::npos);
  EXPECT_NE(message("multipart/form-data; boundary=\"", "").find("unterminated"),
            std::string::npos);
  EXPECT_NE(message("application/json", "{}").find("multipart/form-data"), std::string::npos);
  EXPECT_NE(message(kType, "no delimiter here").find("no delimiter"), std::string::npos);
  EXPECT_NE(message(kType, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntruncated")
                .find("closing boundary"),
            std::string::npos);
  EXPECT_NE(message(kType, "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--")
                .find("Content-Disposition"),
            std::string::npos);
  EXPECT_NE(
      message(kType, "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--").find("name"),
      std::string::npos);
  EXPECT_NE(message(kType, "--XyZ\r\nContent-Disposition: form-data; name=a").find("empty line"),
            std::string::npos);
  EXPECT_NE(message(kType, "--XyZjunk\r\n").find("CRLF"), std::string::npos);
}

}  // namespace
}  // namespace fourbrain::server::http
