#include "formats/json_writer.h"

#include <gtest/gtest.h>

#include "formats/json.h"

namespace fourbrain::formats {
namespace {

TEST(JsonWriterTest, WritesNestedStructureThatParsesBack) {
  JsonWriter w;
  w.begin_object().key("ids").begin_array().value(1).value(2).end_array();
  w.key("text").value("a\"b\\c\n\x01 é").key("x").value(0.1f).key("ok").value(true);
  w.key("none").null().end_object();
  EXPECT_EQ(w.str(),
            "{\"ids\":[1,2],\"text\":\"a\\\"b\\\\c\\n\\u0001 é\",\"x\":0.1,\"ok\":true,"
            "\"none\":null}");
  auto parsed = JsonValue::parse(w.str(), "test");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed->get_string("text"), "a\"b\\c\n\x01 é");
  EXPECT_EQ(static_cast<float>(*parsed->get_double("x")), 0.1f);
}

TEST(JsonWriterTest, RawValuesNestLikeAnyOther) {
  JsonWriter inner;
  inner.begin_object().key("a").value(1).end_object();
  JsonWriter w;
  w.begin_object().key("first").raw_value(inner.str()).key("list").begin_array();
  w.raw_value("[]").raw_value(inner.str()).end_array().end_object();
  EXPECT_EQ(w.str(), "{\"first\":{\"a\":1},\"list\":[[],{\"a\":1}]}");
  EXPECT_TRUE(JsonValue::parse(w.str(), "test").is_ok());
}

TEST(JsonWriterTest, FloatsRoundTripExactly) {
  const float values[] = {1.0f / 3.0f, -1.17549435e-38f, 3.4028235e38f, 1e-45f, 0.0f};
  for (float v : values) {
    JsonWriter w;
    w.begin_array().value(v).end_array();
    auto parsed = JsonValue::parse(w.str(), "test");
    ASSERT_TRUE(parsed.is_ok());
    EXPECT_EQ(static_cast<float>(parsed->at(0).as_double()), v) << w.str();
  }
}

}  // namespace
}  // namespace fourbrain::formats
