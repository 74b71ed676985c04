#include "models/bert/bert_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "models/bert/bert_st_config.h"

namespace fourbrain::models {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMiniLm = R"({"architectures": ["BertModel"], "hidden_act": "gelu",
  "hidden_size": 384, "intermediate_size": 1536, "layer_norm_eps": 1e-12,
  "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
  "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute",
  "type_vocab_size": 2, "vocab_size": 30522})";

TEST(BertConfig, ParsesAllMiniLm) {
  auto c = BertConfig::parse(kMiniLm, "config.json");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->family, BertFamily::kBert);
  EXPECT_EQ(c->head, BertHead::kNone);
  EXPECT_EQ(c->head_dim(), 32);
  EXPECT_EQ(c->position_offset(), 0);
  EXPECT_EQ(c->max_tokens(), 512);
  EXPECT_DOUBLE_EQ(c->layer_norm_eps, 1e-12);
}

TEST(BertConfig, RobertaPositionsStartAfterThePadId) {
  auto c = BertConfig::parse(R"({"model_type": "xlm-roberta", "hidden_size": 768,
    "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
    "max_position_embeddings": 514, "type_vocab_size": 1, "pad_token_id": 1,
    "hidden_act": "gelu", "architectures": ["XLMRobertaForSequenceClassification"],
    "id2label": {"0": "LABEL_0"}})",
                             "config.json");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->family, BertFamily::kRoberta);
  EXPECT_EQ(c->head, BertHead::kRobertaSeqCls);
  EXPECT_EQ(c->position_offset(), 2);
  EXPECT_EQ(c->max_tokens(), 512);
  EXPECT_EQ(c->num_labels, 1);
}

TEST(BertConfig, ReportsEveryProblemAtOnce) {
  auto c = BertConfig::parse(R"({"model_type": "bert", "hidden_size": 30,
    "num_attention_heads": 4, "num_hidden_layers": "2"})",
                             "dir/config.json");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("dir/config.json"), std::string::npos) << m;
  EXPECT_NE(m.find("\"intermediate_size\" is missing"), std::string::npos) << m;
  EXPECT_NE(m.find("\"num_hidden_layers\" must be an integer"), std::string::npos) << m;
  EXPECT_NE(m.find("not a multiple of num_attention_heads"), std::string::npos) << m;
}

TEST(BertConfig, UnsupportedFeaturesAreUnsupported) {
  std::string text = kMiniLm;
  text.replace(text.find("\"absolute\""), 10, "\"relative_key_query\"");
  auto c = BertConfig::parse(text, "config.json");
  EXPECT_EQ(c.status().code(), StatusCode::kUnsupported);
  text = kMiniLm;
  text.replace(text.find("\"BertModel\""), 11, "\"BertForTokenClassification\"");
  EXPECT_EQ(BertConfig::parse(text, "config.json").status().code(), StatusCode::kUnsupported);
  text = kMiniLm;
  text.replace(text.find("\"bert\""), 6, "\"distilbert\"");
  EXPECT_EQ(BertConfig::parse(text, "config.json").status().code(), StatusCode::kInvalidArgument);
  text = kMiniLm;
  text.replace(text.find("\"gelu\""), 6, "\"gelu_new\"");
  auto tanh_gelu = BertConfig::parse(text, "config.json");
  ASSERT_TRUE(tanh_gelu.is_ok());
  EXPECT_EQ(tanh_gelu->hidden_act, BertActivation::kGeluTanh);
}

// A scratch checkpoint folder with sentence-transformers files.
class StConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/fb_st_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/1_Pooling");
    config_ = *BertConfig::parse(kMiniLm, "config.json");
    write("config.json", kMiniLm);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  void modules(bool normalize) {
    write(
        "modules.json",
        std::string(
            R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})") +
            (normalize ? R"(, {"idx": 2, "name": "2", "path": "2_Normalize",
        "type": "sentence_transformers.models.Normalize"}])"
                       : "]"));
  }
  std::string dir_;
  BertConfig config_;
};

