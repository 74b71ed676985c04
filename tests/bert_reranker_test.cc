// BERT-family cross-encoders against HuggingFace (references from
// tools/bert/make_tiny_checkpoints.py): CrossEncoder.predict scores and raw logits within
// 1e-4, the token type rule of run() against the tokenizer's, and batch invariance.
#include <gtest/gtest.h>

#include <cmath>

#include "bert_test_util.h"
#include "models/bert/bert_cross_encoder.h"

namespace fourbrain {
namespace {

using testing::json_floats;
using testing::max_abs_diff;

struct Checkpoint {
  const char* dir;
  const char* refs;
  std::optional<int32_t> separator;  // [SEP] for BERT; XLM-R has one token type
};

class BertRerankerTest : public ::testing::TestWithParam<Checkpoint> {
 protected:
  void SetUp() override {
    FB_REQUIRE_TEST_DATA();
    dir_ = testing::test_data_path(GetParam().dir);
    models::BertCrossEncoderOptions options;
    options.separator_id = GetParam().separator;
    auto encoder = models::BertCrossEncoder::load(dir_, options);
    ASSERT_TRUE(encoder.is_ok()) << encoder.status().to_string();
    encoder_ = std::move(encoder).value();
    cases_ = testing::bert_cases(GetParam().refs);
    ASSERT_TRUE(cases_.has_value());
    ids_ = testing::case_ints(*cases_, "input_ids");
    type_ids_ = testing::case_ints(*cases_, "token_type_ids");
    for (size_t i = 0; i < cases_->size(); ++i) {
      scores_.push_back(static_cast<float>(cases_->at(i).find("score")->as_double()));
      logits_.push_back(static_cast<float>(cases_->at(i).find("logit")->as_double()));
    }
  }
  std::string dir_;
  std::unique_ptr<models::BertCrossEncoder> encoder_;
  std::optional<formats::JsonValue> cases_;
  std::vector<std::vector<int32_t>> ids_, type_ids_;
  std::vector<float> scores_, logits_;
};

TEST_P(BertRerankerTest, MatchesCrossEncoderPredict) {
  EXPECT_TRUE(encoder_->config().sigmoid);
  EXPECT_EQ(encoder_->config().max_length, 64u);
  auto got = encoder_->score(ids_, type_ids_);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  const double err = max_abs_diff(*got, scores_);
  std::printf("[ stats    ] %s scores vs CrossEncoder.predict: %zu pairs, max abs err %.3g\n",
              GetParam().dir, ids_.size(), err);
  EXPECT_LE(err, 1e-4);
}

TEST_P(BertRerankerTest, RawLogitsMatchTransformers) {
  models::BertCrossEncoderOptions options;
  options.sigmoid = false;
  auto raw = models::BertCrossEncoder::load(dir_, options);
  ASSERT_TRUE(raw.is_ok());
  auto got = (*raw)->score(ids_, type_ids_);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  const double err = max_abs_diff(*got, logits_);
  std::printf("[ stats    ] %s logits vs transformers: max abs err %.3g\n", GetParam().dir, err);
  EXPECT_LE(err, 1e-4);
}

TEST_P(BertRerankerTest, RunRecomputesTheTokenTypesOfEveryPair) {
  for (size_t i = 0; i < ids_.size(); ++i) {
    EXPECT_EQ(encoder_->pair_type_ids(ids_[i]), type_ids_[i]) << "case " << i;
  }
  std::vector<float> got(ids_.size());
  std::vector<models::SequenceJob> jobs;
  for (size_t i = 0; i < ids_.size(); ++i) jobs.push_back({ids_[i], 0, &got[i]});
  ASSERT_TRUE(encoder_->run(jobs).is_ok());
  EXPECT_LE(max_abs_diff(got, scores_), 1e-4);
}

TEST_P(BertRerankerTest, BatchInvariance) {
  auto together = encoder_->score(ids_, type_ids_);
  ASSERT_TRUE(together.is_ok());
  double worst = 0.0;
  for (size_t i = 0; i < ids_.size(); ++i) {
    auto alone = encoder_->score({ids_[i]}, {type_ids_[i]});
    ASSERT_TRUE(alone.is_ok());
    worst = std::max(worst, double(std::fabs((*alone)[0] - (*together)[i])));
  }
  std::printf("[ stats    ] %s batch invariance: max abs diff %.3g\n", GetParam().dir, worst);
  EXPECT_LE(worst, 1e-5);
  models::BertCrossEncoderOptions options;
  options.separator_id = GetParam().separator;
  options.max_batch_tokens = 40;
  auto split = models::BertCrossEncoder::load(dir_, options);
  ASSERT_TRUE(split.is_ok());
  auto pieces = (*split)->score(ids_, type_ids_);
  ASSERT_TRUE(pieces.is_ok());
  EXPECT_LE(max_abs_diff(*pieces, *together), 1e-5);
}

TEST_P(BertRerankerTest, Bf16PrecisionStaysClose) {
  models::BertCrossEncoderOptions options;
  options.precision = ops::MatmulPrecision::kBF16;
  auto bf16 = models::BertCrossEncoder::load(dir_, options);
  ASSERT_TRUE(bf16.is_ok());
  auto got = (*bf16)->score(ids_, type_ids_);
  ASSERT_TRUE(got.is_ok());
  const double err = max_abs_diff(*got, scores_);
  std::printf("[ stats    ] %s bf16 GEMMs: max abs score err %.3g\n", GetParam().dir, err);
  EXPECT_LE(err, 1e-2);
}

TEST_P(BertRerankerTest, RejectsBadInputs) {
  EXPECT_EQ(encoder_->score({ids_[0]}, {{0}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(encoder_->score({{}}, {}).status().code(), StatusCode::kInvalidArgument);
  std::vector<int32_t> types(ids_[0].size(), 2);  // type_vocab_size is 2 or 1
  Status s = encoder_->score({ids_[0]}, {types}).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("token type id 2"), std::string::npos) << s.to_string();
}

INSTANTIATE_TEST_SUITE_P(
    Checkpoints, BertRerankerTest,
    ::testing::Values(Checkpoint{"bert-tiny-reranker", "bert_reranker", 102},
                      Checkpoint{"xlmr-tiny-reranker", "xlmr_reranker", std::nullopt}),
    [](const auto& info) { return info.param.dir[0] == 'b' ? "Bert" : "XlmRoberta"; });

TEST(BertCrossEncoder, RefusesAnEmbeddingCheckpoint) {
  FB_REQUIRE_TEST_DATA();
  auto encoder = models::BertCrossEncoder::load(testing::test_data_path("bert-tiny-embedding"), {});
  ASSERT_FALSE(encoder.is_ok());
  EXPECT_NE(encoder.status().message().find("sequence-classification"), std::string::npos)
      << encoder.status().to_string();
}

}  // namespace
}  // namespace fourbrain
