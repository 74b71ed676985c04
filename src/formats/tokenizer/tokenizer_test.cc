// Tokenizer end to end: a toy tokenizer.json written by the test (runs everywhere), and the
// real Qwen3 tokenizers from $FOURBRAIN_TESTDATA with the golden ids of qwen3.md §3.2/§4.1.
#include "formats/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/file.h"
#include "formats/tokenizer/byte_level.h"
#include "formats/tokenizer/pretokenizer.h"

namespace fourbrain::formats {
namespace {

using namespace std::string_view_literals;
using Ids = std::vector<int32_t>;

// Concatenation without operator+ chains, which trip GCC 12's -Wrestrict.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

// Byte symbols 0..255 (id = byte), merges giving hello=259 and Ġworld=264, and three added
// tokens: <s>=300 and </s>=301 (special, used by the template) and <think>=302 (not special).
std::string toy_tokenizer_json(bool string_merges, std::string_view post_processor) {
  std::string vocab;
  for (int b = 0; b < 256; ++b) {
    const std::string symbol = tokenizer::byte_level_encode(std::string(1, char(b)));
    vocab.append(cat({json_string(symbol), ":", std::to_string(b), ","}));
  }
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"h", "e"}, {"l", "l"},          {"he", "ll"}, {"hell", "o"},        {"\xc4\xa0", "w"},
      {"o", "r"}, {"\xc4\xa0w", "or"}, {"l", "d"},   {"\xc4\xa0wor", "ld"}};
  std::string merge_list;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [l, r] = merges[i];
    vocab.append(cat({json_string(cat({l, r})), ":", std::to_string(256 + i), ","}));
    if (i > 0) merge_list.append(",");
    merge_list.append(string_merges ? json_string(cat({l, " ", r}))
                                    : cat({"[", json_string(l), ",", json_string(r), "]"}));
  }
  vocab.pop_back();
  auto added = [](int id, std::string_view content, bool special) {
    return cat({R"({"id":)", std::to_string(id), R"(,"content":")", content,
                R"(","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,)",
                R"("special":)", special ? "true" : "false", "}"});
  };
  return cat({R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[)",
              added(300, "<s>", true),
              ",",
              added(301, "</s>", true),
              ",",
              added(302, "<think>", false),
              R"(],"normalizer":{"type":"NFC"},)",
              R"("pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split",)",
              R"("pattern":{"Regex":)",
              json_string(tokenizer::kQwen2SplitPattern),
              R"(},"behavior":"Isolated","invert":false},{"type":"ByteLevel",)",
              R"("add_prefix_space":false,"trim_offsets":false,"use_regex":false}]},)",
              R"("post_processor":)",
              post_processor,
              R"(,"decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,)",
              R"("use_regex":true},"model":{"type":"BPE","dropout":null,"unk_token":null,)",
              R"("continuing_subword_prefix":"","end_of_word_suffix":"","fuse_unk":false,)",
              R"("byte_fallback":false,"ignore_merges":false,"vocab":{)",
              vocab,
              R"(},"merges":[)",
              merge_list,
              "]}}"});
}

constexpr char kBosEosTemplate[] =
    R"({"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},)"
    R"({"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"</s>","type_id":0}}],)"
    R"("pair":[],"special_tokens":{"<s>":{"id":"<s>","ids":[300],"tokens":["<s>"]},)"
    R"("</s>":{"id":"</s>","ids":[301],"tokens":["</s>"]}}})";

class ToyTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           cat({"fb_tokenizer_test_", std::to_string(::getpid())});
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Tokenizer> load(const std::string& json) {
    std::ofstream(dir_ / "tokenizer.json") << json;
    auto t = Tokenizer::load(dir_.string());
    EXPECT_TRUE(t.is_ok()) << t.status().to_string();
    return t.is_ok() ? std::move(t).value() : nullptr;
  }
  Status load_error(const std::string& json) {
    std::ofstream(dir_ / "tokenizer.json") << json;
    auto t = Tokenizer::load(dir_.string());
    return t.is_ok() ? Status::ok() : t.status();
  }

  std::filesystem::path dir_;
};

TEST_F(ToyTokenizerTest, EncodesWithTemplate) {
  auto t = load(toy_tokenizer_json(false, kBosEosTemplate));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(*t->encode("hello world"), (Ids{300, 259, 264, 301}));
  EXPECT_EQ(*t->encode("hello world", false), (Ids{259, 264}));
  EXPECT_EQ(*t->encode(""), (Ids{300, 301}));
  EXPECT_EQ(*t->encode("<s>hello<think>"), (Ids{300, 300, 259, 302, 301}));
  EXPECT_EQ(t->template_suffix_ids(), (Ids{301}));
  EXPECT_EQ(t->vocab_size(), 303u);
  // Legacy "left right" merges give the same model.
  auto legacy = load(toy_tokenizer_json(true, kBosEosTemplate));
  ASSERT_NE(legacy, nullptr);
  EXPECT_EQ(*legacy->encode("hello world"), (Ids{300, 259, 264, 301}));
}

