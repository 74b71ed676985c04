#include "formats/tokenizer/unigram_tokenizer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "formats/tokenizer/hf_pipeline_json.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

constexpr double kUnkPenalty = 10.0;  // tokenizers' K_UNK_PENALTY

// 1e0 .. 1e308 as compiler literals (correctly rounded, like Rust's POW10 table).
struct Pow10 {
  double v[309];
  Pow10() {
    char buf[16];
    for (int i = 0; i <= 308; ++i) {
      std::snprintf(buf, sizeof(buf), "1e%d", i);
      std::from_chars(buf, buf + std::char_traits<char>::length(buf), v[i]);
    }
  }
};

}  // namespace

double serde_json_f64(double exact) {
  if (!std::isfinite(exact)) return exact;
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), exact, std::chars_format::scientific);
  // "-d.ddde-XX": the significand's digits and the exponent of the last digit.
  const char* p = buf;
  const bool negative = *p == '-';
  if (negative) ++p;
  uint64_t significand = 0;
  int n_frac = 0;
  bool after_point = false;
  for (; p < r.ptr && *p != 'e'; ++p) {
    if (*p == '.') {
      after_point = true;
      continue;
    }
    significand = significand * 10 + static_cast<uint64_t>(*p - '0');
    if (after_point) ++n_frac;
  }
  int exponent = 0;
  if (p < r.ptr) std::from_chars(p + 1 + (p[1] == '+'), r.ptr, exponent);
  exponent -= n_frac;
  // serde_json's f64_from_parts: one rounding to f64, then one multiplication or division.
  static const Pow10 pow10;
  double f = static_cast<double>(significand);
  while (true) {
    const int e = exponent < 0 ? -exponent : exponent;
    if (e <= 308) {
      f = exponent >= 0 ? f * pow10.v[e] : f / pow10.v[e];
      break;
    }
    if (f == 0 || exponent >= 0) break;  // (serde rejects overflow; values never get here)
    f /= 1e308;
    exponent += 308;
  }
  return negative ? -f : f;
}

Result<std::unique_ptr<UnigramModel>> UnigramModel::create(
    std::vector<std::pair<std::string, double>> vocab, std::optional<int32_t> unk_id,
    bool byte_fallback) {
  if (vocab.size() > static_cast<size_t>(INT32_MAX)) return invalid_argument("vocab too large");
  if (unk_id && (vocab.empty() || *unk_id < 0 || static_cast<size_t>(*unk_id) >= vocab.size())) {
    return invalid_argument("unk_id is not in the vocabulary");
  }
  std::unique_ptr<UnigramModel> m(new UnigramModel());
  double min_score = std::numeric_limits<double>::infinity();
  std::vector<std::pair<std::string, int32_t>> keys;
  keys.reserve(vocab.size());
  for (size_t id = 0; id < vocab.size(); ++id) {
    m->to_id_[vocab[id].first] = static_cast<int32_t>(id);
    if (!vocab[id].first.empty()) keys.emplace_back(vocab[id].first, static_cast<int32_t>(id));
    min_score = std::min(min_score, vocab[id].second);
  }
  m->trie_.build(std::move(keys));
  m->unk_score_ = min_score - kUnkPenalty;
  m->unk_id_ = unk_id.value_or(-1);
  m->byte_fallback_ = byte_fallback;
  m->vocab_ = std::move(vocab);
  return m;
}

