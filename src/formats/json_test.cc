#include "formats/json.h"

#include <gtest/gtest.h>

namespace fourbrain::formats {
namespace {

TEST(JsonTest, ReadsTypedValues) {
  auto doc = JsonValue::parse(R"({"a": 3, "eps": 1e-06, "s": "x\u00e9", "b": true,
                                  "list": [1, 2], "n": null})", "cfg.json");
  ASSERT_TRUE(doc.is_ok()) << doc.status().to_string();
  EXPECT_EQ(*doc->get_int("a"), 3);
  EXPECT_EQ(*doc->get_double("eps"), 1e-6);
  EXPECT_EQ(*doc->get_string("s"), "x\xc3\xa9");
  EXPECT_TRUE(*doc->get_bool("b"));
  EXPECT_EQ(doc->find("list")->size(), 2u);
  EXPECT_EQ(doc->find("list")->at(1).as_int(), 2);
  EXPECT_TRUE(doc->find("n")->is_null());
  EXPECT_FALSE(doc->find("zzz").has_value());
}

TEST(JsonTest, ErrorsNameKeyAndSource) {
  auto doc = JsonValue::parse(R"({"a": "three"})", "cfg.json");
  ASSERT_TRUE(doc.is_ok());
  EXPECT_EQ(doc->get_int("a").status().message(), "key \"a\" must be an integer, got string");
  EXPECT_EQ(doc->get_int("b").status().code(), StatusCode::kNotFound);
  auto bad = JsonValue::parse("{\"a\": ", "cfg.json");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("cfg.json: invalid JSON at byte"), std::string::npos);
}

TEST(JsonTest, RejectsInvalidUtf8) {
  auto bad = JsonValue::parse("{\"a\": \"\xff\"}", "x.json");
  EXPECT_FALSE(bad.is_ok());
}

}  // namespace
}  // namespace fourbrain::formats
