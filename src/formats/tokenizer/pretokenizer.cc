// PreTokenizer::from_pattern and the PCRE2 fallback for patterns other than Qwen2's.
#include "formats/tokenizer/pretokenizer.h"

#include "formats/tokenizer/regex_matcher.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {

const char kQwen2SplitPattern[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|)"
    R"(\s*[\r\n]+|\s+(?!\S)|\s+)";
const char kGpt2SplitPattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::unique_ptr<PreTokenizer> make_qwen2_pretokenizer();  // pretokenizer_qwen2.cc

namespace {

// Patterns other than Qwen2's. The text between matches (and after the last) forms pieces
// of its own, as HF's Split(Isolated) does.
class Pcre2PreTokenizer final : public PreTokenizer {
 public:
  explicit Pcre2PreTokenizer(RegexMatcher regex) : regex_(std::move(regex)) {}

  size_t next_piece_end(std::string_view text, size_t pos) const override {
    size_t from = pos;
    while (from < text.size()) {
      size_t begin = 0, end = 0;
      auto found = regex_.find(text, from, &begin, &end);
      if (!found.is_ok() || !found.value()) return text.size();  // the rest is one gap piece
      if (end > begin) return begin > pos ? begin : end;
      // An empty match yields no piece: look again one character further on.
      if (begin >= text.size()) break;
      int len;
      decode_utf8(text.data() + begin, &len);
      from = begin + len;
    }
    return text.size();
  }

 private:
  RegexMatcher regex_;
};

}  // namespace

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::from_pattern(std::string_view pattern) {
  if (pattern == kQwen2SplitPattern) return make_qwen2_pretokenizer();
  auto regex = RegexMatcher::compile(pattern);
  if (!regex.is_ok()) return regex.status().with_context("split pattern");
  return std::unique_ptr<PreTokenizer>(new Pcre2PreTokenizer(std::move(regex).value()));
}

}  // namespace fourbrain::formats::tokenizer
