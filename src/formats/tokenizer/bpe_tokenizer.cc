#include "formats/tokenizer/bpe_tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "formats/tokenizer/byte_level.h"
#include "formats/tokenizer/normalizer.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

struct Scratch {
  std::vector<AddedTokenMatcher::Span> spans;
  std::vector<AddedTokenMatcher::Span> inner_spans;
  std::string normalized;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

Result<std::unique_ptr<BpeTokenizer>> BpeTokenizer::create(TokenizerSpec spec) {
  FB_ASSIGN_OR_RETURN(BpeModel model,
                      BpeModel::build(std::move(spec.vocab), spec.merges, spec.ignore_merges));
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer(std::move(model)));
  if (!spec.split_pattern.empty()) {
    FB_ASSIGN_OR_RETURN(t->pre_tokenizer_, PreTokenizer::from_pattern(spec.split_pattern));
  }
  t->nfc_ = spec.nfc;
  t->prefix_ = std::move(spec.template_prefix);
  t->suffix_ = std::move(spec.template_suffix);

  t->id_limit_ = t->model_.id_limit();
  std::vector<AddedToken> raw, normalized;
  for (AddedToken& token : spec.added_tokens) {
    if (token.id < 0) return invalid_argument("added token \"" + token.content + "\" has no id");
    t->id_limit_ = std::max(t->id_limit_, static_cast<size_t>(token.id) + 1);
    t->added_to_id_[token.content] = token.id;
    if (token.normalized && t->nfc_) {
      AddedToken copy = token;
      if (!is_quick_nfc(copy.content)) {
        FB_RETURN_IF_ERROR(nfc_normalize(token.content, &copy.content));
      }
      normalized.push_back(std::move(copy));
    } else {
      (token.normalized ? normalized : raw).push_back(token);
    }
  }
  t->added_by_id_.resize(t->id_limit_);
  for (const AddedToken& token : spec.added_tokens) t->added_by_id_[token.id] = token;
  t->raw_added_ = AddedTokenMatcher(std::move(raw));
  t->normalized_added_ = AddedTokenMatcher(std::move(normalized));
  return t;
}

Result<std::vector<int32_t>> BpeTokenizer::encode(std::string_view text, bool add_special_tokens,
                                                  size_t max_length) const {
  if (const size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    char byte[8];
    std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned char>(text[bad]));
    return invalid_argument("text is not valid UTF-8: byte " + std::string(byte) + " at offset " +
                            std::to_string(bad));
  }
  const size_t n_template = add_special_tokens ? prefix_.size() + suffix_.size() : 0;
  size_t limit = SIZE_MAX;  // ids, template prefix included
  if (max_length > 0) {
    // The template tokens are kept; the text gets what is left (HF truncation).
    const size_t budget = max_length > n_template ? max_length - n_template : 0;
    limit = (add_special_tokens ? prefix_.size() : 0) + budget;
  }
  std::vector<int32_t> ids;
  ids.reserve(std::min(limit, text.size() / 3 + 4) + n_template);
  if (add_special_tokens) ids.insert(ids.end(), prefix_.begin(), prefix_.end());
  FB_RETURN_IF_ERROR(encode_text(text, limit, &ids));
  if (ids.size() > limit) ids.resize(limit);
  if (add_special_tokens) ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  return ids;
}

Status BpeTokenizer::encode_text(std::string_view text, size_t limit,
                                 std::vector<int32_t>* ids) const {
  WordCache* cache = model_.thread_cache();
  Scratch& s = scratch();
  s.spans.clear();
  raw_added_.split(text, &s.spans);
  for (const AddedTokenMatcher::Span& span : s.spans) {
    if (ids->size() >= limit) break;
    if (span.id >= 0) {
      ids->push_back(span.id);
      continue;
    }
    std::string_view segment = text.substr(span.begin, span.end - span.begin);
    if (nfc_ && !is_quick_nfc(segment)) {
      FB_RETURN_IF_ERROR(nfc_normalize(segment, &s.normalized));
      segment = s.normalized;
    }
    if (normalized_added_.empty()) {
      encode_pieces(segment, limit, cache, ids);
      continue;
    }
    s.inner_spans.clear();
    normalized_added_.split(segment, &s.inner_spans);
    for (const AddedTokenMatcher::Span& inner : s.inner_spans) {
      if (ids->size() >= limit) break;
      if (inner.id >= 0) {
        ids->push_back(inner.id);
      } else {
        encode_pieces(segment.substr(inner.begin, inner.end - inner.begin), limit, cache, ids);
      }
    }
  }
  return Status::ok();
}

void BpeTokenizer::encode_pieces(std::string_view segment, size_t limit, WordCache* cache,
                                 std::vector<int32_t>* ids) const {
  if (pre_tokenizer_ == nullptr) {
    model_.encode_piece(segment, cache, ids);
    return;
  }
  for (size_t pos = 0; pos < segment.size() && ids->size() < limit;) {
    const size_t end = pre_tokenizer_->next_piece_end(segment, pos);
    model_.encode_piece(segment.substr(pos, end - pos), cache, ids);
    pos = end;
  }
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= id_limit_) continue;  // HF skips unknown ids
    const AddedToken& added = added_by_id_[id];
    if (added.id >= 0) {
      if (skip_special_tokens && added.special) continue;
      byte_level_decode_token(added.content, &bytes);
    } else {
      byte_level_decode_token(model_.id_to_token(id), &bytes);
    }
  }
  return utf8_lossy(bytes);
}

std::string BpeTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_limit_) return "";
  if (added_by_id_[id].id >= 0) return added_by_id_[id].content;
  return std::string(model_.id_to_token(id));
}

std::optional<int32_t> BpeTokenizer::token_to_id(std::string_view token) const {
  auto it = added_to_id_.find(token);
  if (it != added_to_id_.end()) return it->second;
  return model_.token_to_id(token);
}

}  // namespace fourbrain::formats::tokenizer
