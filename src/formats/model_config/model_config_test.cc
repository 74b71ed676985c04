#include "formats/model_config/model_config.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

namespace fourbrain::formats {
namespace {

// triton.md §3.8.
constexpr const char* kExample = R"pb(name: "bge_small"  # optional
                                      backend: "onnxruntime"
                                      max_batch_size: 64  # 0 = no batching
                                          input
                                      [ {
                                        name: "input_ids"
                                        data_type: TYPE_INT64
                                        dims: [ -1 ]
                                      }
                                        , {
                                          name: "attention_mask"
                                          data_type: TYPE_INT64
                                          dims: [ -1 ]
                                        }] output
                                      [ {
                                        name: "embeddings"
                                        data_type: TYPE_FP32
                                        dims: [ 384 ]
                                      }] instance_group
                                      [ {
                                        kind: KIND_GPU
                                        count: 2
                                        gpus: [ 0 ]
                                      }]
                                      dynamic_batching {
                                        preferred_batch_size: [ 16, 32 ]
                                        max_queue_delay_microseconds: 2000
                                        default_queue_policy {
                                          timeout_action: REJECT
                                          default_timeout_microseconds: 500000
                                          allow_timeout_override: true
                                          max_queue_size: 1024
                                        }
                                      }
                                      version_policy: { latest: { num_versions: 1 } }
                                      parameters {
                                        key: "pooling"
                                        value: { string_value: "mean" }
                                      } model_warmup
                                      [ {
                                        name: "w"
                                        batch_size: 1
                                        inputs {
                                          key: "input_ids"
                                          value: {
                                            data_type: TYPE_INT64
                                            dims: [ 16 ]
                                            zero_data: true
                                          }
                                        }
                                        inputs {
                                          key: "attention_mask"
                                          value: {
                                            data_type: TYPE_INT64
                                            dims: [ 16 ]
                                            zero_data: true
                                          }
                                        }
                                      }]
                                      response_cache { enable: true }
)pb";

std::string parse_error(std::string_view text) {
  auto config = parse_model_config(text, "m/config.pbtxt");
  EXPECT_FALSE(config.is_ok());
  if (config.is_ok()) return "";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  return config.status().message();
}

TEST(ModelConfigTest, ParsesTritonExample) {
  auto config = parse_model_config(kExample, "bge_small/config.pbtxt");
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  EXPECT_EQ(config->name(), "bge_small");
  EXPECT_EQ(config->backend(), "onnxruntime");
  EXPECT_EQ(config->max_batch_size(), 64);
  ASSERT_EQ(config->input_size(), 2);
  EXPECT_EQ(config->input(1).name(), "attention_mask");
  EXPECT_EQ(config->input(0).data_type(), inference::TYPE_INT64);
  ASSERT_EQ(config->input(0).dims_size(), 1);
  EXPECT_EQ(config->input(0).dims(0), -1);
  EXPECT_EQ(config->output(0).dims(0), 384);
  EXPECT_EQ(config->output(0).data_type(), inference::TYPE_FP32);
  ASSERT_EQ(config->instance_group_size(), 1);
  EXPECT_EQ(config->instance_group(0).kind(), inference::ModelInstanceGroup::KIND_GPU);
  EXPECT_EQ(config->instance_group(0).count(), 2);
  ASSERT_TRUE(config->has_dynamic_batching());
  const auto& batching = config->dynamic_batching();
  EXPECT_EQ(batching.preferred_batch_size_size(), 2);
  EXPECT_EQ(batching.max_queue_delay_microseconds(), 2000u);
  EXPECT_EQ(batching.default_queue_policy().default_timeout_microseconds(), 500000u);
  EXPECT_TRUE(batching.default_queue_policy().allow_timeout_override());
  EXPECT_EQ(batching.default_queue_policy().max_queue_size(), 1024u);
  EXPECT_EQ(config->version_policy().latest().num_versions(), 1u);
  EXPECT_EQ(config->parameters().at("pooling").string_value(), "mean");
  ASSERT_EQ(config->model_warmup_size(), 1);
  EXPECT_TRUE(config->model_warmup(0).inputs().at("input_ids").zero_data());
  EXPECT_TRUE(config->response_cache().enable());
}

TEST(ModelConfigTest, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(parse_error("name: \"a\"\n  foo: 1\n"),
            "m/config.pbtxt:2:3: Message type \"inference.ModelConfig\" has no field named "
            "\"foo\".");
  EXPECT_EQ(parse_error("name: \"a\"\nmax_batch_size: \"x\"\n"),
            "m/config.pbtxt:2:17: Expected integer, got: \"x\"");
  // The culprit, not the token after it (protobuf reports the next line's `dims` here).
  EXPECT_EQ(parse_error("input {\n  data_type: TYPE_FP23\n  dims: [ 4 ]\n}\n"),
            "m/config.pbtxt:2:14: Unknown enumeration value of \"TYPE_FP23\" for field "
            "\"data_type\".");
  EXPECT_EQ(parse_error("name: \"a\"\ninput [ { name: \"x\" }\n"),
            "m/config.pbtxt:3:1: Expected \",\", found \"\".");
  EXPECT_EQ(parse_error("input [ { dims: [ 1,, 2 ] } ]"),
            "m/config.pbtxt:1:21: Expected integer, got: ,");
}

TEST(ModelConfigTest, RefusesWhatWeDoNotSupportOrRepeat) {
  EXPECT_EQ(parse_error("sequence_batching { }"),
            "m/config.pbtxt:1:1: Message type \"inference.ModelConfig\" has no field named "
            "\"sequence_batching\".");
  EXPECT_EQ(parse_error("name: \"a\"\nname: \"b\""),
            "m/config.pbtxt:2:1: Non-repeated field \"name\" is specified multiple times.");
  EXPECT_EQ(parse_error("version_policy { latest { } all { } }"),
            "m/config.pbtxt:1:29: Field \"all\" is specified along with field \"latest\", "
            "another member of oneof \"policy_choice\".");
  EXPECT_EQ(parse_error("max_batch_size: 2147483648"),
            "m/config.pbtxt:1:17: Integer out of range (2147483648)");
}

TEST(ModelConfigTest, RefusesInvalidUtf8Strings) {
  EXPECT_EQ(parse_error("parameters { key: \"a\" value { } }\nparameters {\n  key: \"\\xff\" }"),
            "m/config.pbtxt:3:3: String field \"key\" is not valid UTF-8.");
  EXPECT_EQ(parse_error("input { name: \"ok\" }\ninput { name: \"\\xc3\" }"),
            "m/config.pbtxt:2:9: String field \"name\" is not valid UTF-8.");
  auto config = parse_model_config("name: \"\\303\\251t\\xc3\\xa9\"", "c");
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  EXPECT_EQ(config->name(), "\xc3\xa9t\xc3\xa9");
}

TEST(ModelConfigTest, EmptyTextIsAnEmptyConfig) {
  auto config = parse_model_config("# nothing but a comment\n", "c");
  ASSERT_TRUE(config.is_ok());
  EXPECT_EQ(config->ByteSizeLong(), 0u);
}

TEST(ModelConfigTest, JsonAsTritonWritesIt) {
  auto config = parse_model_config(
      "name: \"m\" input { name: \"ids\" data_type: TYPE_INT64 dims: [ -1 ] }\n"
      "version_policy { specific { versions: [ 2, 9007199254740993 ] } }\n"
      "instance_group { kind: KIND_CPU }",
      "c");
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  const std::string json = model_config_to_json(*config);
  EXPECT_NE(json.find(R"("dims":[-1])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("versions":[2,9007199254740993])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("data_type":"TYPE_INT64")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("kind":"KIND_CPU")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("format":"FORMAT_NONE")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("max_batch_size":0)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("optional":false)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("output":[])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("parameters":{})"), std::string::npos) << json;
  EXPECT_EQ(json.find("dynamic_batching"), std::string::npos) << json;
  EXPECT_EQ(json.find("response_cache"), std::string::npos) << json;
}

TEST(ModelConfigTest, JsonWritesEveryInt64AsANumber) {
  auto config = parse_model_config(R"pb(
                                     input { reshape { shape: [ 1, -1 ] } }
                                     dynamic_batching {
                                       max_queue_delay_microseconds: 18446744073709551615
                                       priority_levels: 2
                                       default_queue_policy { default_timeout_microseconds: 7 }
                                       priority_queue_policy {
                                         key: 18446744073709551615
                                         value { default_timeout_microseconds: 5 }
                                       }
                                     }
                                     model_warmup {
                                       inputs {
                                         key: "x"
                                         value { dims: [ -9223372036854775808 ] }
                                       }
                                     }
                                     instance_group { secondary_devices { device_id: 3 } })pb",
                                   "c");
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  const std::string json = model_config_to_json(*config);
  for (const char* expected : {
           R"("shape":[1,-1])",
           R"("max_queue_delay_microseconds":18446744073709551615)",
           R"("priority_levels":2)",
           R"("default_priority_level":0)",
           R"("default_queue_policy":{"timeout_action":"REJECT","default_timeout_microseconds":7,)",
           R"("priority_queue_policy":{"18446744073709551615":{"timeout_action":"REJECT",)"
           R"("default_timeout_microseconds":5,)",
           R"("inputs":{"x":{"data_type":"TYPE_INVALID","dims":[-9223372036854775808]}})",
           R"("device_id":3)",
       }) {
    EXPECT_NE(json.find(expected), std::string::npos) << expected << "\n in " << json;
  }
}

