// Qwen3-Reranker (causal-LM yes/no head, untied, f16, sharded) and its seq-cls conversion
// (f32, tokenizer from vocab.json + merges.txt) against HuggingFace transformers: identical
// prompt ids and scores within 1e-4, truncation at a small max_length, batch invariance.
#include <gtest/gtest.h>

#include "models/qwen3/qwen3_reranker.h"
#include "test_data.h"

namespace fourbrain {
namespace {

void check_against_references(const std::string& checkpoint, const std::string& key) {
  auto reranker = models::Qwen3Reranker::load(testing::test_data_path(checkpoint), {});
  ASSERT_TRUE(reranker.is_ok()) << reranker.status().to_string();
  auto cases = testing::qwen3_references().find(key);
  ASSERT_TRUE(cases.has_value());
  ASSERT_GE(cases->size(), 10u);
  // Group the cases that share (instruction, max_length) into one request: this also
  // checks that a ragged batch gives each document its own score.
  for (size_t i = 0; i < cases->size(); ++i) {
    const formats::JsonValue c = cases->at(i);
    std::optional<std::string> instruction;
    if (!c.find("instruction")->is_null()) instruction = std::string(c.find("instruction")->as_string());
    const auto max_length = static_cast<size_t>(c.find("max_length")->as_int());
    const std::string query(c.find("query")->as_string());
    const std::string doc(c.find("document")->as_string());
    SCOPED_TRACE(key + " case " + std::to_string(i));
    auto ids = (*reranker)->input_ids(query, doc, instruction, max_length);
    ASSERT_TRUE(ids.is_ok()) << ids.status().to_string();
    EXPECT_EQ(*ids, testing::json_ints(*c.find("input_ids")));
    auto scores = (*reranker)->score({query, {doc, "padding document of another length"},
                                      instruction, max_length});
    ASSERT_TRUE(scores.is_ok()) << scores.status().to_string();
    EXPECT_NEAR((*scores)[0], c.find("score")->as_double(), 1e-4);
    auto alone = (*reranker)->score({query, {doc}, instruction, max_length});
    ASSERT_TRUE(alone.is_ok());
    EXPECT_NEAR((*alone)[0], (*scores)[0], 1e-5);
  }
}

TEST(Qwen3RerankerTest, CausalLmHeadMatchesTransformers) {
  FB_REQUIRE_TEST_DATA();
  check_against_references("qwen3-tiny-reranker", "reranker");
}

TEST(Qwen3RerankerTest, SeqClsConversionMatchesTransformers) {
  FB_REQUIRE_TEST_DATA();
  check_against_references("qwen3-tiny-seqcls", "seqcls");
}

TEST(Qwen3RerankerTest, EmbeddingCheckpointIsNotAReranker) {
  FB_REQUIRE_TEST_DATA();
  auto reranker = models::Qwen3Reranker::load(testing::test_data_path("qwen3-tiny-embedding"), {});
  ASSERT_FALSE(reranker.is_ok());
  EXPECT_NE(reranker.status().message().find("not a reranker"), std::string::npos);
}

TEST(Qwen3RerankerTest, RejectsMaxLengthShorterThanPrompt) {
  FB_REQUIRE_TEST_DATA();
  auto reranker = models::Qwen3Reranker::load(testing::test_data_path("qwen3-tiny-reranker"), {});
  ASSERT_TRUE(reranker.is_ok());
  auto scores = (*reranker)->score({"q", {"d"}, std::nullopt, 20});
  ASSERT_FALSE(scores.is_ok());
  EXPECT_EQ(scores.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fourbrain
