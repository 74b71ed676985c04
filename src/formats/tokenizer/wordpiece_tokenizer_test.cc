// Unit tests of the WordPiece side: the greedy longest-match model ([UNK] for a word with an
// unmatched part or too many characters), BertPreTokenizer's splits, the WordPiece decoder,
// the BERT template with type ids and longest-first truncation, and loading through
// Tokenizer::load (tokenizer.json and the vocab.txt file set, with their errors).
#include "formats/tokenizer/wordpiece_tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "formats/tokenizer/piece_splitter.h"
#include "formats/tokenizer/post_template.h"
#include "formats/tokenizer/token_decoder.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::formats::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

// Concatenation without operator+ chains, which trip GCC 12's -Wrestrict.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

// [PAD] [UNK] [CLS] [SEP] [MASK], then the pieces.
const char* const kVocab[] = {"[PAD]",  "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un",    "##aff",
                              "##able", "##a",   "##ff",  "u",     "##n",    "hello", ",",
                              "world",  "!",     "caf",   "##e",   "the",    "\u4e2d"};

TokenMap vocab() {
  TokenMap v;
  for (size_t i = 0; i < std::size(kVocab); ++i) v[kVocab[i]] = static_cast<int32_t>(i);
  return v;
}

Ids encode_word(const WordPieceModel& m, std::string_view word) {
  Ids ids;
  EXPECT_TRUE(m.encode_piece(word, &ids).is_ok());
  return ids;
}

TEST(WordPieceModelTest, GreedyLongestMatchFromTheLeft) {
  auto m = WordPieceModel::create(vocab(), "[UNK]", "##", 10);
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  EXPECT_EQ(encode_word(**m, "unaffable"), (Ids{5, 6, 7}));  // un ##aff ##able
  EXPECT_EQ(encode_word(**m, "una"), (Ids{5, 8}));
  EXPECT_EQ(encode_word(**m, "hello"), (Ids{12}));
  // One part no piece covers makes the whole word unknown.
  EXPECT_EQ(encode_word(**m, "unaffablex"), (Ids{1}));
  // More than max_input_chars_per_word characters: unknown without trying.
  EXPECT_EQ(encode_word(**m, "unaffableun"), (Ids{1}));
  EXPECT_EQ((*m)->token_to_id("##able"), 7);
  std::string_view token;
  ASSERT_TRUE((*m)->id_to_token(6, &token));
  EXPECT_EQ(token, "##aff");
  EXPECT_FALSE((*m)->id_to_token(99, &token));
}

TEST(WordPieceModelTest, UnknownTokenMustBeInTheVocabulary) {
  EXPECT_EQ(WordPieceModel::create(vocab(), "<unk>", "##", 100).status().code(),
            StatusCode::kUnsupported);
}

std::vector<std::string> split(const PieceSplitter& s, std::string text) {
  std::vector<Piece> pieces = {{std::move(text), true}};
  s.split(&pieces);
  std::vector<std::string> out;
  for (Piece& p : pieces) out.push_back(std::move(p.text));
  return out;
}

TEST(BertPreTokenizerTest, WhiteSpaceAndPunctuation) {
  auto s = make_bert_pre_tokenizer();
  using V = std::vector<std::string>;
  EXPECT_EQ(split(*s, "Hello,  world!"), (V{"Hello", ",", "world", "!"}));
  // ASCII symbols count as punctuation ($ + < = > ^ ` | ~), and so do Unicode P*.
  EXPECT_EQ(split(*s, "a$b+c\u00bfd\u3001e"),
            (V{"a", "$", "b", "+", "c", "\u00bf", "d", "\u3001", "e"}));
  EXPECT_EQ(split(*s, "..."), (V{".", ".", "."}));
  EXPECT_EQ(split(*s, "\u00a0x\u2003y "), (V{"x", "y"}));
  EXPECT_EQ(split(*s, "\u20ac5"), (V{"\u20ac5"}));  // a currency sign beyond ASCII is not
}

TEST(WordPieceDecoderTest, JoinsPiecesAndCleansUp) {
  auto d = make_wordpiece_decoder("##", true);
  std::vector<std::string> tokens = {"##a", "b", "##c", ".", "don", "'", "t", "?"};
  d->decode_chain(&tokens);
  std::string text;
  for (const auto& t : tokens) text += t;
  // The first token keeps its prefix; cleanup works token by token (" ' " never forms).
  EXPECT_EQ(text, "##a bc. don ' t?");
}