TEST_F(ToyTokenizerTest, TruncationCountsTemplateTokens) {
  auto t = load(toy_tokenizer_json(false, kBosEosTemplate));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(*t->encode("hello world hello", true, 4), (Ids{300, 259, 264, 301}));
  EXPECT_EQ(*t->encode("hello world hello", true, 3), (Ids{300, 259, 301}));
  EXPECT_EQ(*t->encode("hello world hello", true, 2), (Ids{300, 301}));
  EXPECT_EQ(*t->encode("hello world hello", false, 2), (Ids{259, 264}));
  // " hello" has no merge for "Ġhello" here: Ġ (32) then hello.
  EXPECT_EQ(*t->encode("hello world hello", true, 100), (Ids{300, 259, 264, 32, 259, 301}));
  // Below the template's own length the text gets nothing (HF rejects such settings).
  EXPECT_EQ(*t->encode("hello", true, 1), (Ids{300, 301}));
}

TEST_F(ToyTokenizerTest, DecodesAndMapsTokens) {
  auto t = load(toy_tokenizer_json(false, R"({"type":"ByteLevel"})"));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(*t->encode("hello world"), (Ids{259, 264}));
  EXPECT_TRUE(t->template_suffix_ids().empty());
  EXPECT_EQ(t->decode({300, 259, 264, 302, 301}, false), "<s>hello world<think></s>");
  EXPECT_EQ(t->decode({300, 259, 264, 302, 301}, true), "hello world<think>");
  EXPECT_EQ(t->decode({259, -1, 99999}, false), "hello");     // unknown ids are skipped
  EXPECT_EQ(t->decode({0xE4, 0xB8}, false), "\xef\xbf\xbd");  // cut UTF-8 -> U+FFFD
  EXPECT_EQ(t->id_to_token(264), "\xc4\xa0world");
  EXPECT_EQ(t->id_to_token(301), "</s>");
  EXPECT_EQ(t->id_to_token(303), "");
  EXPECT_EQ(t->token_to_id("hello"), 259);
  EXPECT_EQ(t->token_to_id("<think>"), 302);
  EXPECT_FALSE(t->token_to_id("nope").has_value());
}

