#include "base/status.h"

#include <gtest/gtest.h>

#include "base/file.h"

namespace fourbrain {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return invalid_argument("not positive: " + std::to_string(x));
  return x;
}

Status use_macros(int x, int* out) {
  FB_ASSIGN_OR_RETURN(*out, parse_positive(x));
  FB_RETURN_IF_ERROR(Status::ok());
  return Status::ok();
}

TEST(StatusTest, ResultCarriesValueOrError) {
  int out = 0;
  EXPECT_TRUE(use_macros(3, &out).is_ok());
  EXPECT_EQ(out, 3);
  Status bad = use_macros(-1, &out);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.to_string(), "InvalidArgument: not positive: -1");
  EXPECT_EQ(bad.with_context("x.json").message(), "x.json: not positive: -1");
}

TEST(FileTest, MissingFileIsNotFoundWithPath) {
  auto mapped = MappedFile::open("/nonexistent/file.bin");
  ASSERT_FALSE(mapped.is_ok());
  EXPECT_EQ(mapped.status().code(), StatusCode::kNotFound);
  EXPECT_NE(mapped.status().message().find("/nonexistent/file.bin"), std::string::npos);
}

TEST(FileTest, MapsFileContents) {
  std::string path = ::testing::TempDir() + "/fb_map_test.bin";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("hello", f);
    std::fclose(f);
  }
  auto mapped = MappedFile::open(path);
  ASSERT_TRUE(mapped.is_ok()) << mapped.status().to_string();
  ASSERT_EQ(mapped->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mapped->data()), 5), "hello");
  // Dropping resident pages keeps the contents: they fault back in from the file.
  drop_mapped_pages(*mapped, mapped->data(), mapped->size());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mapped->data()), 5), "hello");
  auto text = read_file(path);
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(*text, "hello");
}

}  // namespace
}  // namespace fourbrain

#include <fstream>

#include "base/sha256.h"

namespace fourbrain {
namespace {

TEST(Sha256, MatchesKnownDigests) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string path = ::testing::TempDir() + "/sha256_test.txt";
  std::ofstream(path) << "abc";
  EXPECT_EQ(*sha256_file(path), sha256_hex("abc"));
  EXPECT_EQ(sha256_file(path + ".missing").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace fourbrain
