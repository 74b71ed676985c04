// Damaged or unsupported BERT-family checkpoints: every problem is reported clearly, naming
// the file, and all tensor problems of a checkpoint come in one error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/file.h"
#include "formats/safetensors.h"
#include "formats/safetensors_writer.h"
#include "models/bert/bert_cross_encoder.h"
#include "models/bert/bert_embedder.h"
#include "test_data.h"

namespace fourbrain {
namespace {

namespace fs = std::filesystem;

class BertBadCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FB_REQUIRE_TEST_DATA();
    dir_ = ::testing::TempDir() + "/fb_bert_bad_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    testing::copy_dir(testing::test_data_path("xlmr-tiny-embedding"), dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  Status load_status() { return models::BertEmbedder::load(dir_, {}).status(); }

  void replace_in(const std::string& file, const std::string& from, const std::string& to) {
    std::string text = *read_file(dir_ + "/" + file);
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(dir_ + "/" + file) << text;
  }

  std::string dir_;
};

TEST_F(BertBadCheckpointTest, MissingUnexpectedAndMisshapedTensorsInOneError) {
  auto source = formats::Checkpoint::open(dir_);
  ASSERT_TRUE(source.is_ok()) << source.status().to_string();
  formats::SafetensorsWriter writer;
  std::vector<std::vector<uint8_t>> keep;
  keep.reserve(source->entries().size());
  for (const formats::TensorEntry& e : source->entries()) {
    if (e.name == "encoder.layer.1.output.dense.bias") continue;  // missing
    const std::string name = e.name == "encoder.layer.0.attention.self.key.weight"
                                 ? "encoder.layer.0.attention.self.kee.weight"
                                 : e.name;
    Shape shape = e.shape;
    const auto* bytes = static_cast<const uint8_t*>(e.tensor.raw_data());
    size_t nbytes = e.tensor.nbytes();
    if (e.name == "encoder.layer.1.intermediate.dense.bias") {  // [64] -> [32]
      shape = Shape({32});
      nbytes /= 2;
    }
    keep.emplace_back(bytes, bytes + nbytes);
    ASSERT_TRUE(writer.add(name, e.dtype, shape, keep.back()).is_ok());
  }
  const std::string rewritten = ::testing::TempDir() + "/fb_bert_rewritten.safetensors";
  ASSERT_TRUE(writer.write(rewritten).is_ok());
  *source = formats::Checkpoint();  // unmap before replacing the file
  fs::rename(rewritten, dir_ + "/model.safetensors");

  const Status s = load_status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  const std::string& error = s.message();
  EXPECT_NE(error.find("missing tensors: encoder.layer.0.attention.self.key.weight, "
                       "encoder.layer.1.output.dense.bias"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("unexpected tensors: encoder.layer.0.attention.self.kee.weight"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("encoder.layer.1.intermediate.dense.bias has shape [32], expected [64]"),
            std::string::npos)
      << error;
}

TEST_F(BertBadCheckpointTest, ConfigProblemsAreAllNamed) {
  replace_in("config.json", "\"hidden_size\": 32,", "");
  replace_in("config.json", "\"num_attention_heads\": 4,", "\"num_attention_heads\": \"4\",");
  const Status s = load_status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("config.json"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("\"hidden_size\" is missing"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("\"num_attention_heads\" must be"), std::string::npos)
      << s.to_string();
}

TEST_F(BertBadCheckpointTest, MoreLayersInTheConfigThanTheCheckpointHas) {
  replace_in("config.json", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
  const Status s = load_status();
  EXPECT_NE(s.message().find("missing tensors: encoder.layer.2."), std::string::npos)
      << s.to_string();
}

TEST_F(BertBadCheckpointTest, UnsupportedActivationAndPositionsAreUnsupported) {
  replace_in("config.json", "\"hidden_act\": \"gelu\"",
             "\"hidden_act\": \"relu\", \"position_embedding_type\": \"relative_key\"");
  const Status s = load_status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("hidden_act \"relu\""), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("relative_key"), std::string::npos) << s.to_string();
}

TEST_F(BertBadCheckpointTest, UnsupportedPoolingNamesTheFile) {
  replace_in("1_Pooling/config.json", "\"cls\"", "\"max\"");
  const Status s = load_status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("1_Pooling/config.json: pooling mode \"max\""), std::string::npos)
      << s.to_string();
  // An explicit override does not rescue a checkpoint whose files we cannot read right.
  models::BertEmbedderOptions options;
  options.pooling = models::EmbeddingPooling::kMean;
  EXPECT_FALSE(models::BertEmbedder::load(dir_, options).is_ok());
}

TEST_F(BertBadCheckpointTest, ExtraSentenceTransformersModuleIsUnsupported) {
  replace_in("modules.json", "\"path\": \"2_Normalize\",", "\"path\": \"2_Dense\",");
  replace_in("modules.json", "Normalize\"", "Dense\"");
  const Status s = load_status();
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
  EXPECT_NE(s.message().find("modules.json: module 2"), std::string::npos) << s.to_string();
}

TEST_F(BertBadCheckpointTest, NoSentenceTransformersFilesMeansMeanPooling) {
  fs::remove(dir_ + "/modules.json");
  auto embedder = models::BertEmbedder::load(dir_, {});
  ASSERT_TRUE(embedder.is_ok()) << embedder.status().to_string();
  EXPECT_EQ((*embedder)->config().pooling, models::EmbeddingPooling::kMean);
  EXPECT_FALSE((*embedder)->config().normalize);
}

TEST_F(BertBadCheckpointTest, LabelCountMustMatchTheClassifier) {
  testing::copy_dir(testing::test_data_path("bert-tiny-reranker"), dir_);
  // transformers writes the label count only as id2label.
  replace_in("config.json", "\"LABEL_0\"\n  },", "\"LABEL_0\", \"1\": \"LABEL_1\"\n  },");
  auto encoder = models::BertCrossEncoder::load(dir_, {});
  ASSERT_FALSE(encoder.is_ok());
  EXPECT_NE(
      encoder.status().message().find("classifier.weight has shape [1, 32], expected [2, 32]"),
      std::string::npos)
      << encoder.status().to_string();
}

TEST_F(BertBadCheckpointTest, MissingShardIsNotFound) {
  testing::copy_dir(testing::test_data_path("bert-tiny-reranker"), dir_);
  fs::remove(dir_ + "/model-00002-of-00002.safetensors");
  const Status s = models::BertCrossEncoder::load(dir_, {}).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.to_string();
  EXPECT_NE(s.message().find("model-00002-of-00002.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace fourbrain