TEST(ModelConfigTest, JsonRoundTrip) {
  auto config = parse_model_config(kExample, "c");
  ASSERT_TRUE(config.is_ok());
  const std::string json = model_config_to_json(*config);
  auto back = model_config_from_json(json);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*back, *config));
  // Map entries come out sorted, so the JSON itself is stable.
  EXPECT_EQ(model_config_to_json(*back), json);
  EXPECT_NE(json.find(R"("inputs":{"attention_mask":{)"), std::string::npos) << json;
}

TEST(ModelConfigTest, JsonOverrideAcceptsWhatTritonAccepts) {
  auto config = model_config_from_json(R"({
      "name": "m", "maxBatchSize": "8",
      "input": [{"name": "ids", "data_type": "type_int64", "dims": ["-1", 16]}],
      "dynamic_batching": {"priority_queue_policy": {"2": {"max_queue_size": 1}}}})");
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  EXPECT_EQ(config->max_batch_size(), 8);
  EXPECT_EQ(config->input(0).data_type(), inference::TYPE_INT64);
  EXPECT_EQ(config->input(0).dims(0), -1);
  EXPECT_EQ(config->input(0).dims(1), 16);
  EXPECT_EQ(config->dynamic_batching().priority_queue_policy().at(2).max_queue_size(), 1u);
}

