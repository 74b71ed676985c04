#include "formats/tokenizer/text_normalizer.h"

#include <algorithm>
#include <utility>

#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/form_alignment.h"
#include "formats/tokenizer/hf_unicode.h"
#include "formats/tokenizer/regex_matcher.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

bool is_space(char32_t c) { return CharClasses::get().of(c) & kSpace; }

size_t n_chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Bytes of the first n characters of s (all of s if it has fewer).
size_t prefix_bytes(std::string_view s, size_t n) {
  size_t p = 0;
  for (; p < s.size() && n > 0; --n) {
    int len;
    decode_utf8(s.data() + p, &len);
    p += len;
  }
  return p;
}

// Calls fn(cp, index) for each code point of valid UTF-8 `text`.
template <typename Fn>
void for_each_char(std::string_view text, Fn fn) {
  for (size_t p = 0, i = 0; p < text.size(); ++i) {
    int len;
    const char32_t cp = decode_utf8(text.data() + p, &len);
    fn(cp, i);
    p += len;
  }
}

// Keeps the characters `keep` accepts (HF's NormalizedString::filter).
template <typename Keep>
void filter(std::string* text, size_t* n_first, Keep keep) {
  std::string out;
  out.reserve(text->size());
  size_t n = 0;
  for_each_char(*text, [&](char32_t cp, size_t i) {
    if (!keep(cp)) return;
    append_utf8(cp, &out);
    if (i < *n_first) ++n;
  });
  text->swap(out);
  *n_first = n;
}

void lowercase(std::string* text, size_t* n_first) {
  std::string out;
  out.reserve(text->size());
  size_t n = 0;
  for_each_char(*text, [&](char32_t cp, size_t i) {
    const size_t before = out.size();
    hf_lowercase(cp, &out);
    if (i < *n_first) n += n_chars(std::string_view(out).substr(before));
  });
  text->swap(out);
  *n_first = n;
}

Status normalize_form(std::string* text, size_t* n_first, UnicodeForm form) {
  std::string out;
  FB_RETURN_IF_ERROR(hf_normalize_form(*text, form, &out));
  if (*n_first > 0) *n_first = leading_run_after_form(*text, *n_first, form, out);
  text->swap(out);
  return Status::ok();
}

class BertNormalizer final : public TextNormalizer {
 public:
  explicit BertNormalizer(const BertNormalizerOptions& o) : o_(o) {}

  Status normalize(std::string* text, size_t* n_first) const override {
    const HfUnicode& hf = HfUnicode::get();
    if (o_.clean_text) {
      filter(text, n_first, [&](char32_t cp) { return !(hf.of(cp) & kBertRemoved); });
      std::string out;
      out.reserve(text->size());
      for_each_char(*text, [&](char32_t cp, size_t) {
        // \t \n \r are controls, but BERT counts them as white space (and keeps them).
        append_utf8(cp == '\t' || cp == '\n' || cp == '\r' || is_space(cp) ? U' ' : cp, &out);
      });
      text->swap(out);
    }
    if (o_.handle_chinese_chars) {
      std::string out;
      size_t n = 0;
      for_each_char(*text, [&](char32_t cp, size_t i) {
        const bool chinese = hf.of(cp) & kChinese;
        if (chinese) out.push_back(' ');
        append_utf8(cp, &out);
        if (chinese) out.push_back(' ');
        if (i < *n_first) n += chinese ? 3 : 1;
      });
      text->swap(out);
      *n_first = n;
    }
    if (o_.strip_accents) {
      FB_RETURN_IF_ERROR(normalize_form(text, n_first, UnicodeForm::kNfd));
      filter(text, n_first, [&](char32_t cp) { return !(hf.of(cp) & kBertMark); });
    }
    if (o_.lowercase) lowercase(text, n_first);
    return Status::ok();
  }

 private:
  BertNormalizerOptions o_;
};

class FormNormalizer final : public TextNormalizer {
 public:
  explicit FormNormalizer(UnicodeForm form) : form_(form) {}
  Status normalize(std::string* text, size_t* n_first) const override {
    return normalize_form(text, n_first, form_);
  }

 private:
  UnicodeForm form_;
};

class Lowercase final : public TextNormalizer {
 public:
  Status normalize(std::string* text, size_t* n_first) const override {
    lowercase(text, n_first);
    return Status::ok();
  }
};

class Strip final : public TextNormalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  Status normalize(std::string* text, size_t* n_first) const override {
    size_t begin = 0, end = text->size(), n_removed = 0;
    if (left_) {
      while (begin < end) {
        int len;
        if (!is_space(decode_utf8(text->data() + begin, &len))) break;
        begin += len;
        ++n_removed;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t b = end - 1;
        while (b > begin && (static_cast<unsigned char>((*text)[b]) & 0xC0) == 0x80) --b;
        int len;
        if (!is_space(decode_utf8(text->data() + b, &len))) break;
        end = b;
      }
    }
    *text = text->substr(begin, end - begin);
    *n_first = std::min(*n_first > n_removed ? *n_first - n_removed : 0, n_chars(*text));
    return Status::ok();
  }

 private:
  bool left_, right_;
};