Status UnigramModel::encode_piece(std::string_view piece, std::vector<int32_t>* ids) const {
  // best[i]: the best path over piece[0, i): its score, where its last token starts, the id.
  struct Node {
    double score = 0;
    int64_t start = -1;
    int32_t id = 0;
  };
  thread_local std::vector<Node> best;
  best.assign(piece.size() + 1, Node());
  for (size_t start = 0; start < piece.size();) {
    const double base = best[start].score;
    int char_len;
    decode_utf8(piece.data() + start, &char_len);
    bool has_single = false;
    trie_.for_each_prefix(piece.substr(start), [&](size_t length, int32_t id) {
      // `id` is a repeated piece's last occurrence, whose score HF uses (the trie keeps it).
      Node& target = best[start + length];
      const double candidate = vocab_[id].second + base;
      if (target.start < 0 || candidate > target.score) target = {candidate, int64_t(start), id};
      if (length == static_cast<size_t>(char_len)) has_single = true;
    });
    if (!has_single) {
      if (unk_id_ < 0) {
        return invalid_argument(
            "the text has a character the Unigram vocabulary lacks, and the "
            "model has no unk_id");
      }
      Node& target = best[start + char_len];
      const double candidate = unk_score_ + base;
      if (target.start < 0 || candidate > target.score) {
        target = {candidate, int64_t(start), unk_id_};
      }
    }
    start += char_len;
  }
  // Walk back from the end; consecutive unknown tokens fuse into one (HF's fuse_unk).
  thread_local std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) from the end
  thread_local std::vector<int32_t> span_ids;
  spans.clear();
  span_ids.clear();
  for (size_t end = piece.size(); end > 0;) {
    const Node& node = best[end];
    const auto start = static_cast<size_t>(node.start);
    if (node.id == unk_id_ && !span_ids.empty() && span_ids.back() == unk_id_) {
      spans.back().first = start;
    } else {
      spans.emplace_back(start, end);
      span_ids.push_back(node.id);
    }
    end = start;
  }
  for (size_t i = spans.size(); i-- > 0;) {
    if (span_ids[i] != unk_id_) {
      ids->push_back(span_ids[i]);
    } else {
      push_unknown(piece.substr(spans[i].first, spans[i].second - spans[i].first), ids);
    }
  }
  return Status::ok();
}

void UnigramModel::push_unknown(std::string_view run, std::vector<int32_t>* ids) const {
  if (auto it = to_id_.find(run); it != to_id_.end()) {  // e.g. the text spelled "<unk>"
    ids->push_back(it->second);
    return;
  }
  if (byte_fallback_) {
    const size_t first = ids->size();
    char name[8];
    for (char c : run) {
      std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<unsigned char>(c));
      auto it = to_id_.find(std::string_view(name));
      if (it == to_id_.end()) {
        ids->resize(first);  // not every byte has a piece: the run stays unknown
        ids->push_back(unk_id_);
        return;
      }
      ids->push_back(it->second);
    }
    return;
  }
  ids->push_back(unk_id_);
}

std::optional<int32_t> UnigramModel::token_to_id(std::string_view token) const {
  auto it = to_id_.find(token);
  if (it == to_id_.end()) return std::nullopt;
  return it->second;
}

bool UnigramModel::id_to_token(int32_t id, std::string_view* token) const {
  if (id < 0 || static_cast<size_t>(id) >= vocab_.size()) return false;
  *token = vocab_[id].first;
  return true;
}

Result<std::unique_ptr<Tokenizer>> load_unigram_json(const JsonValue& root) {
  const JsonValue model = *root.find("model");
  auto list = model.find("vocab");
  if (!list || !list->is_array()) return invalid_argument("model.vocab must be an array");
  std::vector<std::pair<std::string, double>> vocab;
  vocab.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const JsonValue item = list->at(i);
    if (!item.is_array() || item.size() != 2 || !item.at(0).is_string() ||
        !item.at(1).is_number()) {
      return invalid_argument("model.vocab[" + std::to_string(i) + "] is not [piece, score]");
    }
    const std::string_view piece = item.at(0).as_string();
    if (find_invalid_utf8(piece) != std::string::npos) {
      return invalid_argument("model.vocab[" + std::to_string(i) + "] is not UTF-8");
    }
    vocab.emplace_back(std::string(piece), serde_json_f64(item.at(1).as_double()));
  }
  std::optional<int32_t> unk_id;
  if (auto u = model.find("unk_id"); u && !u->is_null()) {
    if (!u->is_integer() || u->as_int() < 0 || u->as_int() > INT32_MAX) {
      return invalid_argument("model.unk_id must be an id or null");
    }
    unk_id = static_cast<int32_t>(u->as_int());
  }
  FB_ASSIGN_OR_RETURN(
      std::unique_ptr<UnigramModel> unigram,
      UnigramModel::create(std::move(vocab), unk_id, json_bool_or(model, "byte_fallback", false)));
  PipelineSpec spec;
  FB_RETURN_IF_ERROR(read_pipeline_json(root, &spec));
  FB_ASSIGN_OR_RETURN(std::unique_ptr<PipelineTokenizer> t,
                      PipelineTokenizer::create(std::move(unigram), std::move(spec)));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

}  // namespace fourbrain::formats::tokenizer
