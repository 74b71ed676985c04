#include "formats/tokenizer/hf_pipeline_json.h"

#include <utility>

#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

using NormalizerPtr = std::unique_ptr<TextNormalizer>;
using SplitterPtr = std::unique_ptr<PieceSplitter>;
using DecoderPtr = std::unique_ptr<TokenDecoder>;

Result<std::string> string_of(const JsonValue& obj, std::string_view key, std::string_view what) {
  auto v = obj.find(key);
  if (!v || !v->is_string())
    return invalid_argument(std::string(what) + " needs a string \"" + std::string(key) + "\"");
  return std::string(v->as_string());
}

// A Replace/Split pattern: {"String": "..."} or {"Regex": "..."}.
Status pattern_of(const JsonValue& obj, std::string* pattern, bool* is_regex) {
  auto p = obj.find("pattern");
  auto s = p ? p->find("String") : std::nullopt;
  auto r = p ? p->find("Regex") : std::nullopt;
  if (s && s->is_string()) {
    *pattern = std::string(s->as_string());
    *is_regex = false;
  } else if (r && r->is_string()) {
    *pattern = std::string(r->as_string());
    *is_regex = true;
  } else {
    return invalid_argument("Replace needs a pattern {\"String\": ..} or {\"Regex\": ..}");
  }
  return Status::ok();
}

// A single character (Metaspace's replacement, Strip's content).
Result<std::string> one_char(const JsonValue& obj, std::string_view key, std::string_view what) {
  FB_ASSIGN_OR_RETURN(std::string s, string_of(obj, key, what));
  int len = 0;
  if (s.empty() || find_invalid_utf8(s) != std::string::npos ||
      (decode_utf8(s.data(), &len), static_cast<size_t>(len) != s.size())) {
    return invalid_argument(std::string(what) + " \"" + std::string(key) +
                            "\" must be one character");
  }
  return s;
}

Result<PrependScheme> prepend_scheme_of(const JsonValue& obj) {
  PrependScheme scheme = PrependScheme::kAlways;  // HF's default
  if (auto s = obj.find("prepend_scheme"); s && s->is_string()) {
    const std::string_view name = s->as_string();
    if (name == "always") {
      scheme = PrependScheme::kAlways;
    } else if (name == "first") {
      scheme = PrependScheme::kFirst;
    } else if (name == "never") {
      scheme = PrependScheme::kNever;
    } else {
      return invalid_argument("Metaspace prepend_scheme \"" + std::string(name) + "\"");
    }
  }
  // Older files say add_prefix_space; HF refuses false unless the scheme is "never".
  if (auto a = obj.find("add_prefix_space");
      a && a->is_bool() && !a->as_bool() && scheme != PrependScheme::kNever) {
    return invalid_argument("Metaspace add_prefix_space does not match prepend_scheme");
  }
  return scheme;
}

Result<NormalizerPtr> read_normalizer(const JsonValue& n) {
  const std::string type = json_type_of(n);
  if (type == "BertNormalizer") {
    BertNormalizerOptions o;
    o.clean_text = json_bool_or(n, "clean_text", true);
    o.handle_chinese_chars = json_bool_or(n, "handle_chinese_chars", true);
    o.lowercase = json_bool_or(n, "lowercase", true);
    o.strip_accents = json_bool_or(n, "strip_accents", o.lowercase);  // null: as lowercase
    return make_bert_normalizer(o);
  }
  if (type == "NFC") return make_form_normalizer(UnicodeForm::kNfc);
  if (type == "NFD") return make_form_normalizer(UnicodeForm::kNfd);
  if (type == "NFKC") return make_form_normalizer(UnicodeForm::kNfkc);
  if (type == "NFKD") return make_form_normalizer(UnicodeForm::kNfkd);
  if (type == "Lowercase") return make_lowercase();
  if (type == "StripAccents") return make_strip_accents();
  if (type == "Strip") {
    return make_strip(json_bool_or(n, "strip_left", true), json_bool_or(n, "strip_right", true));
  }
  if (type == "Prepend") {
    FB_ASSIGN_OR_RETURN(std::string prefix, string_of(n, "prepend", "Prepend"));
    return make_prepend(std::move(prefix));
  }
  if (type == "Replace") {
    std::string pattern;
    bool is_regex = false;
    FB_RETURN_IF_ERROR(pattern_of(n, &pattern, &is_regex));
    FB_ASSIGN_OR_RETURN(std::string content, string_of(n, "content", "Replace"));
    return make_replace(pattern, is_regex, std::move(content));
  }
  if (type == "Precompiled") {
    FB_ASSIGN_OR_RETURN(std::string base64, string_of(n, "precompiled_charsmap", "Precompiled"));
    FB_ASSIGN_OR_RETURN(PrecompiledCharsmap map, PrecompiledCharsmap::parse(base64));
    return make_precompiled(std::move(map));
  }
  if (type == "Sequence") {
    auto list = n.find("normalizers");
    if (!list || !list->is_array()) return invalid_argument("normalizer Sequence without list");
    std::vector<NormalizerPtr> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      FB_ASSIGN_OR_RETURN(NormalizerPtr step, read_normalizer(list->at(i)));
      steps.push_back(std::move(step));
    }
    return make_sequence(std::move(steps));
  }
  return unsupported("normalizer \"" + type + "\"");
}

