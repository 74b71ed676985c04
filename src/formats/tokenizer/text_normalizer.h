// Normalizers of the WordPiece and Unigram pipelines, each reproducing one HF `tokenizers`
// normalizer on the text alone (HF also tracks offsets; we need only the result):
// BertNormalizer, NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents, Replace (literal or
// regex), Prepend, Precompiled and Sequence. Built from tokenizer.json by
// hf_pipeline_json.cc or directly (vocab.txt path, tests).
//
// Immutable after construction: normalize() is thread-safe. Input must be valid UTF-8 and
// the output is valid UTF-8. normalize() fails only on internal errors (utf8proc, PCRE2
// running out of resources). Construction of Replace fails (InvalidArgument) on a regex
// PCRE2 can't compile.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer/precompiled_charsmap.h"
#include "formats/tokenizer/unicode_forms.h"

namespace fourbrain::formats::tokenizer {

class TextNormalizer {
 public:
  virtual ~TextNormalizer() = default;
  // Replaces *text with its normalised form. *n_first counts the leading characters of the
  // text that stem from the first character of the original text (0: none, e.g. because it
  // was removed), in and out: HF's Metaspace(prepend_scheme="first") prepends only when the
  // first character still does. It follows HF's alignments closely, not in every corner.
  virtual Status normalize(std::string* text, size_t* n_first) const = 0;
};

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;  // tokenizer.json's null means "as lowercase": resolved by callers
  bool lowercase = true;
};

std::unique_ptr<TextNormalizer> make_bert_normalizer(const BertNormalizerOptions& options);
std::unique_ptr<TextNormalizer> make_form_normalizer(UnicodeForm form);
std::unique_ptr<TextNormalizer> make_lowercase();
std::unique_ptr<TextNormalizer> make_strip(bool left, bool right);
std::unique_ptr<TextNormalizer> make_strip_accents();
std::unique_ptr<TextNormalizer> make_prepend(std::string prefix);
std::unique_ptr<TextNormalizer> make_precompiled(PrecompiledCharsmap map);
// Replaces every match of `pattern` (a literal string, or a regex when is_regex) by content.
Result<std::unique_ptr<TextNormalizer>> make_replace(std::string_view pattern, bool is_regex,
                                                     std::string content);
std::unique_ptr<TextNormalizer> make_sequence(std::vector<std::unique_ptr<TextNormalizer>> steps);

}  // namespace fourbrain::formats::tokenizer
