// PreTokenizer::from_pattern and the PCRE2 fallback for patterns other than Qwen2's.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "formats/tokenizer/pretokenizer.h"

#include <pcre2.h>

#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {

const char kQwen2SplitPattern[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|)"
    R"(\s*[\r\n]+|\s+(?!\S)|\s+)";
const char kGpt2SplitPattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::unique_ptr<PreTokenizer> make_qwen2_pretokenizer();  // pretokenizer_qwen2.cc

namespace {

// One match-data block per thread, shared by all patterns: only the whole-match offsets
// are read, so one pair suffices.
struct MatchData {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  ~MatchData() { pcre2_match_data_free(data); }
};

class Pcre2PreTokenizer final : public PreTokenizer {
 public:
  explicit Pcre2PreTokenizer(pcre2_code* code) : code_(code) {}
  ~Pcre2PreTokenizer() override { pcre2_code_free(code_); }

  size_t next_piece_end(std::string_view text, size_t pos) const override {
    thread_local MatchData match;
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t from = pos;
    while (from < text.size()) {
      const int rc =
          pcre2_match(code_, subject, text.size(), from, PCRE2_NO_UTF_CHECK, match.data, nullptr);
      if (rc < 0) return text.size();  // no more matches: the rest is one gap piece
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match.data);
      if (ov[1] > ov[0]) return ov[0] > pos ? ov[0] : ov[1];
      // An empty match yields no piece: look again one character further on.
      if (ov[0] >= text.size()) break;
      int len;
      decode_utf8(text.data() + ov[0], &len);
      from = ov[0] + len;
    }
    return text.size();
  }

 private:
  pcre2_code* code_;
};

}  // namespace

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::from_pattern(std::string_view pattern) {
  if (pattern == kQwen2SplitPattern) return make_qwen2_pretokenizer();
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return invalid_argument("split pattern does not compile at offset " + std::to_string(offset) +
                            ": " + reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional: falls back to the interpreter
  return std::unique_ptr<PreTokenizer>(new Pcre2PreTokenizer(code));
}

}  // namespace fourbrain::formats::tokenizer