Result<SplitterPtr> read_splitter(const JsonValue& p) {
  const std::string type = json_type_of(p);
  if (type == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (type == "WhitespaceSplit") return make_whitespace_split();
  if (type == "Metaspace") {
    FB_ASSIGN_OR_RETURN(std::string replacement, one_char(p, "replacement", "Metaspace"));
    FB_ASSIGN_OR_RETURN(PrependScheme scheme, prepend_scheme_of(p));
    return make_metaspace(std::move(replacement), scheme, json_bool_or(p, "split", true));
  }
  if (type == "Sequence") {
    auto list = p.find("pretokenizers");
    if (!list || !list->is_array()) return invalid_argument("pre_tokenizer Sequence without list");
    std::vector<SplitterPtr> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      FB_ASSIGN_OR_RETURN(SplitterPtr step, read_splitter(list->at(i)));
      steps.push_back(std::move(step));
    }
    return make_splitter_sequence(std::move(steps));
  }
  return unsupported("pre_tokenizer \"" + type + "\"");
}

Result<std::vector<TemplateItem>> read_template_side(const JsonValue& t, std::string_view side) {
  std::vector<TemplateItem> items;
  auto list = t.find(side);
  if (!list || !list->is_array()) return items;
  auto specials = t.find("special_tokens");
  for (size_t i = 0; i < list->size(); ++i) {
    const JsonValue item = list->at(i);
    const std::string where =
        "TemplateProcessing." + std::string(side) + "[" + std::to_string(i) + "]";
    TemplateItem out;
    if (auto seq = item.find("Sequence")) {
      FB_ASSIGN_OR_RETURN(std::string id, string_of(*seq, "id", where));
      if (id != "A" && id != "B") return invalid_argument(where + ": sequence \"" + id + "\"");
      out.sequence = id == "A" ? 0 : 1;
      if (auto type_id = seq->find("type_id"); type_id && type_id->is_integer()) {
        out.type_id = static_cast<int32_t>(type_id->as_int());
      }
    } else if (auto special = item.find("SpecialToken")) {
      FB_ASSIGN_OR_RETURN(std::string name, string_of(*special, "id", where));
      if (auto type_id = special->find("type_id"); type_id && type_id->is_integer()) {
        out.type_id = static_cast<int32_t>(type_id->as_int());
      }
      auto entry = specials ? specials->find(name) : std::nullopt;
      auto ids = entry ? entry->find("ids") : std::nullopt;
      if (!ids || !ids->is_array()) {
        return invalid_argument("TemplateProcessing: special token \"" + name + "\" has no ids");
      }
      for (size_t k = 0; k < ids->size(); ++k) {
        if (!ids->at(k).is_integer()) return invalid_argument("TemplateProcessing: bad id");
        out.ids.push_back(static_cast<int32_t>(ids->at(k).as_int()));
      }
    } else {
      return invalid_argument(where + " is neither Sequence nor SpecialToken");
    }
    items.push_back(std::move(out));
  }
  return items;
}

// ["[SEP]", 102] as BertProcessing / RobertaProcessing store their tokens.
Result<int32_t> token_id_of(const JsonValue& p, std::string_view key) {
  auto v = p.find(key);
  if (!v || !v->is_array() || v->size() != 2 || !v->at(1).is_integer()) {
    return invalid_argument("post_processor \"" + std::string(key) + "\" must be [token, id]");
  }
  return static_cast<int32_t>(v->at(1).as_int());
}

Status read_post_processor(const JsonValue& p, PostTemplate* post, bool* seen) {
  const std::string type = json_type_of(p);
  if (type == "ByteLevel") return Status::ok();  // offsets only; adds no ids
  if (type == "Sequence") {
    auto list = p.find("processors");
    if (!list || !list->is_array()) return invalid_argument("post_processor Sequence without list");
    for (size_t i = 0; i < list->size(); ++i) {
      FB_RETURN_IF_ERROR(read_post_processor(list->at(i), post, seen));
    }
    return Status::ok();
  }
  if (*seen) return unsupported("more than one post_processor that adds tokens");
  *seen = true;
  if (type == "TemplateProcessing") {
    FB_ASSIGN_OR_RETURN(post->single, read_template_side(p, "single"));
    FB_ASSIGN_OR_RETURN(post->pair, read_template_side(p, "pair"));
    return Status::ok();
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    FB_ASSIGN_OR_RETURN(int32_t cls, token_id_of(p, "cls"));
    FB_ASSIGN_OR_RETURN(int32_t sep, token_id_of(p, "sep"));
    *post =
        type == "BertProcessing" ? PostTemplate::bert(cls, sep) : PostTemplate::roberta(cls, sep);
    return Status::ok();
  }
  return unsupported("post_processor \"" + type + "\"");
}

