// BERT-family embedders against HuggingFace (f32 references from
// tools/bert/make_tiny_checkpoints.py): all-token hidden states and pooled vectors
// against transformers, embeddings against sentence-transformers' encode() (cosine >=
// 0.99999, max abs error <= 1e-4), Matryoshka-style truncation, pooling overrides, and
// batch invariance. Input ids come from the references (HF's tokenizer), so these tests
// do not depend on the C++ tokenizer; bert_served_test covers that path.
#include <gtest/gtest.h>

#include "bert_test_util.h"
#include "core/ragged_batch.h"
#include "models/bert/bert_embedder.h"

namespace fourbrain {
namespace {

using testing::cosine;
using testing::json_floats;
using testing::max_abs_diff;

struct Checkpoint {
  const char* dir;
  const char* refs;
  models::EmbeddingPooling pooling;
};

class BertEmbeddingTest : public ::testing::TestWithParam<Checkpoint> {
 protected:
  void SetUp() override {
    FB_REQUIRE_TEST_DATA();
    dir_ = testing::test_data_path(GetParam().dir);
    auto embedder = models::BertEmbedder::load(dir_, {});
    ASSERT_TRUE(embedder.is_ok()) << embedder.status().to_string();
    embedder_ = std::move(embedder).value();
    cases_ = testing::bert_cases(GetParam().refs);
    ASSERT_TRUE(cases_.has_value());
    ids_ = testing::case_ints(*cases_, "input_ids");
  }
  std::string dir_;
  std::unique_ptr<models::BertEmbedder> embedder_;
  std::optional<formats::JsonValue> cases_;
  std::vector<std::vector<int32_t>> ids_;
};

TEST_P(BertEmbeddingTest, ReadsTheSentenceTransformersSetup) {
  EXPECT_EQ(embedder_->config().pooling, GetParam().pooling);
  EXPECT_TRUE(embedder_->config().normalize);
  EXPECT_EQ(embedder_->config().max_length, 64u);
}

TEST_P(BertEmbeddingTest, MatchesSentenceTransformersOneByOne) {
  testing::ErrorStats stats(std::string(GetParam().dir) + " embeddings vs sentence-transformers");
  testing::ErrorStats dim_stats(std::string(GetParam().dir) + " truncated to 8/16 dims");
  for (size_t i = 0; i < cases_->size(); ++i) {
    const formats::JsonValue c = cases_->at(i);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + std::string(c.find("text")->as_string()));
    auto got = embedder_->embed({ids_[i]});
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    const std::vector<float> want = json_floats(*c.find("embedding"));
    ASSERT_EQ((*got)[0].size(), want.size());
    EXPECT_GE(cosine((*got)[0], want), 0.99999);
    EXPECT_LE(max_abs_diff((*got)[0], want), 1e-4);
    stats.add((*got)[0], want);
    c.find("embedding_dims")->for_each_member([&](std::string_view d, const formats::JsonValue& v) {
      auto truncated = embedder_->embed({ids_[i]}, std::stoll(std::string(d)));
      ASSERT_TRUE(truncated.is_ok());
      EXPECT_LE(max_abs_diff((*truncated)[0], json_floats(v)), 1e-4) << "dims " << d;
      dim_stats.add((*truncated)[0], json_floats(v));
    });
  }
}

TEST_P(BertEmbeddingTest, HiddenStatesOfEveryTokenMatchTransformers) {
  testing::ErrorStats stats(std::string(GetParam().dir) + " last_hidden_state rows");
  int checked = 0;
  for (size_t i = 0; i < cases_->size(); ++i) {
    auto hidden = cases_->at(i).find("hidden");
    if (!hidden) continue;
    const std::vector<std::vector<int32_t>> one = {ids_[i]};
    auto got = embedder_->model().forward(RaggedBatch::from_sequences(one), {});
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    ASSERT_EQ(got->dim(0), static_cast<int64_t>(hidden->size()));
    const int64_t h = got->dim(1);
    for (size_t t = 0; t < hidden->size(); ++t) {
      const float* row = got->data<float>() + static_cast<int64_t>(t) * h;
      const std::vector<float> want = json_floats(hidden->at(t));
      const std::vector<float> have(row, row + h);
      EXPECT_LE(max_abs_diff(have, want), 1e-4) << "case " << i << " token " << t;
      stats.add(have, want);
    }
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

TEST_P(BertEmbeddingTest, PoolingOverridesMatchTransformers) {
  const std::pair<models::EmbeddingPooling, const char*> modes[] = {
      {models::EmbeddingPooling::kMean, "mean"},
      {models::EmbeddingPooling::kCls, "cls"},
      {models::EmbeddingPooling::kLastToken, "lasttoken"}};
  for (const auto& [mode, key] : modes) {
    models::BertEmbedderOptions options;
    options.pooling = mode;
    options.normalize = false;
    auto embedder = models::BertEmbedder::load(dir_, options);
    ASSERT_TRUE(embedder.is_ok()) << embedder.status().to_string();
    auto got = (*embedder)->embed(ids_);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    testing::ErrorStats stats(std::string(GetParam().dir) + " " + key + " pooling (raw)");
    for (size_t i = 0; i < ids_.size(); ++i) {
      const std::vector<float> want = json_floats(*cases_->at(i).find("pooled")->find(key));
      EXPECT_LE(max_abs_diff((*got)[i], want), 1e-4) << key << " case " << i;
      stats.add((*got)[i], want);
    }
  }
}

TEST_P(BertEmbeddingTest, BatchInvariance) {
  auto together = embedder_->embed(ids_);
  ASSERT_TRUE(together.is_ok()) << together.status().to_string();
  double worst = 0.0;
  for (size_t i = 0; i < ids_.size(); ++i) {
    auto alone = embedder_->embed({ids_[i]});
    ASSERT_TRUE(alone.is_ok());
    worst = std::max(worst, max_abs_diff((*alone)[0], (*together)[i]));
  }
  std::printf("[ stats    ] %s batch invariance: max abs diff %.3g over %zu sequences\n",
              GetParam().dir, worst, ids_.size());
  EXPECT_LE(worst, 1e-5);
}

TEST_P(BertEmbeddingTest, BatchSplittingDoesNotChangeResults) {
  models::BertEmbedderOptions options;
  options.max_batch_tokens = 16;
  auto small = models::BertEmbedder::load(dir_, options);
  ASSERT_TRUE(small.is_ok());
  auto a = embedder_->embed(ids_);
  auto b = (*small)->embed(ids_);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  for (size_t i = 0; i < ids_.size(); ++i) EXPECT_LE(max_abs_diff((*a)[i], (*b)[i]), 1e-5);
}

TEST_P(BertEmbeddingTest, Bf16PrecisionStaysClose) {
  models::BertEmbedderOptions options;
  options.precision = ops::MatmulPrecision::kBF16;
  auto bf16 = models::BertEmbedder::load(dir_, options);
  ASSERT_TRUE(bf16.is_ok());
  auto got = (*bf16)->embed(ids_);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  testing::ErrorStats stats(std::string(GetParam().dir) + " bf16 GEMMs vs f32 reference");
  for (size_t i = 0; i < ids_.size(); ++i) {
    const std::vector<float> want = json_floats(*cases_->at(i).find("embedding"));
    EXPECT_GE(cosine((*got)[i], want), 0.999) << "case " << i;
    stats.add((*got)[i], want);
  }
}

TEST_P(BertEmbeddingTest, RejectsBadInputs) {
  auto bad_dims = embedder_->embed({ids_[0]}, 100000);
  EXPECT_EQ(bad_dims.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(embedder_->embed({{}}).status().code(), StatusCode::kInvalidArgument);
  const auto vocab = static_cast<int32_t>(embedder_->model().vocab_size());
  Status s = embedder_->embed({{0, vocab}}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  // Longer than the position table: a clear error, not an out-of-range read.
  const int64_t limit = embedder_->model().config().max_tokens();
  s = embedder_->embed({std::vector<int32_t>(static_cast<size_t>(limit) + 1, 5)}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("position table"), std::string::npos) << s.to_string();
  EXPECT_TRUE(embedder_->embed({std::vector<int32_t>(static_cast<size_t>(limit), 5)}).is_ok());
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, BertEmbeddingTest,
                         ::testing::Values(Checkpoint{"bert-tiny-embedding", "bert_embedding",
                                                      models::EmbeddingPooling::kMean},
                                           Checkpoint{"xlmr-tiny-embedding", "xlmr_embedding",
                                                      models::EmbeddingPooling::kCls}),
                         [](const auto& info) {
                           return info.param.dir[0] == 'b' ? "Bert" : "XlmRoberta";
                         });

}  // namespace
}  // namespace fourbrain
