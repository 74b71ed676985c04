#include "api/bytes_tensor.h"

#include <gtest/gtest.h>

namespace fourbrain::api {
namespace {

TEST(BytesTensor, SplitsWhatItJoined) {
  std::string data;
  append_bytes_element(data, "ab");
  append_bytes_element(data, "");
  append_bytes_element(data, "xyz");
  auto parts = split_bytes_elements(data, 3);
  ASSERT_TRUE(parts.is_ok());
  EXPECT_EQ((*parts)[0], "ab");
  EXPECT_EQ((*parts)[1], "");
  EXPECT_EQ((*parts)[2], "xyz");
  EXPECT_FALSE(split_bytes_elements(data, 2).is_ok());
  EXPECT_FALSE(split_bytes_elements(data.substr(0, 5), 1).is_ok());
}

// A request's shape may claim any element count: the split must not reserve memory for it
// (the fuzzer found a 10 GB reservation) but answer with an error.
TEST(BytesTensor, AHugeClaimedCountIsAnErrorNotAnAllocation) {
  std::string data;
  append_bytes_element(data, "one");
  auto parts = split_bytes_elements(data, size_t{1} << 40);
  ASSERT_FALSE(parts.is_ok());
  EXPECT_NE(parts.status().message().find("expected"), std::string::npos);
}

}  // namespace
}  // namespace fourbrain::api