Result<DecoderPtr> read_decoder(const JsonValue& d) {
  const std::string type = json_type_of(d);
  if (type == "WordPiece") {
    std::string prefix = "##";
    if (auto p = d.find("prefix"); p && p->is_string()) prefix = std::string(p->as_string());
    return make_wordpiece_decoder(std::move(prefix), json_bool_or(d, "cleanup", true));
  }
  if (type == "Metaspace") {
    FB_ASSIGN_OR_RETURN(std::string replacement, one_char(d, "replacement", "Metaspace decoder"));
    FB_ASSIGN_OR_RETURN(PrependScheme scheme, prepend_scheme_of(d));
    return make_metaspace_decoder(std::move(replacement), scheme);
  }
  if (type == "ByteFallback") return make_byte_fallback_decoder();
  if (type == "Fuse") return make_fuse_decoder();
  if (type == "Strip") {
    FB_ASSIGN_OR_RETURN(std::string content, one_char(d, "content", "Strip decoder"));
    auto start = d.find("start");
    auto stop = d.find("stop");
    if (!start || !start->is_integer() || !stop || !stop->is_integer() || start->as_int() < 0 ||
        stop->as_int() < 0) {
      return invalid_argument("Strip decoder needs start and stop counts");
    }
    return make_strip_decoder(std::move(content), static_cast<size_t>(start->as_int()),
                              static_cast<size_t>(stop->as_int()));
  }
  if (type == "Replace") {
    std::string pattern;
    bool is_regex = false;
    FB_RETURN_IF_ERROR(pattern_of(d, &pattern, &is_regex));
    FB_ASSIGN_OR_RETURN(std::string content, string_of(d, "content", "Replace decoder"));
    return make_replace_decoder(pattern, is_regex, std::move(content));
  }
  if (type == "Sequence") {
    auto list = d.find("decoders");
    if (!list || !list->is_array()) return invalid_argument("decoder Sequence without list");
    std::vector<DecoderPtr> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      FB_ASSIGN_OR_RETURN(DecoderPtr step, read_decoder(list->at(i)));
      steps.push_back(std::move(step));
    }
    return make_decoder_sequence(std::move(steps));
  }
  return unsupported("decoder \"" + type + "\"");
}

}  // namespace

std::string json_type_of(const JsonValue& v) {
  if (!v.is_object()) return "";
  auto t = v.find("type");
  return t && t->is_string() ? std::string(t->as_string()) : "";
}

bool json_bool_or(const JsonValue& obj, std::string_view key, bool fallback) {
  auto v = obj.find(key);
  return v && v->is_bool() ? v->as_bool() : fallback;
}

Status read_added_tokens_json(const JsonValue& list, std::vector<AddedToken>* out) {
  if (!list.is_array()) return invalid_argument("added_tokens must be an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const JsonValue t = list.at(i);
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object()) return invalid_argument(where + " must be an object");
    auto id = t.get_int("id");
    auto content = t.get_string("content");
    if (!id.is_ok()) return id.status().with_context(where);
    if (!content.is_ok()) return content.status().with_context(where);
    if (*id < 0 || *id > INT32_MAX) return invalid_argument(where + ": id out of range");
    if (find_invalid_utf8(*content) != std::string::npos) {
      return invalid_argument(where + ": content is not UTF-8");
    }
    AddedToken token;
    token.id = static_cast<int32_t>(*id);
    token.content = *content;
    token.special = json_bool_or(t, "special", false);
    token.single_word = json_bool_or(t, "single_word", false);
    token.lstrip = json_bool_or(t, "lstrip", false);
    token.rstrip = json_bool_or(t, "rstrip", false);
    token.normalized = json_bool_or(t, "normalized", !token.special);
    out->push_back(std::move(token));
  }
  return Status::ok();
}

Status read_pipeline_json(const JsonValue& root, PipelineSpec* spec) {
  if (auto added = root.find("added_tokens")) {
    FB_RETURN_IF_ERROR(read_added_tokens_json(*added, &spec->added_tokens));
  }
  if (auto n = root.find("normalizer"); n && !n->is_null()) {
    FB_ASSIGN_OR_RETURN(spec->normalizer, read_normalizer(*n));
  }
  if (auto p = root.find("pre_tokenizer"); p && !p->is_null()) {
    FB_ASSIGN_OR_RETURN(spec->splitter, read_splitter(*p));
  }
  if (auto p = root.find("post_processor"); p && !p->is_null()) {
    bool seen = false;
    FB_RETURN_IF_ERROR(read_post_processor(*p, &spec->post, &seen));
  }
  if (auto d = root.find("decoder"); d && !d->is_null()) {
    FB_ASSIGN_OR_RETURN(spec->decoder, read_decoder(*d));
  }
  return Status::ok();
}

}  // namespace fourbrain::formats::tokenizer
