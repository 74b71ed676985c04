// Tokenizer::load: tokenizer.json when the directory has one, else the vocab.json +
// merges.txt file set. Both give a BpeTokenizer.
#include "formats/tokenizer/tokenizer.h"

#include "base/file.h"
#include "formats/tokenizer/bpe_tokenizer.h"
#include "formats/tokenizer/tokenizer_spec.h"

namespace fourbrain::formats {

Result<Encoding> Tokenizer::encode_pair(std::string_view, std::string_view, size_t) const {
  return unsupported("this tokenizer has no template for text pairs");
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::load(const std::string& dir) {
  using tokenizer::BpeTokenizer;
  using tokenizer::TokenizerSpec;
  const std::string json = join_path(dir, "tokenizer.json");
  Result<TokenizerSpec> spec =
      file_exists(json) ? tokenizer::read_tokenizer_json(json)
      : file_exists(join_path(dir, "vocab.json"))
          ? tokenizer::read_vocab_files(dir)
          : Result<TokenizerSpec>(not_found(dir + ": neither tokenizer.json nor vocab.json"));
  if (!spec.is_ok()) return spec.status();
  FB_ASSIGN_OR_RETURN(std::unique_ptr<BpeTokenizer> t,
                      BpeTokenizer::create(std::move(spec).value()));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

}  // namespace fourbrain::formats
