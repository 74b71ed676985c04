#include "formats/tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "formats/tokenizer/byte_level.h"

namespace fourbrain::formats::tokenizer {
namespace {

using Merges = std::vector<std::pair<std::string, std::string>>;

// A toy vocabulary: the 256 byte symbols (id = byte value), then each merge's result.
BpeModel toy_model(const Merges& merges, bool ignore_merges = false,
                   const std::vector<std::string>& extra = {}) {
  TokenMap vocab;
  for (int b = 0; b < 256; ++b) vocab[byte_level_encode(std::string(1, char(b)))] = b;
  for (const auto& [l, r] : merges) vocab.emplace(l + r, static_cast<int32_t>(vocab.size()));
  for (const auto& t : extra) vocab.emplace(t, static_cast<int32_t>(vocab.size()));
  auto model = BpeModel::build(std::move(vocab), merges, ignore_merges);
  EXPECT_TRUE(model.is_ok()) << model.status().to_string();
  return std::move(model).value();
}

std::vector<std::string> tokens(const BpeModel& m, std::string_view word) {
  std::vector<int32_t> ids;
  m.encode_piece(word, m.thread_cache(), &ids);
  std::vector<std::string> out;
  for (int32_t id : ids) out.emplace_back(m.id_to_token(id));
  return out;
}

using Tokens = std::vector<std::string>;

TEST(BpeTest, MergesByRank) {
  const BpeModel m = toy_model({{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}});
  EXPECT_EQ(tokens(m, "hello"), (Tokens{"hello"}));
  EXPECT_EQ(tokens(m, "hell"), (Tokens{"hell"}));
  EXPECT_EQ(tokens(m, "oh"), (Tokens{"o", "h"}));
  EXPECT_EQ(tokens(m, " hi"), (Tokens{"\xc4\xa0", "h", "i"}));  // Ġ h i
  // The lowest rank wins wherever it is in the word.
  const BpeModel r = toy_model({{"l", "o"}, {"h", "e"}, {"he", "l"}});
  EXPECT_EQ(tokens(r, "hello"), (Tokens{"hel", "lo"}));
}

TEST(BpeTest, TiesGoToTheLeftmostPair) {
  const BpeModel m = toy_model({{"a", "a"}});
  EXPECT_EQ(tokens(m, "aaa"), (Tokens{"aa", "a"}));
  EXPECT_EQ(tokens(m, "aaaa"), (Tokens{"aa", "aa"}));
  std::vector<int32_t> scan, heap;
  m.encode_piece_uncached("aaaaa", false, &scan);
  m.encode_piece_uncached("aaaaa", true, &heap);
  EXPECT_EQ(scan, heap);
}

TEST(BpeTest, RepeatedMergeTakesItsLastRankAsHfDoes) {
  const BpeModel m = toy_model({{"a", "b"}, {"b", "c"}, {"a", "b"}});
  EXPECT_EQ(tokens(m, "abc"), (Tokens{"a", "bc"}));  // HF: ['a', 'bc']
}

TEST(BpeTest, ScanAndHeapAgree) {
  std::mt19937 rng(42);
  Merges merges;
  std::vector<std::string> known = {"a", "b", "c", "d", "\xc4\xa0"};
  while (merges.size() < 300) {
    const std::string& l = known[rng() % known.size()];
    const std::string& r = known[rng() % known.size()];
    if (l.size() + r.size() > 12) continue;
    bool seen = false;
    for (const auto& [ml, mr] : merges) seen = seen || (ml + mr == l + r);
    if (seen) continue;
    merges.emplace_back(l, r);
    known.push_back(l + r);
  }
  const BpeModel m = toy_model(merges);
  for (int i = 0; i < 2000; ++i) {
    std::string word;
    const size_t n = 1 + rng() % 150;
    for (size_t k = 0; k < n; ++k) word.push_back("abcd "[rng() % 5]);
    std::vector<int32_t> scan, heap;
    m.encode_piece_uncached(word, false, &scan);
    m.encode_piece_uncached(word, true, &heap);
    ASSERT_EQ(scan, heap) << word;
  }
}

TEST(BpeTest, IgnoreMergesTakesWholeWords) {
  const BpeModel plain = toy_model({{"h", "i"}}, false, {"hix"});
  const BpeModel whole = toy_model({{"h", "i"}}, true, {"hix"});
  EXPECT_EQ(tokens(plain, "hix"), (Tokens{"hi", "x"}));
  EXPECT_EQ(tokens(whole, "hix"), (Tokens{"hix"}));
}

TEST(BpeTest, CachesAreNotSharedBetweenModels) {
  const BpeModel a = toy_model({{"x", "y"}});
  const BpeModel b = toy_model({{"y", "z"}});
  EXPECT_EQ(tokens(a, "xyz"), (Tokens{"xy", "z"}));
  EXPECT_EQ(tokens(b, "xyz"), (Tokens{"x", "yz"}));
  EXPECT_EQ(tokens(a, "xyz"), (Tokens{"xy", "z"}));  // now from a's cache
}

TEST(BpeTest, MergeOutsideVocabularyIsInvalidArgument) {
  TokenMap vocab{{"a", 0}, {"b", 1}};
  auto m = BpeModel::build(vocab, {{"a", "b"}}, false);  // "ab" missing
  ASSERT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
}

TEST(BpeTest, BytesWithoutSymbolAreDropped) {
  TokenMap vocab{{"a", 0}, {"b", 1}, {"ab", 2}};
  auto m = BpeModel::build(vocab, {{"a", "b"}}, false);
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(tokens(*m, "a-b"), (Tokens{"ab"}));  // as HF without unk: neighbours merge
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
