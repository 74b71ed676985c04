// Unit tests of the Unigram side: Viterbi on a hand-made vocabulary (ties, unknown runs
// fused, byte fallback), the piece trie, serde_json's float parsing, Metaspace splitting
// and decoding, the ByteFallback / Fuse / Strip / Replace decoders, and an XLM-R-shaped
// tokenizer.json loaded end to end (RobertaProcessing pairs, <mask> with lstrip).
#include "formats/tokenizer/unigram_tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "formats/tokenizer/piece_splitter.h"
#include "formats/tokenizer/piece_trie.h"
#include "formats/tokenizer/token_decoder.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::formats::tokenizer {
namespace {

using Ids = std::vector<int32_t>;
using Vocab = std::vector<std::pair<std::string, double>>;

// 0 <unk>, 1 ▁, 2 a, 3 b, 4 ab, 5 c, 6 abc, 7 ▁ab, 8 <0x78>, 9 <0x79>
Vocab toy_vocab() {
  return {{"<unk>", 0}, {"\u2581", -2}, {"a", -3},        {"b", -3},       {"ab", -4},
          {"c", -5},    {"abc", -9},    {"\u2581ab", -5}, {"<0x78>", -20}, {"<0x79>", -20}};
}

Ids encode(const UnigramModel& m, std::string_view piece) {
  Ids ids;
  const Status s = m.encode_piece(piece, &ids);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return ids;
}

TEST(UnigramModelTest, ViterbiPicksTheBestPath) {
  auto m = UnigramModel::create(toy_vocab(), 0, false);
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  EXPECT_EQ(encode(**m, "ab"), (Ids{4}));        // -4 beats a + b = -6
  EXPECT_EQ(encode(**m, "\u2581ab"), (Ids{7}));  // -5 beats ▁ + ab = -6
  EXPECT_EQ(encode(**m, "abc"), (Ids{6}));       // abc = ab + c = -9: the first found stays
  EXPECT_EQ(encode(**m, "ba"), (Ids{3, 2}));
}

TEST(UnigramModelTest, UnknownRunsFuse) {
  auto m = UnigramModel::create(toy_vocab(), 0, false);
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(encode(**m, "xyab"), (Ids{0, 4}));  // "xy" is one unknown
  EXPECT_EQ(encode(**m, "x\u00e9ab\u4e2d"), (Ids{0, 4, 0}));
  auto no_unk = UnigramModel::create(toy_vocab(), std::nullopt, false);
  ASSERT_TRUE(no_unk.is_ok());
  Ids ids;
  EXPECT_EQ((*no_unk)->encode_piece("xab", &ids).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnigramModel::create(toy_vocab(), 10, false).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(UnigramModelTest, ByteFallbackNeedsEveryByte) {
  auto m = UnigramModel::create(toy_vocab(), 0, true);
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(encode(**m, "xyab"), (Ids{8, 9, 4}));  // <0x78> <0x79> ab
  EXPECT_EQ(encode(**m, "xzab"), (Ids{0, 4}));     // no <0x7A>: the run stays unknown
}

TEST(PieceTrieTest, PrefixesShortestFirstLastDuplicateWins) {
  PieceTrie trie;
  trie.build({{"ab", 1}, {"a", 2}, {"abcd", 3}, {"b", 4}, {"a", 5}});
  std::vector<std::pair<size_t, int32_t>> found;
  trie.for_each_prefix("abcde", [&](size_t len, int32_t v) { found.emplace_back(len, v); });
  EXPECT_EQ(found, (std::vector<std::pair<size_t, int32_t>>{{1, 5}, {2, 1}, {4, 3}}));
  found.clear();
  trie.for_each_prefix("x", [&](size_t len, int32_t v) { found.emplace_back(len, v); });
  EXPECT_TRUE(found.empty());
}

TEST(SerdeFloatTest, ReproducesSerdeJsonRounding) {
  // Pairs observed with tokenizers 0.23: the exact double, and what serde_json reads back
  // from its shortest decimal form (one ulp off).
  EXPECT_EQ(serde_json_f64(-15.774467468261719), -15.77446746826172);
  EXPECT_EQ(serde_json_f64(-1.8771917819976807), -1.8771917819976809);
  EXPECT_EQ(serde_json_f64(-13.406111717224121), -13.40611171722412);
  EXPECT_EQ(serde_json_f64(-2.6872849464416504), -2.6872849464416504);  // exact ones stay
  EXPECT_EQ(serde_json_f64(0.0), 0.0);
  EXPECT_EQ(serde_json_f64(-3.0), -3.0);
  EXPECT_EQ(serde_json_f64(-2.311520838099024e-05), -2.311520838099024e-05);
}

std::vector<Piece> split(const PieceSplitter& s, std::string text, bool at_start = true) {
  std::vector<Piece> pieces = {{std::move(text), at_start}};
  s.split(&pieces);
  return pieces;
}

std::vector<std::string> texts(const std::vector<Piece>& pieces) {
  std::vector<std::string> out;
  for (const Piece& p : pieces) out.push_back(p.text);
  return out;
}

TEST(MetaspaceTest, PrependSchemesAndSplit) {
  using V = std::vector<std::string>;
  const std::string m = "\u2581";
  auto always = make_metaspace(m, PrependScheme::kAlways, true);
  EXPECT_EQ(texts(split(*always, "a  b c")), (V{"\u2581a", "\u2581", "\u2581b", "\u2581c"}));
  EXPECT_EQ(texts(split(*always, " a")), (V{"\u2581a"}));  // already starts with ▁
  EXPECT_EQ(texts(split(*always, "x", false)), (V{"\u2581x"}));
  auto first = make_metaspace(m, PrependScheme::kFirst, true);
  EXPECT_EQ(texts(split(*first, "x y")), (V{"\u2581x", "\u2581y"}));
  EXPECT_EQ(texts(split(*first, "x y", false)), (V{"x", "\u2581y"}));
  EXPECT_TRUE(first->uses_at_start());
  auto never = make_metaspace(m, PrependScheme::kNever, false);
  EXPECT_EQ(texts(split(*never, "x y")), (V{"x\u2581y"}));
  std::vector<std::unique_ptr<PieceSplitter>> steps;
  steps.push_back(make_whitespace_split());
  steps.push_back(make_metaspace(m, PrependScheme::kAlways, true));
  EXPECT_EQ(texts(split(*make_splitter_sequence(std::move(steps)), " a\t b ")),
            (V{"\u2581a", "\u2581b"}));
}

std::string decode(const TokenDecoder& d, std::vector<std::string> tokens) {
  d.decode_chain(&tokens);
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

TEST(DecoderTest, MetaspaceByteFallbackFuseStrip) {
  // Every ▁ of the first token goes, not only a leading one (HF).
  auto meta = make_metaspace_decoder("\u2581", PrependScheme::kAlways);
  EXPECT_EQ(decode(*meta, {"\u2581a\u2581b", "\u2581c", "\u2581\u2581"}), "ab c  ");
  EXPECT_EQ(decode(*make_metaspace_decoder("\u2581", PrependScheme::kNever), {"\u2581a"}), " a");
  auto bytes = make_byte_fallback_decoder();
  EXPECT_EQ(decode(*bytes, {"a", "<0xC3>", "<0xA9>", "b"}), "a\u00e9b");
  EXPECT_EQ(decode(*bytes, {"<0xC3>", "x", "<0xFF>", "<0xFE>"}),
            "\ufffdx\ufffd\ufffd");  // one U+FFFD per byte of an invalid run
  std::vector<std::unique_ptr<TokenDecoder>> llama;
  auto replace = make_replace_decoder("\u2581", false, " ");
  ASSERT_TRUE(replace.is_ok());
  llama.push_back(std::move(*replace));
  llama.push_back(make_byte_fallback_decoder());
  llama.push_back(make_fuse_decoder());
  llama.push_back(make_strip_decoder(" ", 1, 0));
  EXPECT_EQ(decode(*make_decoder_sequence(std::move(llama)), {"\u2581hi", "\u2581", "<0x21>"}),
            "hi !");
}

TEST(UnigramLoadTest, XlmrShapedTokenizerJson) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("fb_unigram_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << R"({
    "added_tokens":[{"id":0,"content":"<s>","special":true,"normalized":false},
      {"id":2,"content":"</s>","special":true,"normalized":false},
      {"id":3,"content":"<unk>","special":true,"normalized":false},
      {"id":7,"content":"<mask>","special":true,"lstrip":true,"normalized":false}],
    "normalizer":{"type":"Sequence","normalizers":[{"type":"NFKC"},
      {"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "}]},
    "pre_tokenizer":{"type":"Metaspace","replacement":"\u2581","add_prefix_space":true},
    "post_processor":{"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",0]},
    "decoder":{"type":"Metaspace","replacement":"\u2581","add_prefix_space":true},
    "model":{"type":"Unigram","unk_id":3,"byte_fallback":false,"vocab":[["<s>",0.0],
      ["<pad>",0.0],["</s>",0.0],["<unk>",0.0],["\u2581hi",-1.5],["\u2581",-2.0],["hi",-2.5],
      ["<mask>",0.0]]}})";
  auto t = Tokenizer::load(dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  const Tokenizer& tok = **t;
  EXPECT_EQ(*tok.encode("hi  \uff48\uff49"), (Ids{0, 4, 4, 2}));  // NFKC: fullwidth "hi"
  EXPECT_EQ(*tok.encode("hi <mask>", false), (Ids{4, 7}));        // lstrip eats the space
  EXPECT_EQ(*tok.encode("hi x", false), (Ids{4, 5, 3}));
  auto pair = tok.encode_pair("hi", "hi hi", 0);
  ASSERT_TRUE(pair.is_ok());
  EXPECT_EQ(pair->ids, (Ids{0, 4, 2, 2, 4, 4, 2}));
  EXPECT_EQ(pair->type_ids, (Ids{0, 0, 0, 0, 0, 0, 0}));
  auto cut = tok.encode_pair("hi hi hi", "hi", 6);
  EXPECT_EQ(cut->ids, (Ids{0, 4, 2, 2, 4, 2}));
  EXPECT_EQ(tok.decode({0, 4, 4, 2}, false), "<s> hi hi</s>");
  EXPECT_EQ(tok.decode({0, 4, 4, 2}, true), "hi hi");
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