TEST_F(StConfigTest, OldStyleFilesAsAllMiniLmHasThem) {
  modules(true);
  write("1_Pooling/config.json", R"({"word_embedding_dimension": 384,
    "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
    "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false})");
  write("sentence_bert_config.json", R"({"max_seq_length": 256, "do_lower_case": false})");
  write("tokenizer_config.json", R"({"model_max_length": 512})");
  auto c = SentenceEmbeddingConfig::load(dir_, config_);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->pooling, EmbeddingPooling::kMean);
  EXPECT_TRUE(c->normalize);
  EXPECT_EQ(c->max_length, 256u);
}

TEST_F(StConfigTest, NewStyleFilesAndLengthFallbacks) {
  modules(false);
  write("1_Pooling/config.json", R"({"embedding_dimension": 384, "pooling_mode": "lasttoken",
    "include_prompt": false})");
  write("tokenizer_config.json", R"({"model_max_length": 1000000000000000019884624838656})");
  auto c = SentenceEmbeddingConfig::load(dir_, config_);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->pooling, EmbeddingPooling::kLastToken);
  EXPECT_FALSE(c->normalize);
  EXPECT_FALSE(c->include_prompt);
  EXPECT_EQ(c->max_length, 512u);  // "no limit": the position table's
  write("tokenizer_config.json", R"({"model_max_length": 8192})");
  EXPECT_EQ(SentenceEmbeddingConfig::load(dir_, config_)->max_length, 512u);  // capped
  write("tokenizer_config.json", R"({"model_max_length": 128})");
  EXPECT_EQ(SentenceEmbeddingConfig::load(dir_, config_)->max_length, 128u);
}

TEST_F(StConfigTest, UnsupportedPoolingIsNamed) {
  modules(true);
  write("1_Pooling/config.json", R"({"pooling_mode": ["mean", "max"]})");
  auto two = SentenceEmbeddingConfig::load(dir_, config_);
  EXPECT_EQ(two.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(two.status().message().find("2 pooling modes (mean, max)"), std::string::npos)
      << two.status().to_string();
  write("1_Pooling/config.json", R"({"pooling_mode_mean_sqrt_len_tokens": true})");
  auto sqrt = SentenceEmbeddingConfig::load(dir_, config_);
  EXPECT_EQ(sqrt.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(sqrt.status().message().find("1_Pooling/config.json"), std::string::npos);
  write("1_Pooling/config.json", R"({"pooling_mode": "cls"})");
  write("sentence_bert_config.json", R"({"max_seq_length": 256, "do_lower_case": true})");
  EXPECT_EQ(SentenceEmbeddingConfig::load(dir_, config_).status().code(), StatusCode::kUnsupported);
}

TEST_F(StConfigTest, NoModulesJsonIsPlainMeanPooling) {
  auto c = SentenceEmbeddingConfig::load(dir_, config_);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->pooling, EmbeddingPooling::kMean);
  EXPECT_FALSE(c->normalize);
  EXPECT_EQ(c->max_length, 512u);
}

TEST_F(StConfigTest, CrossEncoderActivation) {
  auto c = CrossEncoderConfig::load(dir_, config_);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_TRUE(c->sigmoid);  // num_labels 1 and nothing said: CrossEncoder's default
  write("config_sentence_transformers.json",
        R"({"model_type": "CrossEncoder", "activation_fn": "torch.nn.modules.linear.Identity"})");
  EXPECT_FALSE(CrossEncoderConfig::load(dir_, config_)->sigmoid);
  fs::remove(dir_ + "/config_sentence_transformers.json");
  std::string with_st = kMiniLm;
  with_st.insert(
      1, R"("sentence_transformers": {"activation_fn": "torch.nn.modules.activation.Tanh"}, )");
  write("config.json", with_st);
  auto tanh = CrossEncoderConfig::load(dir_, config_);
  EXPECT_EQ(tanh.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(tanh.status().message().find("Tanh"), std::string::npos);
  write("tokenizer_config.json", R"({"model_max_length": 64})");
  write("config.json", kMiniLm);
  EXPECT_EQ(CrossEncoderConfig::load(dir_, config_)->max_length, 64u);
}

}  // namespace
}  // namespace fourbrain::models
