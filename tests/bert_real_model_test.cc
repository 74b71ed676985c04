// Opt-in: a real BERT-family checkpoint (e.g. all-MiniLM-L6-v2) against sentence-transformers,
// from references written by tools/bert/real_model_references.py. Runs only when
// FOURBRAIN_BERT_REAL_REFS names such a file; embeddings need cosine >= 0.99999 and max abs
// error <= 1e-4, scores 1e-4. When the checkpoint's tokenizer loads, the served model's
// token ids must equal sentence-transformers' too.
#include <gtest/gtest.h>

#include <cstdlib>

#include "bert_test_util.h"
#include "formats/tokenizer/tokenizer.h"
#include "models/bert/bert_cross_encoder.h"
#include "models/bert/bert_embedder.h"
#include "models/served_model.h"

namespace fourbrain {
namespace {

using testing::json_floats;
using testing::max_abs_diff;

TEST(BertRealModel, MatchesSentenceTransformers) {
  const char* path = std::getenv("FOURBRAIN_BERT_REAL_REFS");
  if (path == nullptr || *path == '\0') GTEST_SKIP() << "FOURBRAIN_BERT_REAL_REFS is not set";
  auto refs = formats::JsonValue::parse_file(path);
  ASSERT_TRUE(refs.is_ok()) << refs.status().to_string();
  const std::string dir(refs->find("dir")->as_string());
  const bool reranking = refs->find("task")->as_string() == "reranking";
  const formats::JsonValue cases = *refs->find("cases");
  const auto ids = testing::case_ints(cases, "input_ids");
  testing::ErrorStats stats(dir);
  if (reranking) {
    const auto types = testing::case_ints(cases, "token_type_ids");
    auto encoder = models::BertCrossEncoder::load(dir, {});
    ASSERT_TRUE(encoder.is_ok()) << encoder.status().to_string();
    auto got = (*encoder)->score(ids, types);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::vector<float> want = {static_cast<float>(cases.at(i).find("score")->as_double())};
      EXPECT_LE(max_abs_diff({(*got)[i]}, want), 1e-4) << "case " << i;
      stats.add({(*got)[i]}, want, false);
    }
  } else {
    auto embedder = models::BertEmbedder::load(dir, {});
    ASSERT_TRUE(embedder.is_ok()) << embedder.status().to_string();
    auto got = (*embedder)->embed(ids);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::vector<float> want = json_floats(*cases.at(i).find("embedding"));
      EXPECT_GE(testing::cosine((*got)[i], want), 0.99999) << "case " << i;
      EXPECT_LE(max_abs_diff((*got)[i], want), 1e-4) << "case " << i;
      stats.add((*got)[i], want);
    }
  }
  if (!formats::Tokenizer::load(dir).is_ok()) return;  // the C++ tokenizer cannot read it yet
  const auto task = reranking ? models::ModelTask::kReranking : models::ModelTask::kEmbedding;
  auto served = models::load_served_model(task, dir, {});
  ASSERT_TRUE(served.is_ok()) << served.status().to_string();
  for (size_t i = 0; i < ids.size(); ++i) {
    const formats::JsonValue c = cases.at(i);
    models::TaskItem item;
    item.text = c.find(reranking ? "query" : "text")->as_string();
    if (reranking) item.document = c.find("document")->as_string();
    auto got = (*served)->tokenize(item);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    EXPECT_EQ(*got, ids[i]) << "case " << i;
  }
}

}  // namespace
}  // namespace fourbrain