TEST(PostTemplateTest, BertLayoutAndTruncation) {
  const PostTemplate t = PostTemplate::bert(101, 102);
  Encoding e;
  t.apply({7, 8}, nullptr, &e);
  EXPECT_EQ(e.ids, (Ids{101, 7, 8, 102}));
  const Ids b = {9};
  t.apply({7, 8}, &b, &e);
  EXPECT_EQ(e.ids, (Ids{101, 7, 8, 102, 9, 102}));
  EXPECT_EQ(e.type_ids, (Ids{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(t.n_added(false), 2u);
  EXPECT_EQ(t.n_added(true), 3u);
  EXPECT_EQ(t.single_prefix(), (Ids{101}));
  EXPECT_EQ(t.single_suffix(), (Ids{102}));

  auto cut = [](size_t max, size_t a, size_t b) {
    truncate_longest_first(max, &a, &b);
    return std::make_pair(a, b);
  };
  EXPECT_EQ(cut(10, 3, 4), std::make_pair(size_t{3}, size_t{4}));  // fits
  EXPECT_EQ(cut(8, 3, 10), std::make_pair(size_t{3}, size_t{5}));  // only the longer one
  EXPECT_EQ(cut(8, 6, 10), std::make_pair(size_t{4}, size_t{4}));  // both
  EXPECT_EQ(cut(9, 10, 6), std::make_pair(size_t{5}, size_t{4}));  // the longer gets the odd one
  EXPECT_EQ(cut(9, 6, 6), std::make_pair(size_t{4}, size_t{5}));   // a tie: the second
  EXPECT_EQ(cut(0, 6, 6), std::make_pair(size_t{0}, size_t{0}));
}

class WordPieceLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           cat({"fb_wordpiece_test_", std::to_string(::getpid())});
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  std::string tokenizer_json(const std::string& normalizer, const std::string& pre) {
    std::string v;
    for (size_t i = 0; i < std::size(kVocab); ++i) {
      v += cat({i ? "," : "", "\"", kVocab[i], "\":", std::to_string(i)});
    }
    return cat({R"({"added_tokens":[{"id":2,"content":"[CLS]","special":true,"normalized":false},
        {"id":3,"content":"[SEP]","special":true,"normalized":false},
        {"id":4,"content":"[MASK]","special":true,"normalized":false}],
      "normalizer":)",
                normalizer, R"(,"pre_tokenizer":)", pre, R"(,
      "post_processor":{"type":"BertProcessing","sep":["[SEP]",3],"cls":["[CLS]",2]},
      "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
      "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##",
               "max_input_chars_per_word":100,"vocab":{)",
                v, "}}}"});
  }

  Result<std::unique_ptr<Tokenizer>> load() { return Tokenizer::load(dir_.string()); }

  std::filesystem::path dir_;
};

constexpr char kBert[] = R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,
                             "strip_accents":null,"lowercase":true})";

TEST_F(WordPieceLoadTest, TokenizerJsonEndToEnd) {
  write("tokenizer.json", tokenizer_json(kBert, R"({"type":"BertPreTokenizer"})"));
  auto t = load();
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  const Tokenizer& tok = **t;
  EXPECT_EQ(*tok.encode("Hello, WORLD! Caf\u00e9"), (Ids{2, 12, 13, 14, 15, 16, 17, 3}));
  EXPECT_EQ(*tok.encode("Hello, WORLD!", false), (Ids{12, 13, 14, 15}));
  EXPECT_EQ(*tok.encode("hello[MASK]\u4e2d", false), (Ids{12, 4, 19}));
  EXPECT_EQ(*tok.encode("Hello, WORLD!", true, 4), (Ids{2, 12, 13, 3}));
  EXPECT_EQ(tok.template_suffix_ids(), (Ids{3}));
  auto pair = tok.encode_pair("hello world", "the", 0);
  ASSERT_TRUE(pair.is_ok());
  EXPECT_EQ(pair->ids, (Ids{2, 12, 14, 3, 18, 3}));
  EXPECT_EQ(pair->type_ids, (Ids{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(tok.decode({2, 12, 13, 14, 15, 16, 17, 3}, false), "[CLS] hello, world! cafe [SEP]");
  EXPECT_EQ(tok.decode({2, 12, 13, 14, 15, 3}, true), "hello, world!");
  EXPECT_EQ(tok.id_to_token(6), "##aff");
  EXPECT_EQ(tok.token_to_id("[SEP]"), 3);
  EXPECT_EQ(tok.vocab_size(), std::size(kVocab));
}

TEST_F(WordPieceLoadTest, InvalidUtf8IsInvalidArgument) {
  write("tokenizer.json", tokenizer_json(kBert, R"({"type":"BertPreTokenizer"})"));
  auto t = load();
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  for (std::string_view bad : {"ab\xff", "\xc3", "a\xed\xa0\x80"}) {
    auto ids = (*t)->encode(bad);
    EXPECT_EQ(ids.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ((*t)->encode_pair("ok", bad, 8).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST_F(WordPieceLoadTest, UnsupportedPiecesAreNamedWithTheFile) {
  write("tokenizer.json", tokenizer_json(R"({"type":"Nmt"})", R"({"type":"BertPreTokenizer"})"));
  auto t = load();
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(t.status().message().find("normalizer \"Nmt\""), std::string::npos)
      << t.status().to_string();
  EXPECT_NE(t.status().message().find("tokenizer.json"), std::string::npos);
  write("tokenizer.json", tokenizer_json(kBert, R"({"type":"Digits","individual_digits":true})"));
  t = load();
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(t.status().message().find("pre_tokenizer \"Digits\""), std::string::npos);
}

TEST_F(WordPieceLoadTest, VocabTxtFileSet) {
  std::string lines;
  for (const char* token : kVocab) lines += cat({token, "\n"});
  write("vocab.txt", lines);
  write("tokenizer_config.json", R"({"do_lower_case":false,"tokenize_chinese_chars":true,
                                     "tokenizer_class":"BertTokenizer"})");
  write("special_tokens_map.json", R"({"unk_token":"[UNK]","sep_token":"[SEP]",
      "pad_token":"[PAD]","cls_token":{"content":"[CLS]"},"mask_token":"[MASK]"})");
  auto t = load();
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  // Cased: "Hello" is no piece; strip_accents follows do_lower_case (off).
  EXPECT_EQ(*(*t)->encode("Hello hello caf"), (Ids{2, 1, 12, 16, 3}));
  auto pair = (*t)->encode_pair("hello", "world", 0);
  EXPECT_EQ(pair->type_ids, (Ids{0, 0, 0, 1, 1}));

  write("tokenizer_config.json", R"({"tokenizer_class":"XLNetTokenizer"})");
  EXPECT_EQ(load().status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
