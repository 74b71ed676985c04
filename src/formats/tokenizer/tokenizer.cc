// Tokenizer::load: tokenizer.json when the directory has one, dispatched on model.type
// (WordPiece and Unigram run the general pipeline, pipeline_tokenizer.h; BPE and anything
// else go to the byte-level BPE reader, which refuses what it does not implement); else
// the vocab.json + merges.txt file set (BPE) or vocab.txt (BERT's WordPiece).
#include "formats/tokenizer/tokenizer.h"

#include "base/file.h"
#include "formats/json.h"
#include "formats/tokenizer/bpe_tokenizer.h"
#include "formats/tokenizer/tokenizer_spec.h"
#include "formats/tokenizer/unigram_tokenizer.h"
#include "formats/tokenizer/wordpiece_tokenizer.h"

namespace fourbrain::formats {

Result<Encoding> Tokenizer::encode_pair(std::string_view, std::string_view, size_t) const {
  return unsupported("this tokenizer has no template for text pairs");
}

namespace {

// model.type of a parsed tokenizer.json, or "" if it has none.
std::string model_type(const JsonValue& root) {
  auto model = root.is_object() ? root.find("model") : std::nullopt;
  auto type = model && model->is_object() ? model->find("type") : std::nullopt;
  return type && type->is_string() ? std::string(type->as_string()) : "";
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::load(const std::string& dir) {
  using tokenizer::BpeTokenizer;
  using tokenizer::TokenizerSpec;
  const std::string json = join_path(dir, "tokenizer.json");
  if (file_exists(json)) {
    FB_ASSIGN_OR_RETURN(JsonValue root, JsonValue::parse_file(json));
    const std::string type = model_type(root);
    Result<std::unique_ptr<Tokenizer>> t =
        type == "WordPiece" ? tokenizer::load_wordpiece_json(root)
        : type == "Unigram" ? tokenizer::load_unigram_json(root)
                            : Result<std::unique_ptr<Tokenizer>>(nullptr);
    if (!t.is_ok()) return t.status().with_context(json);
    if (*t != nullptr) return t;
  } else if (!file_exists(join_path(dir, "vocab.json")) &&
             file_exists(join_path(dir, "vocab.txt"))) {
    return tokenizer::load_wordpiece_vocab_files(dir);
  }
  Result<TokenizerSpec> spec =
      file_exists(json) ? tokenizer::read_tokenizer_json(json)
      : file_exists(join_path(dir, "vocab.json"))
          ? tokenizer::read_vocab_files(dir)
          : Result<TokenizerSpec>(
                not_found(dir + ": neither tokenizer.json, vocab.json nor vocab.txt"));
  if (!spec.is_ok()) return spec.status();
  FB_ASSIGN_OR_RETURN(std::unique_ptr<BpeTokenizer> t,
                      BpeTokenizer::create(std::move(spec).value()));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

}  // namespace fourbrain::formats
