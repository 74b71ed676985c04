#define PCRE2_CODE_UNIT_WIDTH 8
#include "formats/tokenizer/regex_matcher.h"

#include <pcre2.h>

#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

struct MatchData {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  ~MatchData() { pcre2_match_data_free(data); }
};

}  // namespace

Result<RegexMatcher> RegexMatcher::compile(std::string_view pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return invalid_argument("regex \"" + std::string(pattern) + "\" does not compile at offset " +
                            std::to_string(offset) + ": " + reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // optional: falls back to the interpreter
  RegexMatcher m;
  m.code_ =
      std::shared_ptr<void>(code, [](void* c) { pcre2_code_free(static_cast<pcre2_code*>(c)); });
  return m;
}

Result<bool> RegexMatcher::find(std::string_view text, size_t from, size_t* begin,
                                size_t* end) const {
  thread_local MatchData match;
  const int rc =
      pcre2_match(static_cast<pcre2_code*>(code_.get()), reinterpret_cast<PCRE2_SPTR>(text.data()),
                  text.size(), from, PCRE2_NO_UTF_CHECK, match.data, nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) return internal_error("regex match failed with PCRE2 error " + std::to_string(rc));
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match.data);
  *begin = ov[0];
  *end = ov[1];
  return true;
}

Status RegexMatcher::for_each_match(std::string_view text,
                                    const std::function<void(size_t, size_t)>& fn) const {
  size_t from = 0;
  size_t last_match_end = SIZE_MAX;
  while (from <= text.size()) {
    size_t begin = 0, end = 0;
    FB_ASSIGN_OR_RETURN(bool found, find(text, from, &begin, &end));
    if (!found) break;
    if (begin == end && end == last_match_end) {
      if (from >= text.size()) break;
      int len;
      decode_utf8(text.data() + from, &len);
      from += len;
      continue;
    }
    fn(begin, end);
    from = end;
    last_match_end = end;
  }
  return Status::ok();
}

Status replace_all(std::string_view text, const RegexMatcher* regex, std::string_view literal,
                   std::string_view content, std::string* out,
                   const std::function<void(size_t, size_t)>& on_match) {
  out->clear();
  if (text.empty()) return Status::ok();  // HF finds no match, not even an empty one, in ""
  size_t done = 0;
  auto emit = [&](size_t begin, size_t end) {
    if (on_match) on_match(begin, end);
    out->append(text.substr(done, begin - done));
    out->append(content);
    done = end;
  };
  if (regex != nullptr) {
    FB_RETURN_IF_ERROR(regex->for_each_match(text, emit));
  } else if (!literal.empty()) {
    for (size_t p = text.find(literal); p != std::string_view::npos;
         p = text.find(literal, p + literal.size())) {
      emit(p, p + literal.size());
    }
  }
  out->append(text.substr(done));
  return Status::ok();
}

}  // namespace fourbrain::formats::tokenizer
