// Tokenizer: the byte-level BPE tokenizer of Qwen2/Qwen3, token-for-token identical to
// HuggingFace `tokenizers` (see ../shared/reference/qwen3.md §5).
//
// Pipeline: added tokens are matched first on the raw text (longest match, as HF does
// with split_special_tokens=false); the remaining segments go through NFC, the Qwen2
// pre-tokenizer split, the GPT-2 byte-to-unicode mapping and BPE merges; the
// post-processor appends its template tokens (Qwen3-Embedding's appends <|endoftext|>).
// Loaded from tokenizer.json when present, else vocab.json + merges.txt +
// tokenizer_config.json (+ added_tokens.json). Immutable after load: encode/decode are
// thread-safe. Invalid UTF-8 input is InvalidArgument, never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fourbrain::formats {

// The ids of one encoded text or text pair, with token type ids (segment ids).
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;  // 0 for the first text's tokens, 1 for the second's
};

class Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> load(const std::string& dir);
  virtual ~Tokenizer() = default;

  // `add_special_tokens` applies the post-processor. With max_length > 0 the text tokens
  // are truncated on the right so that the result, template tokens included, has at most
  // max_length ids (HF truncation=True, max_length=...).
  virtual Result<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens = true,
                                              size_t max_length = 0) const = 0;
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const = 0;
  // A text pair laid out by the post-processor (BERT: [CLS] a [SEP] b [SEP] with type ids
  // 0/1; XLM-R: <s> a </s></s> b </s>), truncated longest-first so that the result has at
  // most max_length ids (0: no limit), as HF's tokenizer(a, b, truncation=True) does.
  // Unsupported for tokenizers without a pair template (Qwen's BPE).
  virtual Result<Encoding> encode_pair(std::string_view a, std::string_view b,
                                       size_t max_length) const;

  // The token's vocabulary string (byte-level form, e.g. "Ġthe"), or "" if out of range.
  virtual std::string id_to_token(int32_t id) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  // Ids appended by the post-processor to a single sequence (empty if none).
  virtual const std::vector<int32_t>& template_suffix_ids() const = 0;
  // Number of ids known (vocab plus added tokens): 151669 for Qwen3.
  virtual size_t vocab_size() const = 0;
};

}  // namespace fourbrain::formats
