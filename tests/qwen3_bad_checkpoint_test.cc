// Damaged Qwen3 checkpoints: every problem is reported clearly, naming the file, and all
// tensor problems of a checkpoint come in one error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/file.h"
#include "formats/safetensors.h"
#include "formats/safetensors_writer.h"
#include "models/qwen3/qwen3_embedder.h"
#include "models/qwen3/qwen3_model.h"
#include "test_data.h"

namespace fourbrain {
namespace {

namespace fs = std::filesystem;

class BadCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FB_REQUIRE_TEST_DATA();
    dir_ = ::testing::TempDir() + "/fb_bad_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    testing::copy_dir(testing::test_data_path("qwen3-tiny-embedding"), dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string load_error() {
    auto model = models::Qwen3Model::load(dir_, {});
    EXPECT_FALSE(model.is_ok());
    return model.is_ok() ? "" : model.status().to_string();
  }

  void replace_in_config(const std::string& from, const std::string& to) {
    std::string text = *read_file(dir_ + "/config.json");
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(dir_ + "/config.json") << text;
  }

  std::string dir_;
};

TEST_F(BadCheckpointTest, ConfigMissingRequiredFieldsNamesThemAll) {
  replace_in_config("\"hidden_size\": 64,", "");
  replace_in_config("\"num_attention_heads\": 4,", "");
  const std::string error = load_error();
  EXPECT_NE(error.find("config.json"), std::string::npos) << error;
  EXPECT_NE(error.find("hidden_size"), std::string::npos) << error;
  EXPECT_NE(error.find("num_attention_heads"), std::string::npos) << error;
}

TEST_F(BadCheckpointTest, ConfigWrongTypeIsNamed) {
  replace_in_config("\"num_hidden_layers\": 3", "\"num_hidden_layers\": \"3\"");
  const std::string error = load_error();
  EXPECT_NE(error.find("num_hidden_layers"), std::string::npos) << error;
  EXPECT_NE(error.find("must be an integer"), std::string::npos) << error;
}

TEST_F(BadCheckpointTest, ConfigThatIsNotJson) {
  std::ofstream(dir_ + "/config.json") << "{\"hidden_size\": 64,";
  EXPECT_NE(load_error().find("config.json: invalid JSON"), std::string::npos);
}

TEST_F(BadCheckpointTest, TruncatedSafetensorsNamesTheFile) {
  const std::string path = dir_ + "/model.safetensors";
  fs::resize_file(path, fs::file_size(path) / 2);
  const std::string error = load_error();
  EXPECT_NE(error.find("model.safetensors"), std::string::npos) << error;
}

TEST_F(BadCheckpointTest, MissingShardIsNotFound) {
  testing::copy_dir(testing::test_data_path("qwen3-tiny-reranker"), dir_);
  fs::remove(dir_ + "/model-00002-of-00003.safetensors");
  auto model = models::Qwen3Model::load(dir_, {});
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
  EXPECT_NE(model.status().message().find("model-00002-of-00003.safetensors"), std::string::npos)
      << model.status().to_string();
}

TEST_F(BadCheckpointTest, MissingUnexpectedAndMisshapedTensorsInOneError) {
  // Rewrite the checkpoint: drop one tensor, rename one, and give one a wrong shape.
  auto source = formats::Checkpoint::open(dir_);
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  formats::SafetensorsWriter writer;
  std::vector<std::vector<uint8_t>> keep;
  for (const formats::TensorEntry& e : source->entries()) {
    if (e.name == "layers.1.mlp.up_proj.weight") continue;  // missing
    std::string name = e.name == "layers.2.self_attn.k_norm.weight" ? "layers.2.self_attn.k_nrom.weight"
                                                                     : e.name;
    Shape shape = e.shape;
    const auto* bytes = static_cast<const uint8_t*>(e.tensor.raw_data());
    size_t nbytes = e.tensor.nbytes();
    if (e.name == "layers.0.self_attn.q_norm.weight") {  // [128] -> [64]
      shape = Shape({64});
      nbytes /= 2;
    }
    keep.emplace_back(bytes, bytes + nbytes);
    ASSERT_TRUE(writer.add(name, e.dtype, shape, keep.back()).is_ok());
  }
  const std::string rewritten = ::testing::TempDir() + "/fb_rewritten.safetensors";
  ASSERT_TRUE(writer.write(rewritten).is_ok());
  *source = formats::Checkpoint();  // unmap before replacing the file
  fs::rename(rewritten, dir_ + "/model.safetensors");

  const std::string error = load_error();
  EXPECT_NE(error.find("missing tensors: layers.1.mlp.up_proj.weight, layers.2.self_attn.k_norm.weight"),
            std::string::npos) << error;
  EXPECT_NE(error.find("unexpected tensors: layers.2.self_attn.k_nrom.weight"), std::string::npos)
      << error;
  EXPECT_NE(error.find("layers.0.self_attn.q_norm.weight has shape [64], expected [128]"),
            std::string::npos) << error;
}

TEST_F(BadCheckpointTest, TokenIdOutsideTheEmbeddingTable) {
  auto model = models::Qwen3Model::load(dir_, {});
  ASSERT_TRUE(model.is_ok());
  const std::vector<std::vector<int32_t>> seqs = {{1, 2, 200000}};
  auto out = (*model)->forward_last_tokens(RaggedBatch::from_sequences(seqs));
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fourbrain