TEST_F(ToyTokenizerTest, RejectsInvalidUtf8AndAcceptsNul) {
  auto t = load(toy_tokenizer_json(false, kBosEosTemplate));
  ASSERT_NE(t, nullptr);
  for (std::string_view bad :
       {"\xff"sv, "ab\xc3"sv, "\xed\xa0\x80"sv, "\xc0\xaf"sv, "\xf4\x90\x80\x80"sv, "ok\x80ok"sv}) {
    auto ids = t->encode(bad);
    ASSERT_FALSE(ids.is_ok());
    EXPECT_EQ(ids.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_NE(t->encode("ok\x80ok").status().message().find("offset 2"), std::string::npos);
  // HF accepts NUL like any other control character: byte 0's symbol.
  EXPECT_EQ(*t->encode("a\0b"sv, false), (Ids{'a', 0, 'b'}));
}

TEST_F(ToyTokenizerTest, LoadErrors) {
  EXPECT_EQ(Tokenizer::load((dir_ / "missing").string()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(load_error("{\"model\": ").code(), StatusCode::kInvalidArgument);
  std::string json = toy_tokenizer_json(false, "null");
  std::string wordpiece = json;
  wordpiece.replace(wordpiece.find(R"("type":"BPE")"), 12, R"("type":"WordPiece")");
  const Status s = load_error(wordpiece);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("WordPiece"), std::string::npos) << s.to_string();
  std::string bad_merge = json;
  bad_merge.replace(bad_merge.find(R"(["h","e"])"), 9, R"(["h","#"])");
  EXPECT_EQ(load_error(bad_merge).code(), StatusCode::kInvalidArgument);
  std::string lowercase = json;
  lowercase.replace(lowercase.find(R"({"type":"NFC"})"), 14, R"({"type":"Lowercase"})");
  EXPECT_EQ(load_error(lowercase).code(), StatusCode::kUnsupported);
}

// The real Qwen3 tokenizers, when generate_testdata.sh has been run.
class Qwen3TokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("FOURBRAIN_TESTDATA");
    if (dir == nullptr || !is_directory(join_path(dir, "qwen3-embedding"))) {
      GTEST_SKIP() << "FOURBRAIN_TESTDATA is not set or lacks qwen3-embedding; run "
                      "tools/tokenizer/generate_testdata.sh OUT_DIR PYTHON";
    }
    auto emb = Tokenizer::load(join_path(dir, "qwen3-embedding"));
    auto rer = Tokenizer::load(join_path(dir, "qwen3-reranker"));
    ASSERT_TRUE(emb.is_ok()) << emb.status().to_string();
    ASSERT_TRUE(rer.is_ok()) << rer.status().to_string();
    emb_ = std::move(emb).value();
    rer_ = std::move(rer).value();
  }
  std::unique_ptr<Tokenizer> emb_, rer_;
};

constexpr char kTask[] =
    "Instruct: Given a web search query, retrieve relevant passages that answer the query\n"
    "Query:";

TEST_F(Qwen3TokenizerTest, EmbeddingGoldenIds) {
  EXPECT_EQ(
      *emb_->encode(cat({kTask, "What is the capital of China?"})),
      (Ids{641, 1235, 25,  16246, 264, 3482, 2711, 3239, 11,   17179, 9760, 46769, 429,   4226,
           279, 3239, 198, 2859,  25,  3838, 374,  279,  6722, 315,   5616, 30,    151643}));
  EXPECT_EQ(*emb_->encode("The capital of China is Beijing."),
            (Ids{785, 6722, 315, 5616, 374, 26549, 13, 151643}));
  EXPECT_EQ(*emb_->encode("test"), (Ids{1944, 151643}));
  EXPECT_EQ(emb_->template_suffix_ids(), (Ids{151643}));
  EXPECT_EQ(emb_->vocab_size(), 151669u);
  // max_length 8192 semantics: the text is cut, <|endoftext|> is always last.
  auto cut = emb_->encode(cat({kTask, "Explain gravity"}), true, 5);
  EXPECT_EQ(*cut, (Ids{641, 1235, 25, 16246, 151643}));
}

TEST_F(Qwen3TokenizerTest, RerankerPromptGoldenIds) {
  const std::string prefix =
      "<|im_start|>system\nJudge whether the Document meets the requirements based on the "
      "Query and the Instruct provided. Note that the answer can only be \"yes\" or "
      "\"no\".<|im_end|>\n<|im_start|>user\n";
  const std::string suffix = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
  EXPECT_EQ(
      *rer_->encode(prefix, false),
      (Ids{151644, 8948, 198,  60256, 3425, 279,  11789, 20027, 279,    8502, 3118,   389, 279,
           11361,  323,  279,  758,   1235, 3897, 13,    7036,  429,    279,  4226,   646, 1172,
           387,    330,  9693, 1,     476,  330,  2152,  3263,  151645, 198,  151644, 872, 198}));
  EXPECT_EQ(*rer_->encode(suffix),
            (Ids{151645, 198, 151644, 77091, 198, 151667, 271, 151668, 271}));
  EXPECT_TRUE(rer_->template_suffix_ids().empty());
  EXPECT_EQ(rer_->token_to_id("yes"), 9693);
  EXPECT_EQ(rer_->token_to_id("no"), 2152);
  EXPECT_EQ(rer_->token_to_id("<|endoftext|>"), 151643);
  EXPECT_EQ(rer_->id_to_token(151667), "<think>");
  EXPECT_EQ(rer_->id_to_token(9834), "\xc4\xa0yes");
  EXPECT_EQ(rer_->decode(*rer_->encode(prefix), false), prefix);
  EXPECT_EQ(rer_->decode(*rer_->encode(suffix), true), "\nassistant\n<think>\n\n</think>\n\n");
}

TEST_F(Qwen3TokenizerTest, ThreadsGetTheSameIds) {
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) {
    texts.push_back(
        cat({"Sample ", std::to_string(i * 7919), " with words, caf\xc3\xa9 \xe4\xb8\xad ",
             std::string(i % 13, 'x'), " it's <think>", std::to_string(i)}));
  }
  std::vector<Ids> want;
  for (const auto& s : texts) want.push_back(*emb_->encode(s));
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          const auto& tok = (round + t) % 2 ? emb_ : rer_;  // two models share each thread
          auto ids = tok->encode(texts[i]);
          Ids expect = want[i];
          if (tok == rer_) expect.pop_back();
          if (!ids.is_ok() || *ids != expect) ++wrong[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, (std::vector<int>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace fourbrain::formats
