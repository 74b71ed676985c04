// Reads the pre-tokenizer.json file set: vocab.json + merges.txt, the added tokens from
// tokenizer_config.json ("added_tokens_decoder", with their flags) and added_tokens.json.
// The pipeline is the one transformers' Qwen2Tokenizer builds around these files: NFC, the
// Qwen2 split pattern, ByteLevel, and no post-processor template (it appends nothing).
#include <charconv>

#include "base/file.h"
#include "formats/json.h"
#include "formats/tokenizer/pretokenizer.h"
#include "formats/tokenizer/tokenizer_spec.h"

namespace fourbrain::formats::tokenizer {
namespace {

Status read_vocab(const std::string& path, TokenizerSpec* spec) {
  FB_ASSIGN_OR_RETURN(JsonValue vocab, JsonValue::parse_file(path));
  if (!vocab.is_object()) return invalid_argument(path + ": must be a JSON object");
  Status status;
  vocab.for_each_member([&](std::string_view token, const JsonValue& id) {
    if (!id.is_integer() || id.as_int() < 0 || id.as_int() > INT32_MAX) {
      status = invalid_argument(path + ": \"" + std::string(token) + "\" has no valid id");
      return;
    }
    spec->vocab.emplace(std::string(token), static_cast<int32_t>(id.as_int()));
  });
  return status;
}

Status read_merges(const std::string& path, TokenizerSpec* spec) {
  FB_ASSIGN_OR_RETURN(std::string text, read_file(path));
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF copies
    if (line.empty() || line.starts_with("#version")) continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos) {
      return invalid_argument(path + ": line " + std::to_string(line_no) +
                              " is not \"left right\"");
    }
    spec->merges.emplace_back(std::string(line.substr(0, space)),
                              std::string(line.substr(space + 1)));
  }
  return Status::ok();
}

bool flag(const JsonValue& obj, std::string_view key, bool fallback) {
  auto v = obj.find(key);
  return v && v->is_bool() ? v->as_bool() : fallback;
}

Status read_config(const std::string& path, TokenizerSpec* spec) {
  FB_ASSIGN_OR_RETURN(JsonValue config, JsonValue::parse_file(path));
  if (!config.is_object()) return invalid_argument(path + ": must be a JSON object");
  if (auto cls = config.find("tokenizer_class"); cls && cls->is_string()) {
    const std::string_view name = cls->as_string();
    if (name != "Qwen2Tokenizer" && name != "Qwen2TokenizerFast") {
      return unsupported(path + ": tokenizer_class \"" + std::string(name) +
                         "\" without tokenizer.json");
    }
  }
  if (flag(config, "add_prefix_space", false)) return unsupported(path + ": add_prefix_space");
  auto decoder = config.find("added_tokens_decoder");
  if (!decoder) return Status::ok();
  if (!decoder->is_object()) return invalid_argument(path + ": added_tokens_decoder");
  Status status;
  decoder->for_each_member([&](std::string_view key, const JsonValue& t) {
    AddedToken token;
    const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), token.id);
    auto content = t.is_object() ? t.get_string("content") : Result<std::string>(not_found(""));
    if (ec != std::errc() || ptr != key.data() + key.size() || token.id < 0 || !content.is_ok()) {
      status = invalid_argument(path + ": added_tokens_decoder[\"" + std::string(key) + "\"]");
      return;
    }
    token.content = *content;
    token.special = flag(t, "special", false);
    token.single_word = flag(t, "single_word", false);
    token.lstrip = flag(t, "lstrip", false);
    token.rstrip = flag(t, "rstrip", false);
    token.normalized = flag(t, "normalized", !token.special);
    spec->added_tokens.push_back(std::move(token));
  });
  return status;
}

// added_tokens.json lists content -> id; tokens already known from the config keep their
// flags, the others get transformers' defaults for a plain added token.
Status read_added_tokens_json(const std::string& path, TokenizerSpec* spec) {
  FB_ASSIGN_OR_RETURN(JsonValue added, JsonValue::parse_file(path));
  if (!added.is_object()) return invalid_argument(path + ": must be a JSON object");
  Status status;
  added.for_each_member([&](std::string_view content, const JsonValue& id) {
    if (!id.is_integer() || id.as_int() < 0 || id.as_int() > INT32_MAX) {
      status = invalid_argument(path + ": \"" + std::string(content) + "\" has no valid id");
      return;
    }
    for (const AddedToken& t : spec->added_tokens) {
      if (t.content == content) return;
    }
    AddedToken token;
    token.content = std::string(content);
    token.id = static_cast<int32_t>(id.as_int());
    token.normalized = true;
    spec->added_tokens.push_back(std::move(token));
  });
  return status;
}

}  // namespace

Result<TokenizerSpec> read_vocab_files(const std::string& dir) {
  TokenizerSpec spec;
  FB_RETURN_IF_ERROR(read_vocab(join_path(dir, "vocab.json"), &spec));
  FB_RETURN_IF_ERROR(read_merges(join_path(dir, "merges.txt"), &spec));
  const std::string config = join_path(dir, "tokenizer_config.json");
  if (file_exists(config)) FB_RETURN_IF_ERROR(read_config(config, &spec));
  const std::string added = join_path(dir, "added_tokens.json");
  if (file_exists(added)) FB_RETURN_IF_ERROR(read_added_tokens_json(added, &spec));
  spec.nfc = true;
  spec.split_pattern = kQwen2SplitPattern;
  return spec;
}

}  // namespace fourbrain::formats::tokenizer
