#include "server/http/compression.h"

#include <gtest/gtest.h>

namespace fourbrain::server::http {
namespace {

TEST(CompressionTest, RoundTripsGzipAndDeflate) {
  const std::string body(10000, 'x');
  for (const char* encoding : {"gzip", "deflate"}) {
    const std::string packed = compress_body(body, encoding);
    EXPECT_LT(packed.size(), body.size() / 10);
    auto unpacked = decompress_body(packed, encoding, 1 << 20);
    ASSERT_TRUE(unpacked.is_ok()) << unpacked.status().to_string();
    EXPECT_EQ(unpacked.value(), body);
  }
  // gzip starts with its magic bytes; deflate here is the zlib format (0x78 ...).
  EXPECT_EQ(compress_body(body, "gzip").substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(compress_body(body, "deflate")[0], '\x78');
}

TEST(CompressionTest, RefusesCorruptTruncatedOversizedAndUnknown) {
  const std::string packed = compress_body(std::string(100000, 'y'), "gzip");
  EXPECT_FALSE(decompress_body("not gzip at all", "gzip", 1 << 20).is_ok());
  auto truncated = decompress_body(packed.substr(0, packed.size() / 2), "gzip", 1 << 20);
  ASSERT_FALSE(truncated.is_ok());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos);
  auto bomb = decompress_body(packed, "gzip", 1000);  // 100 kB out of a few hundred bytes
  ASSERT_FALSE(bomb.is_ok());
  EXPECT_NE(bomb.status().message().find("exceeds the limit of 1000 bytes"), std::string::npos);
  EXPECT_FALSE(decompress_body(packed, "br", 1 << 20).is_ok());
}

TEST(CompressionTest, PicksTheResponseEncodingFromAcceptEncoding) {
  EXPECT_EQ(response_encoding("gzip"), "gzip");
  EXPECT_EQ(response_encoding("br, deflate;q=0.5"), "deflate");
  EXPECT_EQ(response_encoding("deflate, gzip"), "gzip");
  EXPECT_EQ(response_encoding("identity"), std::nullopt);
  EXPECT_EQ(response_encoding(""), std::nullopt);
}

}  // namespace
}  // namespace fourbrain::server::http
