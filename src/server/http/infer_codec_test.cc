#include "server/http/infer_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace fourbrain::server::http {
namespace {

Result<std::unique_ptr<DecodedInfer>> decode(const std::string& body,
                                             std::optional<size_t> json_length = std::nullopt) {
  return decode_infer_request(body, json_length);
}

template <typename T>
std::vector<T> values_of(std::string_view data) {
  std::vector<T> out(data.size() / sizeof(T));
  std::memcpy(out.data(), data.data(), out.size() * sizeof(T));
  return out;
}

TEST(InferCodecTest, ConvertsJsonDataOfEveryType) {
  auto d = decode(R"({"id":"7","parameters":{"a":1,"b":"s","c":true,"d":0.5},"inputs":[
      {"name":"t","datatype":"BYTES","shape":[2,1],"data":[["hé"],["x"]]},
      {"name":"i","datatype":"INT64","shape":[3],"data":[-1,0,9007199254740993]},
      {"name":"u","datatype":"UINT8","shape":[2],"data":[0,255]},
      {"name":"b","datatype":"BOOL","shape":[2],"data":[true,false]},
      {"name":"f","datatype":"FP32","shape":[2,2],"data":[[1.5,-2],[0,3e-3]]}]})");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  const api::InferRequest& r = d.value()->request;
  EXPECT_EQ(r.id, "7");
  EXPECT_EQ(std::get<int64_t>(r.parameters.at("a")), 1);
  EXPECT_EQ(std::get<std::string>(r.parameters.at("b")), "s");
  EXPECT_EQ(std::get<bool>(r.parameters.at("c")), true);
  EXPECT_EQ(std::get<double>(r.parameters.at("d")), 0.5);
  ASSERT_EQ(r.inputs.size(), 5u);
  EXPECT_EQ(r.inputs[0].data, std::string("\x03\0\0\0h\xc3\xa9\x01\0\0\0x", 12));
  EXPECT_EQ(values_of<int64_t>(r.inputs[1].data), (std::vector<int64_t>{-1, 0, 9007199254740993}));
  EXPECT_EQ(values_of<uint8_t>(r.inputs[2].data), (std::vector<uint8_t>{0, 255}));
  EXPECT_EQ(values_of<uint8_t>(r.inputs[3].data), (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(values_of<float>(r.inputs[4].data), (std::vector<float>{1.5f, -2.f, 0.f, 3e-3f}));
  EXPECT_EQ(r.inputs[4].shape, (std::vector<int64_t>{2, 2}));
}

TEST(InferCodecTest, ReadsBinaryInputsInOrderAfterTheJsonHeader) {
  const std::string header =
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"j","datatype":"INT32","shape":[1],"data":[5]},)"
      R"({"name":"b","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}}],)"
      R"("outputs":[{"name":"o","parameters":{"binary_data":true}}]})";
  std::string body =
      header + std::string("\x01\0\0\0\x02\0\0\0", 8) + std::string("\x02\0\0\0hi", 6);
  auto d = decode(body, header.size());
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  const auto& in = d.value()->request.inputs;
  EXPECT_EQ(values_of<int32_t>(in[0].data), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(values_of<int32_t>(in[1].data), (std::vector<int32_t>{5}));
  EXPECT_EQ(in[2].data, std::string("\x02\0\0\0hi", 6));
  EXPECT_TRUE(d.value()->output_binary.at("o"));
  EXPECT_EQ(d.value()->request.requested_outputs, (std::vector<std::string>{"o"}));
}

TEST(InferCodecTest, RefusesMalformedRequestsWithAReason) {
  struct Case {
    std::string body;
    std::optional<size_t> json_length;
    std::string words;
  };
  const std::string bin = R"({"inputs":[{"name":"a","datatype":"INT32","shape":[2],)"
                          R"("parameters":{"binary_data_size":8}}]})";
  const std::vector<Case> cases = {
      {"{", std::nullopt, "failed to parse the request JSON"},
      {"[]", std::nullopt, "must be an object"},
      {R"({"inputs":{}})", std::nullopt, "'inputs' array"},
      {R"({"inputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})", std::nullopt, "no 'name'"},
      {R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1]}]})", std::nullopt,
       "1 data elements but its shape holds 2"},
      {R"({"inputs":[{"name":"x","datatype":"FP16","shape":[1],"data":[1]}]})", std::nullopt,
       "receiving FP16 data via JSON is not supported"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[300]}]})", std::nullopt,
       "not an integer in range"},
      {R"({"inputs":[{"name":"x","datatype":"UINT32","shape":[1],"data":[-1]}]})", std::nullopt,
       "not an integer in range"},
      {R"({"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":[1]}]})", std::nullopt,
       "must be a JSON string"},
      {R"({"inputs":[{"name":"x","datatype":"COMPLEX","shape":[1],"data":[1]}]})", std::nullopt,
       "unknown datatype"},
      {R"({"inputs":[{"name":"x","datatype":"FP32","shape":[-1],"data":[]}]})", std::nullopt,
       "negative dimension"},
      {R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1]}]})", std::nullopt,
       "neither 'data' nor binary_data_size"},
      {bin + "1234", bin.size(), "truncated"},
      {bin + "123456789", bin.size(), "1 unexpected bytes"},
      {bin, bin.size() + 1, "exceeds the body"},
      {bin, 0, "raw binary requests"},
      {R"({"inputs":[{"name":"a","datatype":"INT32","shape":[3],"parameters":{"binary_data_size":8}}]})",
       std::nullopt, "input byte size mismatch"},
      {R"({"inputs":[],"outputs":[{"name":"o","parameters":{"binary_data":1}}]})", std::nullopt,
       "binary_data must be a bool"},
      {std::string(200, '[') + std::string(200, ']'), std::nullopt, "must be an object"},
  };
  for (const Case& c : cases) {
    auto d = decode(c.body, c.json_length);
    ASSERT_FALSE(d.is_ok()) << c.body;
    EXPECT_NE(d.status().message().find(c.words), std::string::npos)
        << c.body << " -> " << d.status().message();
  }
}

TEST(InferCodecTest, EncodesJsonOrBinaryOutputsAsAsked) {
  api::InferResponse response;
  response.model_name = "m";
  response.model_version = "1";
  api::OutputTensor& t = response.outputs.emplace_back();
  t.name = "embedding";
  t.datatype = "FP32";
  t.shape = {1, 2};
  const float v[2] = {0.1f, -2.5f};
  t.data.assign(reinterpret_cast<const char*>(v), sizeof v);
  DecodedInfer json_request;
  EncodedResponse json = encode_infer_response(response, json_request);
  EXPECT_FALSE(json.json_length);
  EXPECT_EQ(json.body, R"({"model_name":"m","model_version":"1","outputs":[{"name":"embedding",)"
                       R"("datatype":"FP32","shape":[1,2],"data":[0.1,-2.5]}]})");
  DecodedInfer binary_request;
  binary_request.binary_output_default = true;
  response.id = "x";
  EncodedResponse bin = encode_infer_response(response, binary_request);
  ASSERT_TRUE(bin.json_length);
  const std::string header = bin.body.substr(0, *bin.json_length);
  EXPECT_NE(header.find(R"("id":"x")"), std::string::npos);
  EXPECT_NE(header.find(R"("parameters":{"binary_data_size":8})"), std::string::npos);
  EXPECT_EQ(bin.body.substr(*bin.json_length), t.data);
}

}  // namespace
}  // namespace fourbrain::server::http
