#include "formats/tokenizer/pipeline_tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {

Status check_utf8(std::string_view text) {
  const size_t bad = find_invalid_utf8(text);
  if (bad == std::string_view::npos) return Status::ok();
  char byte[8];
  std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned char>(text[bad]));
  return invalid_argument("text is not valid UTF-8: byte " + std::string(byte) + " at offset " +
                          std::to_string(bad));
}

Result<std::unique_ptr<PipelineTokenizer>> PipelineTokenizer::create(
    std::unique_ptr<SubwordModel> model, PipelineSpec spec) {
  std::unique_ptr<PipelineTokenizer> t(new PipelineTokenizer());
  t->id_limit_ = model->id_limit();
  std::vector<AddedToken> raw, normalized;
  for (AddedToken& token : spec.added_tokens) {
    if (token.id < 0) return invalid_argument("added token \"" + token.content + "\" has no id");
    FB_RETURN_IF_ERROR(check_utf8(token.content).with_context("added token"));
    t->id_limit_ = std::max(t->id_limit_, static_cast<size_t>(token.id) + 1);
    t->added_to_id_[token.content] = token.id;
    if (token.special) t->special_contents_.insert(token.content);
    if (!token.normalized || spec.normalizer == nullptr) {
      raw.push_back(token);
      continue;
    }
    // HF matches a "normalized" token in normalised text, so its content is normalised too;
    // that is also the string HF gives back for its id.
    size_t n_first = 1;
    FB_RETURN_IF_ERROR(spec.normalizer->normalize(&token.content, &n_first));
    normalized.push_back(token);
  }
  t->added_by_id_.resize(t->id_limit_);
  for (const AddedToken& token : spec.added_tokens) t->added_by_id_[token.id] = token;
  t->raw_added_ = AddedTokenMatcher(std::move(raw));
  t->normalized_added_ = AddedTokenMatcher(std::move(normalized));
  t->prefix_ = spec.post.single_prefix();
  t->suffix_ = spec.post.single_suffix();
  t->uses_at_start_ = spec.splitter != nullptr && spec.splitter->uses_at_start();
  t->model_ = std::move(model);
  t->spec_ = std::move(spec);
  return t;
}

Result<std::vector<int32_t>> PipelineTokenizer::encode(std::string_view text,
                                                       bool add_special_tokens,
                                                       size_t max_length) const {
  FB_RETURN_IF_ERROR(check_utf8(text));
  const size_t n_added = add_special_tokens ? spec_.post.n_added(false) : 0;
  size_t limit = SIZE_MAX;
  if (max_length > 0) limit = max_length > n_added ? max_length - n_added : 0;
  std::vector<int32_t> ids;
  FB_RETURN_IF_ERROR(encode_text(text, limit, &ids));
  if (ids.size() > limit) ids.resize(limit);
  if (!add_special_tokens) return ids;
  Encoding out;
  spec_.post.apply(ids, nullptr, &out);
  return std::move(out.ids);
}

Result<Encoding> PipelineTokenizer::encode_pair(std::string_view a, std::string_view b,
                                                size_t max_length) const {
  if (spec_.post.pair.empty() && !spec_.post.single.empty()) {
    return unsupported("this tokenizer's post-processor has no template for text pairs");
  }
  FB_RETURN_IF_ERROR(check_utf8(a).with_context("first text"));
  FB_RETURN_IF_ERROR(check_utf8(b).with_context("second text"));
  // Longest-first truncation needs both full lengths, so neither text stops early.
  std::vector<int32_t> ids_a, ids_b;
  FB_RETURN_IF_ERROR(encode_text(a, SIZE_MAX, &ids_a));
  FB_RETURN_IF_ERROR(encode_text(b, SIZE_MAX, &ids_b));
  if (max_length > 0) {
    const size_t n_added = spec_.post.n_added(true);
    size_t n_a = ids_a.size(), n_b = ids_b.size();
    truncate_longest_first(max_length > n_added ? max_length - n_added : 0, &n_a, &n_b);
    ids_a.resize(n_a);
    ids_b.resize(n_b);
  }
  Encoding out;
  spec_.post.apply(ids_a, &ids_b, &out);
  return out;
}

Status PipelineTokenizer::encode_text(std::string_view text, size_t limit,
                                      std::vector<int32_t>* ids) const {
  std::vector<AddedTokenMatcher::Span> spans;
  raw_added_.split(text, &spans);
  for (const AddedTokenMatcher::Span& span : spans) {
    if (ids->size() >= limit) break;
    if (span.id >= 0) {
      ids->push_back(span.id);
    } else {
      FB_RETURN_IF_ERROR(encode_segment(text.substr(span.begin, span.end - span.begin),
                                        span.begin == 0, limit, ids));
    }
  }
  return Status::ok();
}

Status PipelineTokenizer::encode_segment(std::string_view segment, bool at_start, size_t limit,
                                         std::vector<int32_t>* ids) const {
  std::string normalized(segment);
  // Characters that stem from the text's first one; worked out only when the splitter asks.
  size_t n_first = at_start && uses_at_start_ ? 1 : 0;
  if (spec_.normalizer != nullptr) {
    FB_RETURN_IF_ERROR(spec_.normalizer->normalize(&normalized, &n_first));
  }
  std::vector<AddedTokenMatcher::Span> spans;
  normalized_added_.split(normalized, &spans);
  std::vector<Piece> pieces;
  for (const AddedTokenMatcher::Span& span : spans) {
    if (ids->size() >= limit) break;
    if (span.id >= 0) {
      ids->push_back(span.id);
      continue;
    }
    pieces.clear();
    pieces.push_back(
        {normalized.substr(span.begin, span.end - span.begin), n_first > 0 && span.begin == 0});
    if (spec_.splitter != nullptr) spec_.splitter->split(&pieces);
    for (const Piece& piece : pieces) {
      if (ids->size() >= limit) break;
      FB_RETURN_IF_ERROR(model_->encode_piece(piece.text, ids));
    }
  }
  return Status::ok();
}

std::string PipelineTokenizer::decode(const std::vector<int32_t>& ids,
                                      bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= id_limit_) continue;  // HF skips unknown ids
    const AddedToken& added = added_by_id_[id];
    std::string_view token;
    if (added.id >= 0) {
      token = added.content;
    } else if (!model_->id_to_token(id, &token)) {
      continue;
    }
    // HF skips by string: whatever reads like a special token's content.
    if (skip_special_tokens && special_contents_.find(token) != special_contents_.end()) continue;
    tokens.emplace_back(token);
  }
  if (spec_.decoder == nullptr) {
    std::string text;
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
    return text;
  }
  spec_.decoder->decode_chain(&tokens);
  std::string text;
  for (const std::string& t : tokens) text += t;
  return text;
}

std::string PipelineTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_limit_) return "";
  if (added_by_id_[id].id >= 0) return added_by_id_[id].content;
  std::string_view token;
  return model_->id_to_token(id, &token) ? std::string(token) : "";
}

std::optional<int32_t> PipelineTokenizer::token_to_id(std::string_view token) const {
  auto it = added_to_id_.find(token);
  if (it != added_to_id_.end()) return it->second;
  return model_->token_to_id(token);
}

}  // namespace fourbrain::formats::tokenizer
