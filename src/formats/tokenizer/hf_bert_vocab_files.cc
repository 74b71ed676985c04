// load_wordpiece_vocab_files: the pre-tokenizer.json BERT file set. vocab.txt has one token
// per line (id = line number; trailing white space, "\r" included, is cut and a later
// duplicate wins, as tokenizers' WordPiece::read_file does, which transformers 5 uses);
// tokenizer_config.json gives do_lower_case, strip_accents (null:
// as do_lower_case), tokenize_chinese_chars and the special tokens, which
// special_tokens_map.json may also name. The pipeline is transformers' BertTokenizer's.
#include <string>
#include <utility>
#include <vector>

#include "base/file.h"
#include "formats/json.h"
#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/hf_pipeline_json.h"
#include "formats/tokenizer/utf8.h"
#include "formats/tokenizer/wordpiece_tokenizer.h"

namespace fourbrain::formats::tokenizer {
namespace {

// Special-token attributes in transformers' order (new ids are given in this order).
constexpr const char* kSpecialKeys[] = {"unk_token", "sep_token", "pad_token", "cls_token",
                                        "mask_token"};

Status read_vocab_txt(const std::string& path, TokenMap* vocab) {
  FB_ASSIGN_OR_RETURN(std::string text, read_file(path));
  if (const size_t bad = find_invalid_utf8(text); bad != std::string::npos) {
    return invalid_argument(path + ": not UTF-8 at byte " + std::to_string(bad));
  }
  int32_t id = 0;
  for (size_t pos = 0; pos < text.size(); ++id) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    size_t stop = end;  // Rust's trim_end: drop trailing White_Space characters
    while (stop > pos) {
      size_t b = stop - 1;
      while (b > pos && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
      int len;
      if (!(CharClasses::get().of(decode_utf8(text.data() + b, &len)) & kSpace)) break;
      stop = b;
    }
    (*vocab)[text.substr(pos, stop - pos)] = id;
    pos = end + 1;
  }
  return Status::ok();
}

// A special token's content: "[UNK]" or {"content": "[UNK]", ...}.
std::optional<std::string> token_content(const JsonValue& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_object()) {
    auto c = v.find("content");
    if (c && c->is_string()) return std::string(c->as_string());
  }
  return std::nullopt;
}

struct BertConfig {
  BertNormalizerOptions normalizer;
  std::vector<std::pair<std::string, std::string>> specials;  // attribute -> content
  std::vector<AddedToken> declared;                           // added_tokens_decoder
};

void read_specials(const JsonValue& obj, BertConfig* config) {
  for (const char* key : kSpecialKeys) {
    auto v = obj.find(key);
    if (!v) continue;
    auto content = token_content(*v);
    if (!content) continue;
    bool replaced = false;
    for (auto& [k, c] : config->specials) {
      if (k == key) c = *content, replaced = true;
    }
    if (!replaced) config->specials.emplace_back(key, *content);
  }
}

Status read_config(const std::string& path, BertConfig* config) {
  FB_ASSIGN_OR_RETURN(JsonValue json, JsonValue::parse_file(path));
  if (!json.is_object()) return invalid_argument(path + ": must be a JSON object");
  if (auto cls = json.find("tokenizer_class"); cls && cls->is_string()) {
    const std::string_view name = cls->as_string();
    if (name != "BertTokenizer" && name != "BertTokenizerFast" && name != "DistilBertTokenizer" &&
        name != "DistilBertTokenizerFast") {
      return unsupported(path + ": tokenizer_class \"" + std::string(name) +
                         "\" with vocab.txt and no tokenizer.json");
    }
  }
  BertNormalizerOptions& n = config->normalizer;
  n.lowercase = json_bool_or(json, "do_lower_case", true);
  n.strip_accents = json_bool_or(json, "strip_accents", n.lowercase);
  n.handle_chinese_chars = json_bool_or(json, "tokenize_chinese_chars", true);
  read_specials(json, config);
  if (auto decoder = json.find("added_tokens_decoder"); decoder && decoder->is_object()) {
    Status status;
    decoder->for_each_member([&](std::string_view key, const JsonValue& t) {
      AddedToken token;
      auto content = token_content(t);
      const std::string id(key);
      if (!content || id.empty() || id.size() > 9 ||
          id.find_first_not_of("0123456789") != std::string::npos) {
        status = invalid_argument(path + ": added_tokens_decoder[\"" + id + "\"]");
        return;
      }
      token.id = std::stoi(id);
      token.content = *content;
      token.special = json_bool_or(t, "special", false);
      token.single_word = json_bool_or(t, "single_word", false);
      token.lstrip = json_bool_or(t, "lstrip", false);
      token.rstrip = json_bool_or(t, "rstrip", false);
      token.normalized = json_bool_or(t, "normalized", !token.special);
      config->declared.push_back(std::move(token));
    });
    FB_RETURN_IF_ERROR(status);
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_wordpiece_vocab_files(const std::string& dir) {
  TokenMap vocab;
  FB_RETURN_IF_ERROR(read_vocab_txt(join_path(dir, "vocab.txt"), &vocab));
  BertConfig config;
  config.specials = {{"unk_token", "[UNK]"},
                     {"sep_token", "[SEP]"},
                     {"pad_token", "[PAD]"},
                     {"cls_token", "[CLS]"},
                     {"mask_token", "[MASK]"}};
  const std::string config_path = join_path(dir, "tokenizer_config.json");
  if (file_exists(config_path)) FB_RETURN_IF_ERROR(read_config(config_path, &config));
  const std::string map_path = join_path(dir, "special_tokens_map.json");
  if (file_exists(map_path)) {
    FB_ASSIGN_OR_RETURN(JsonValue map, JsonValue::parse_file(map_path));
    if (!map.is_object()) return invalid_argument(map_path + ": must be a JSON object");
    read_specials(map, &config);
  }

  PipelineSpec spec;
  spec.added_tokens = config.declared;
  int32_t next_id = static_cast<int32_t>(vocab.size());
  for (const auto& [token, id] : vocab) next_id = std::max(next_id, id + 1);
  auto special_id = [&](const std::string& content) {
    for (const AddedToken& t : spec.added_tokens) {
      if (t.content == content) return t.id;
    }
    AddedToken token;
    token.content = content;
    token.special = true;
    auto it = vocab.find(content);
    token.id = it != vocab.end() ? it->second : next_id++;
    spec.added_tokens.push_back(token);
    return token.id;
  };
  int32_t cls = -1, sep = -1;
  std::string unk = "[UNK]";
  for (const auto& [key, content] : config.specials) {
    const int32_t id = special_id(content);
    if (key == "cls_token") cls = id;
    if (key == "sep_token") sep = id;
    if (key == "unk_token") unk = content;
  }
  FB_ASSIGN_OR_RETURN(std::unique_ptr<WordPieceModel> model,
                      WordPieceModel::create(std::move(vocab), unk, "##", 100));
  spec.normalizer = make_bert_normalizer(config.normalizer);
  spec.splitter = make_bert_pre_tokenizer();
  spec.post = PostTemplate::bert(cls, sep);
  spec.decoder = make_wordpiece_decoder("##", true);
  FB_ASSIGN_OR_RETURN(std::unique_ptr<PipelineTokenizer> t,
                      PipelineTokenizer::create(std::move(model), std::move(spec)));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

}  // namespace fourbrain::formats::tokenizer
