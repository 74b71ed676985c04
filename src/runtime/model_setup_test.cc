// complete_model_config(): the boolean model parameters (quantize_embeddings,
// fp8_precise_accumulation) reach the model options; other values and unknown keys are
// refused with the key's name.
#include "runtime/model_setup.h"

#include <gtest/gtest.h>

#include "formats/model_config/model_config.h"

namespace fourbrain::runtime {
namespace {

Result<ModelSetup> setup_of(const std::string& parameters) {
  const std::string text =
      "backend: \"fourbrain\"\n"
      "parameters { key: \"task\" value { string_value: \"embedding\" } }\n" +
      parameters;
  auto config = formats::parse_model_config(text, "config.pbtxt");
  if (!config.is_ok()) return config.status();
  return complete_model_config("m", *config);
}

std::string param(const std::string& key, const std::string& value) {
  return "parameters { key: \"" + key + "\" value { string_value: \"" + value + "\" } }\n";
}

TEST(ModelSetupTest, BooleanParametersReachTheModelOptions) {
  auto plain = setup_of("");
  ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
  EXPECT_FALSE(plain->model_options.quantize_embeddings);
  EXPECT_FALSE(plain->model_options.fp8_precise_accumulation);
  auto both =
      setup_of(param("quantize_embeddings", "true") + param("fp8_precise_accumulation", "true"));
  ASSERT_TRUE(both.is_ok()) << both.status().to_string();
  EXPECT_TRUE(both->model_options.quantize_embeddings);
  EXPECT_TRUE(both->model_options.fp8_precise_accumulation);
  auto off = setup_of(param("fp8_precise_accumulation", "false"));
  ASSERT_TRUE(off.is_ok()) << off.status().to_string();
  EXPECT_FALSE(off->model_options.fp8_precise_accumulation);
}

// A quantized checkpoint runs as stored unless a precision is asked for.
TEST(ModelSetupTest, AutoPrecisionKeepsTheCheckpointQuantization) {
  for (const auto& [config, keep] :
       {std::pair{std::string(), true}, std::pair{param("precision", "auto"), true},
        std::pair{param("precision", "bf16"), false},
        std::pair{param("precision", "f32"), false}}) {
    auto setup = setup_of(config);
    ASSERT_TRUE(setup.is_ok()) << setup.status().to_string();
    EXPECT_EQ(setup->model_options.keep_checkpoint_quantization, keep) << config;
  }
}

TEST(ModelSetupTest, BadBooleansAndUnknownKeysAreRefused) {
  auto bad = setup_of(param("fp8_precise_accumulation", "yes"));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'fp8_precise_accumulation' must be true or false"),
            std::string::npos)
      << bad.status().to_string();
  auto unknown = setup_of(param("fast", "true"));
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("unknown parameter 'fast'"), std::string::npos)
      << unknown.status().to_string();
}

}  // namespace
}  // namespace fourbrain::runtime