TEST(ModelConfigTest, JsonOverrideRefusesUnknownFieldsAndBadJson) {
  auto unknown = model_config_from_json(R"({"name": "m", "max_batch_sise": 8})");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "invalid model config JSON: max_batch_sise: Cannot find field.");
  auto nested = model_config_from_json(R"({"input": [{"nmae": "x"}]})");
  ASSERT_FALSE(nested.is_ok());
  EXPECT_NE(nested.status().message().find("nmae"), std::string::npos);
  auto wrong_type = model_config_from_json(R"({"max_batch_size": "x"})");
  ASSERT_FALSE(wrong_type.is_ok());
  EXPECT_NE(wrong_type.status().message().find("max_batch_size"), std::string::npos);
  EXPECT_EQ(model_config_from_json(R"({"name": "m",})").status().message(),
            "invalid model config JSON at byte 13: Missing a name for object member.");
  EXPECT_EQ(model_config_from_json("{\"name\": \"\xff\"}").status().message(),
            "invalid model config JSON at byte 10: Invalid encoding in string.");
  EXPECT_EQ(model_config_from_json("[]").status().message(), "model config JSON must be an object");
  EXPECT_FALSE(model_config_from_json(R"({"sequence_batching": {}})").is_ok());
}

TEST(ModelConfigTest, DataTypeNames) {
  EXPECT_EQ(datatype_protocol_name(inference::TYPE_FP32), "FP32");
  EXPECT_EQ(datatype_protocol_name(inference::TYPE_STRING), "BYTES");
  EXPECT_EQ(datatype_protocol_name(inference::TYPE_BF16), "BF16");
  EXPECT_EQ(datatype_protocol_name(inference::TYPE_INVALID), "INVALID");
  EXPECT_EQ(datatype_protocol_name(static_cast<inference::DataType>(99)), "INVALID");
  for (int i = inference::DataType_MIN; i <= inference::DataType_MAX; ++i) {
    const auto type = static_cast<inference::DataType>(i);
    ASSERT_TRUE(inference::DataType_IsValid(i));
    // Every name is the enum's without "TYPE_", except STRING's.
    std::string expected = inference::DataType_Name(type).substr(5);
    if (type == inference::TYPE_STRING) expected = "BYTES";
    EXPECT_EQ(datatype_protocol_name(type), expected);
    if (type == inference::TYPE_INVALID) continue;
    EXPECT_EQ(datatype_from_protocol_name(expected), type) << expected;
  }
  EXPECT_EQ(datatype_from_protocol_name("INVALID"), std::nullopt);
  EXPECT_EQ(datatype_from_protocol_name("STRING"), std::nullopt);
  EXPECT_EQ(datatype_from_protocol_name("fp32"), std::nullopt);
}

TEST(ModelConfigTest, DataTypeSizes) {
  EXPECT_EQ(datatype_byte_size(inference::TYPE_BOOL), 1u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_UINT16), 2u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_FP16), 2u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_BF16), 2u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_INT32), 4u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_FP32), 4u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_INT64), 8u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_FP64), 8u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_STRING), 0u);
  EXPECT_EQ(datatype_byte_size(inference::TYPE_INVALID), 0u);
}

}  // namespace
}  // namespace fourbrain::formats
