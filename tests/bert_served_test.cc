// BERT-family checkpoints behind the ServedModel interface, end to end: the C++ tokenizer's
// ids must equal the ones sentence-transformers used, and run() must give its embeddings and
// CrossEncoder scores. Skipped while formats::Tokenizer cannot load the checkpoint's
// tokenizer (WordPiece / Unigram support arriving); the model path itself is covered by
// bert_embedding_test and bert_reranker_test with HF's ids.
#include <gtest/gtest.h>

#include "bert_test_util.h"
#include "formats/tokenizer/tokenizer.h"
#include "models/served_model.h"

namespace fourbrain {
namespace {

using testing::json_floats;
using testing::max_abs_diff;

struct Case {
  const char* dir;
  const char* refs;
  models::ModelTask task;
};

class BertServedTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    FB_REQUIRE_TEST_DATA();
    const std::string dir = testing::test_data_path(GetParam().dir);
    auto tokenizer = formats::Tokenizer::load(dir);
    if (!tokenizer.is_ok()) {
      GTEST_SKIP() << "the C++ tokenizer cannot load " << GetParam().dir
                   << " yet: " << tokenizer.status().to_string();
    }
    auto model = models::load_served_model(GetParam().task, dir, {});
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    model_ = std::move(model).value();
    cases_ = testing::bert_cases(GetParam().refs);
    ASSERT_TRUE(cases_.has_value());
  }
  bool reranking() const { return GetParam().task == models::ModelTask::kReranking; }
  models::TaskItem item(const formats::JsonValue& c) const {
    models::TaskItem item;
    item.text = c.find(reranking() ? "query" : "text")->as_string();
    if (reranking()) item.document = c.find("document")->as_string();
    return item;
  }

  std::unique_ptr<models::ServedModel> model_;
  std::optional<formats::JsonValue> cases_;
};

TEST_P(BertServedTest, TokenizesAndRunsAsSentenceTransformers) {
  EXPECT_EQ(model_->architecture(), GetParam().dir[0] == 'b' ? "bert" : "xlm-roberta");
  EXPECT_EQ(model_->task(), GetParam().task);
  std::vector<std::vector<int32_t>> ids;
  for (size_t i = 0; i < cases_->size(); ++i) {
    auto got = model_->tokenize(item(cases_->at(i)));
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    EXPECT_EQ(*got, testing::json_ints(*cases_->at(i).find("input_ids"))) << "case " << i;
    ids.push_back(std::move(got).value());
  }
  auto width = model_->output_size(0);
  ASSERT_TRUE(width.is_ok());
  std::vector<std::vector<float>> out(ids.size(), std::vector<float>(static_cast<size_t>(*width)));
  std::vector<models::SequenceJob> jobs;
  for (size_t i = 0; i < ids.size(); ++i) jobs.push_back({ids[i], 0, out[i].data()});
  ASSERT_TRUE(model_->run(jobs).is_ok());
  testing::ErrorStats stats(std::string(GetParam().dir) + " served, C++ tokenizer");
  for (size_t i = 0; i < ids.size(); ++i) {
    const formats::JsonValue c = cases_->at(i);
    const std::vector<float> want =
        reranking() ? std::vector<float>{static_cast<float>(c.find("score")->as_double())}
                    : json_floats(*c.find("embedding"));
    EXPECT_LE(max_abs_diff(out[i], want), 1e-4) << "case " << i;
    stats.add(out[i], want, !reranking());
  }
}

TEST_P(BertServedTest, InstructionsAndLengths) {
  models::TaskItem it = item(cases_->at(0));
  it.instruction = "query: ";
  auto with_prompt = model_->tokenize(it);
  if (reranking()) {
    EXPECT_EQ(with_prompt.status().code(), StatusCode::kInvalidArgument);
  } else {
    ASSERT_TRUE(with_prompt.is_ok()) << with_prompt.status().to_string();
    EXPECT_GT(with_prompt->size(), testing::json_ints(*cases_->at(0).find("input_ids")).size());
  }
  size_t longest = 0;
  for (size_t i = 0; i < cases_->size(); ++i) {
    if (cases_->at(i).find("input_ids")->size() > cases_->at(longest).find("input_ids")->size()) {
      longest = i;
    }
  }
  models::TaskItem long_item = item(cases_->at(longest));
  long_item.max_length = 10;
  auto cut = model_->tokenize(long_item);
  ASSERT_TRUE(cut.is_ok()) << cut.status().to_string();
  EXPECT_EQ(cut->size(), 10u);
  long_item.max_length = 100000;  // clamped to the position table
  auto clamped = model_->tokenize(long_item);
  ASSERT_TRUE(clamped.is_ok());
  EXPECT_LE(clamped->size(), 512u);
}

INSTANTIATE_TEST_SUITE_P(
    Checkpoints, BertServedTest,
    ::testing::Values(Case{"bert-tiny-embedding", "bert_embedding", models::ModelTask::kEmbedding},
                      Case{"bert-tiny-reranker", "bert_reranker", models::ModelTask::kReranking},
                      Case{"xlmr-tiny-embedding", "xlmr_embedding", models::ModelTask::kEmbedding},
                      Case{"xlmr-tiny-reranker", "xlmr_reranker", models::ModelTask::kReranking}),
    [](const auto& info) {
      std::string name = info.param.dir;
      std::erase(name, '-');
      return name;
    });

}  // namespace
}  // namespace fourbrain