class StripAccents final : public TextNormalizer {
 public:
  Status normalize(std::string* text, size_t* n_first) const override {
    const HfUnicode& hf = HfUnicode::get();
    filter(text, n_first, [&](char32_t cp) { return !(hf.of(cp) & kHfMark); });
    return Status::ok();
  }
};

class Prepend final : public TextNormalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  Status normalize(std::string* text, size_t* n_first) const override {
    if (text->empty()) return Status::ok();  // HF prepends nothing to ""
    text->insert(0, prefix_);
    if (*n_first > 0) *n_first += n_chars(prefix_);  // it takes the first character's place
    return Status::ok();
  }

 private:
  std::string prefix_;
};

class Precompiled final : public TextNormalizer {
 public:
  explicit Precompiled(PrecompiledCharsmap map) : map_(std::move(map)) {}
  Status normalize(std::string* text, size_t* n_first) const override {
    std::string out;
    map_.normalize(*text, &out);
    text->swap(out);
    // HF realigns this normaliser's output by position: the first characters keep the
    // first characters' alignment whatever they were replaced by.
    *n_first = std::min(*n_first, n_chars(*text));
    return Status::ok();
  }

 private:
  PrecompiledCharsmap map_;
};

class Replace final : public TextNormalizer {
 public:
  Replace(std::string literal, std::unique_ptr<RegexMatcher> regex, std::string content)
      : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}

  Status normalize(std::string* text, size_t* n_first) const override {
    // The replacement of a match takes the alignment of the match's last character, so it
    // stems from the first character only when the whole match lies in the prefix that does.
    const size_t prefix = prefix_bytes(*text, *n_first);
    const size_t n_content = n_chars(content_);
    size_t n = 0, counted_to = 0;
    bool open = *n_first > 0;
    std::string out;
    FB_RETURN_IF_ERROR(
        replace_all(*text, regex_.get(), literal_, content_, &out, [&](size_t begin, size_t end) {
          if (!open) return;
          n += n_chars(
              std::string_view(*text).substr(counted_to, std::min(begin, prefix) - counted_to));
          if (end <= prefix) {
            n += n_content;
            counted_to = end;
          } else {
            open = false;
          }
        }));
    if (open) n += n_chars(std::string_view(*text).substr(counted_to, prefix - counted_to));
    text->swap(out);
    *n_first = n;
    return Status::ok();
  }

 private:
  std::string literal_;
  std::unique_ptr<RegexMatcher> regex_;
  std::string content_;
};

class Sequence final : public TextNormalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<TextNormalizer>> steps)
      : steps_(std::move(steps)) {}
  Status normalize(std::string* text, size_t* n_first) const override {
    for (const auto& step : steps_) FB_RETURN_IF_ERROR(step->normalize(text, n_first));
    return Status::ok();
  }

 private:
  std::vector<std::unique_ptr<TextNormalizer>> steps_;
};

}  // namespace

std::unique_ptr<TextNormalizer> make_bert_normalizer(const BertNormalizerOptions& options) {
  return std::make_unique<BertNormalizer>(options);
}
std::unique_ptr<TextNormalizer> make_form_normalizer(UnicodeForm form) {
  return std::make_unique<FormNormalizer>(form);
}
std::unique_ptr<TextNormalizer> make_lowercase() { return std::make_unique<Lowercase>(); }
std::unique_ptr<TextNormalizer> make_strip(bool left, bool right) {
  return std::make_unique<Strip>(left, right);
}
std::unique_ptr<TextNormalizer> make_strip_accents() { return std::make_unique<StripAccents>(); }
std::unique_ptr<TextNormalizer> make_prepend(std::string prefix) {
  return std::make_unique<Prepend>(std::move(prefix));
}
std::unique_ptr<TextNormalizer> make_precompiled(PrecompiledCharsmap map) {
  return std::make_unique<Precompiled>(std::move(map));
}

Result<std::unique_ptr<TextNormalizer>> make_replace(std::string_view pattern, bool is_regex,
                                                     std::string content) {
  std::unique_ptr<RegexMatcher> regex;
  if (is_regex) {
    FB_ASSIGN_OR_RETURN(RegexMatcher compiled, RegexMatcher::compile(pattern));
    regex = std::make_unique<RegexMatcher>(std::move(compiled));
  }
  return std::unique_ptr<TextNormalizer>(std::make_unique<Replace>(
      is_regex ? std::string() : std::string(pattern), std::move(regex), std::move(content)));
}

std::unique_ptr<TextNormalizer> make_sequence(std::vector<std::unique_ptr<TextNormalizer>> steps) {
  return std::make_unique<Sequence>(std::move(steps));
}

}  // namespace fourbrain::formats::tokenizer
