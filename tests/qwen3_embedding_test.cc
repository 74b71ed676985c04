// Qwen3-Embedding against HuggingFace transformers (f32 references from
// tools/qwen3/make_tiny_checkpoints.py): identical token ids, cosine >= 0.99999 and
// max abs error <= 1e-4, Matryoshka dimensions, truncation, and batch invariance.
#include <gtest/gtest.h>

#include "models/qwen3/qwen3_embedder.h"
#include "test_data.h"

namespace fourbrain {
namespace {

using testing::cosine;
using testing::json_floats;
using testing::json_ints;
using testing::max_abs_diff;

std::optional<std::string> instruction_of(const formats::JsonValue& c) {
  auto found = c.find("instruction");
  if (!found || found->is_null()) return std::nullopt;
  return std::string(found->as_string());
}

size_t max_length_of(const formats::JsonValue& c) {
  auto found = c.find("max_length");
  return found ? static_cast<size_t>(found->as_int()) : 8192;
}

class Qwen3EmbeddingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FB_REQUIRE_TEST_DATA();
    auto embedder = models::Qwen3Embedder::load(testing::test_data_path("qwen3-tiny-embedding"), {});
    ASSERT_TRUE(embedder.is_ok()) << embedder.status().to_string();
    embedder_ = std::move(embedder).value();
    cases_ = testing::qwen3_references().find("embedding");
    ASSERT_TRUE(cases_.has_value());
  }
  std::unique_ptr<models::Qwen3Embedder> embedder_;
  std::optional<formats::JsonValue> cases_;
};

TEST_F(Qwen3EmbeddingTest, MatchesTransformersOneByOne) {
  for (size_t i = 0; i < cases_->size(); ++i) {
    const formats::JsonValue c = cases_->at(i);
    const std::string text(c.find("text")->as_string());
    SCOPED_TRACE("case " + std::to_string(i) + ": " + text.substr(0, 40));
    auto ids = embedder_->input_ids(text, instruction_of(c), max_length_of(c));
    ASSERT_TRUE(ids.is_ok()) << ids.status().to_string();
    EXPECT_EQ(*ids, json_ints(*c.find("input_ids")));
    models::EmbedRequest request{{text}, instruction_of(c), 0, max_length_of(c)};
    auto result = embedder_->embed(request);
    ASSERT_TRUE(result.is_ok()) << result.status().to_string();
    const std::vector<float> want = json_floats(*c.find("embedding"));
    const std::vector<float>& got = result->embeddings[0];
    ASSERT_EQ(got.size(), want.size());
    EXPECT_GE(cosine(got, want), 0.99999);
    EXPECT_LE(max_abs_diff(got, want), 1e-4);
    if (auto dims = c.find("embedding_dims")) {
      dims->for_each_member([&](std::string_view d, const formats::JsonValue& v) {
        request.dimensions = std::stoll(std::string(d));
        auto truncated = embedder_->embed(request);
        ASSERT_TRUE(truncated.is_ok());
        EXPECT_LE(max_abs_diff(truncated->embeddings[0], json_floats(v)), 1e-4) << "dims " << d;
      });
    }
  }
}

TEST_F(Qwen3EmbeddingTest, BatchInvariance) {
  // All documents (no instruction) in one ragged batch vs each alone.
  models::EmbedRequest batch;
  for (size_t i = 0; i < cases_->size(); ++i) {
    const formats::JsonValue c = cases_->at(i);
    if (!instruction_of(c) && !c.find("max_length")) batch.texts.emplace_back(c.find("text")->as_string());
  }
  ASSERT_GE(batch.texts.size(), 5u);
  auto together = embedder_->embed(batch);
  ASSERT_TRUE(together.is_ok()) << together.status().to_string();
  for (size_t i = 0; i < batch.texts.size(); ++i) {
    auto alone = embedder_->embed({{batch.texts[i]}, std::nullopt, 0, 8192});
    ASSERT_TRUE(alone.is_ok());
    EXPECT_LE(max_abs_diff(alone->embeddings[0], together->embeddings[i]), 1e-5) << "text " << i;
  }
}

TEST_F(Qwen3EmbeddingTest, BatchSplittingDoesNotChangeResults) {
  auto small = models::Qwen3Embedder::load(testing::test_data_path("qwen3-tiny-embedding"),
                                           {ops::MatmulPrecision::kF32, /*max_batch_tokens=*/16});
  ASSERT_TRUE(small.is_ok());
  models::EmbedRequest request{{"one short text", "another somewhat longer text here", "x"},
                               std::nullopt, 0, 8192};
  auto a = embedder_->embed(request);
  auto b = (*small)->embed(request);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  for (size_t i = 0; i < 3; ++i) EXPECT_LE(max_abs_diff(a->embeddings[i], b->embeddings[i]), 1e-5);
}

TEST_F(Qwen3EmbeddingTest, Bf16PrecisionStaysClose) {
  auto bf16 = models::Qwen3Embedder::load(testing::test_data_path("qwen3-tiny-embedding"),
                                          {ops::MatmulPrecision::kBF16, 8192});
  ASSERT_TRUE(bf16.is_ok());
  const formats::JsonValue c = cases_->at(1);
  auto got = (*bf16)->embed({{std::string(c.find("text")->as_string())}, std::nullopt, 0, 8192});
  ASSERT_TRUE(got.is_ok());
  EXPECT_GE(cosine(got->embeddings[0], json_floats(*c.find("embedding"))), 0.999);
}

TEST_F(Qwen3EmbeddingTest, RejectsBadRequests) {
  auto bad_dims = embedder_->embed({{"text"}, std::nullopt, 100000, 8192});
  ASSERT_FALSE(bad_dims.is_ok());
  EXPECT_EQ(bad_dims.status().code(), StatusCode::kInvalidArgument);
  auto bad_utf8 = embedder_->embed({{"ok", "bad \xff\xfe"}, std::nullopt, 0, 8192});
  ASSERT_FALSE(bad_utf8.is_ok());
  EXPECT_NE(bad_utf8.status().message().find("text 1"), std::string::npos)
      << bad_utf8.status().to_string();
}

}  // namespace
}  // namespace fourbrain
