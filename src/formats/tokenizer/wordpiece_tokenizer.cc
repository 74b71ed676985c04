#include "formats/tokenizer/wordpiece_tokenizer.h"

#include <algorithm>

#include "formats/tokenizer/hf_pipeline_json.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {

Result<std::unique_ptr<WordPieceModel>> WordPieceModel::create(TokenMap vocab,
                                                               const std::string& unk_token,
                                                               std::string prefix,
                                                               size_t max_input_chars_per_word) {
  std::unique_ptr<WordPieceModel> m(new WordPieceModel());
  auto unk = vocab.find(unk_token);
  if (unk == vocab.end()) {
    // HF loads such a model and fails only when a word needs the unknown token; we refuse
    // up front rather than fail on some inputs.
    return unsupported("WordPiece model whose unk_token \"" + unk_token +
                       "\" is not in its vocabulary");
  }
  m->unk_id_ = unk->second;
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab) max_id = std::max(max_id, id);
  m->by_id_.resize(static_cast<size_t>(max_id) + 1);
  m->has_id_.resize(m->by_id_.size());
  for (const auto& [token, id] : vocab) {
    m->by_id_[id] = token;
    m->has_id_[id] = true;
  }
  m->vocab_ = std::move(vocab);
  m->prefix_ = std::move(prefix);
  m->max_chars_ = max_input_chars_per_word;
  return m;
}

Status WordPieceModel::encode_piece(std::string_view word, std::vector<int32_t>* ids) const {
  size_t n_chars = 0;
  for (char c : word) n_chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (n_chars > max_chars_) {
    ids->push_back(unk_id_);
    return Status::ok();
  }
  thread_local std::string candidate;
  const size_t first = ids->size();
  for (size_t start = 0; start < word.size();) {
    size_t end = word.size();
    int32_t found = -1;
    while (start < end) {
      candidate.clear();
      if (start > 0) candidate = prefix_;
      candidate.append(word.substr(start, end - start));
      if (auto it = vocab_.find(candidate); it != vocab_.end()) {
        found = it->second;
        break;
      }
      do --end;
      while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (found < 0) {  // no entry for some part: the whole word is unknown
      ids->resize(first);
      ids->push_back(unk_id_);
      return Status::ok();
    }
    ids->push_back(found);
    start = end;
  }
  return Status::ok();
}

std::optional<int32_t> WordPieceModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

bool WordPieceModel::id_to_token(int32_t id, std::string_view* token) const {
  if (id < 0 || static_cast<size_t>(id) >= by_id_.size() || !has_id_[id]) return false;
  *token = by_id_[id];
  return true;
}

Result<std::unique_ptr<Tokenizer>> load_wordpiece_json(const JsonValue& root) {
  const JsonValue model = *root.find("model");
  auto vocab_json = model.find("vocab");
  if (!vocab_json || !vocab_json->is_object()) {
    return invalid_argument("model.vocab must be an object");
  }
  TokenMap vocab;
  Status status;
  vocab_json->for_each_member([&](std::string_view token, const JsonValue& id) {
    if (!id.is_integer() || id.as_int() < 0 || id.as_int() > INT32_MAX) {
      status = invalid_argument("model.vocab[\"" + std::string(token) + "\"] is not an id");
      return;
    }
    vocab[std::string(token)] = static_cast<int32_t>(id.as_int());
  });
  FB_RETURN_IF_ERROR(status);
  std::string unk = "[UNK]", prefix = "##";
  if (auto v = model.find("unk_token"); v && v->is_string()) unk = std::string(v->as_string());
  if (auto v = model.find("continuing_subword_prefix"); v && v->is_string()) {
    prefix = std::string(v->as_string());
  }
  size_t max_chars = 100;
  if (auto v = model.find("max_input_chars_per_word"); v && v->is_integer() && v->as_int() >= 0) {
    max_chars = static_cast<size_t>(v->as_int());
  }
  FB_ASSIGN_OR_RETURN(std::unique_ptr<WordPieceModel> wordpiece,
                      WordPieceModel::create(std::move(vocab), unk, prefix, max_chars));
  PipelineSpec spec;
  FB_RETURN_IF_ERROR(read_pipeline_json(root, &spec));
  FB_ASSIGN_OR_RETURN(std::unique_ptr<PipelineTokenizer> t,
                      PipelineTokenizer::create(std::move(wordpiece), std::move(spec)));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

}  // namespace fourbrain::formats::tokenizer
