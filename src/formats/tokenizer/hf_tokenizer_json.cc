// Reads tokenizer.json (HF `tokenizers` serialisation) into a TokenizerSpec. Supported: a
// BPE model over the byte-level alphabet, normalizer NFC (alone or in a Sequence) or none,
// pre_tokenizer [Split(Regex, Isolated)...] + ByteLevel, post_processor ByteLevel /
// TemplateProcessing / a Sequence of them, decoder ByteLevel. The file's own "truncation"
// and "padding" sections are ignored: callers pass max_length to encode().
#include "base/file.h"
#include "formats/json.h"
#include "formats/tokenizer/hf_pipeline_json.h"
#include "formats/tokenizer/pretokenizer.h"
#include "formats/tokenizer/tokenizer_spec.h"

namespace fourbrain::formats::tokenizer {
namespace {

bool is_absent_or_null(const std::optional<JsonValue>& v) { return !v || v->is_null(); }

bool is_empty_string_or_null(const std::optional<JsonValue>& v) {
  return is_absent_or_null(v) || (v->is_string() && v->as_string().empty());
}

Status read_model(const JsonValue& model, TokenizerSpec* spec) {
  if (json_type_of(model) != "BPE")
    return unsupported("model type \"" + json_type_of(model) + "\"");
  if (!is_absent_or_null(model.find("dropout"))) return unsupported("BPE dropout");
  if (!is_empty_string_or_null(model.find("continuing_subword_prefix")) ||
      !is_empty_string_or_null(model.find("end_of_word_suffix"))) {
    return unsupported("BPE continuing_subword_prefix / end_of_word_suffix");
  }
  if (json_bool_or(model, "byte_fallback", false)) return unsupported("BPE byte_fallback");
  spec->ignore_merges = json_bool_or(model, "ignore_merges", false);

  auto vocab = model.find("vocab");
  if (!vocab || !vocab->is_object()) return invalid_argument("model.vocab must be an object");
  Status status;
  vocab->for_each_member([&](std::string_view token, const JsonValue& id) {
    if (!id.is_integer() || id.as_int() < 0 || id.as_int() > INT32_MAX) {
      status = invalid_argument("model.vocab[\"" + std::string(token) + "\"] is not an id");
      return;
    }
    spec->vocab.emplace(std::string(token), static_cast<int32_t>(id.as_int()));
  });
  FB_RETURN_IF_ERROR(status);

  auto merges = model.find("merges");
  if (!merges || !merges->is_array()) return invalid_argument("model.merges must be an array");
  spec->merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const JsonValue m = merges->at(i);
    if (m.is_string()) {  // tokenizers < 0.20: "left right"
      const std::string_view s = m.as_string();
      const size_t space = s.find(' ');
      if (space == std::string_view::npos) {
        return invalid_argument("model.merges[" + std::to_string(i) + "] has no space");
      }
      spec->merges.emplace_back(std::string(s.substr(0, space)), std::string(s.substr(space + 1)));
    } else if (m.is_array() && m.size() == 2 && m.at(0).is_string() && m.at(1).is_string()) {
      spec->merges.emplace_back(std::string(m.at(0).as_string()), std::string(m.at(1).as_string()));
    } else {
      return invalid_argument("model.merges[" + std::to_string(i) + "] is not a pair");
    }
  }
  return Status::ok();
}

Status read_normalizer(const JsonValue& n, TokenizerSpec* spec) {
  if (n.is_null()) return Status::ok();
  const std::string type = json_type_of(n);
  if (type == "NFC") {
    spec->nfc = true;
    return Status::ok();
  }
  if (type == "Sequence") {
    auto list = n.find("normalizers");
    if (!list || !list->is_array()) return invalid_argument("normalizer Sequence without list");
    for (size_t i = 0; i < list->size(); ++i) {
      FB_RETURN_IF_ERROR(read_normalizer(list->at(i), spec));
    }
    return Status::ok();
  }
  return unsupported("normalizer \"" + type + "\"");
}

// One step of the pre-tokenizer; ByteLevel must come last.
Status read_pre_step(const JsonValue& p, bool* saw_byte_level, TokenizerSpec* spec) {
  const std::string type = json_type_of(p);
  if (*saw_byte_level) return unsupported("pre_tokenizer step after ByteLevel");
  if (type == "Split") {
    auto pattern = p.find("pattern");
    auto regex = pattern ? pattern->find("Regex") : std::nullopt;
    if (!regex || !regex->is_string()) return unsupported("Split without a Regex pattern");
    if (p.find("behavior") && p.find("behavior")->is_string() &&
        p.find("behavior")->as_string() != "Isolated") {
      return unsupported("Split behavior other than Isolated");
    }
    if (json_bool_or(p, "invert", false)) return unsupported("Split with invert");
    if (!spec->split_pattern.empty()) return unsupported("more than one Split");
    spec->split_pattern = std::string(regex->as_string());
    return Status::ok();
  }
  if (type == "ByteLevel") {
    *saw_byte_level = true;
    if (json_bool_or(p, "add_prefix_space", false))
      return unsupported("ByteLevel add_prefix_space");
    if (json_bool_or(p, "use_regex", true)) {
      if (!spec->split_pattern.empty()) return unsupported("Split followed by ByteLevel regex");
      spec->split_pattern = kGpt2SplitPattern;
    }
    return Status::ok();
  }
  return unsupported("pre_tokenizer \"" + type + "\"");
}

Status read_pre_tokenizer(const std::optional<JsonValue>& p, TokenizerSpec* spec) {
  bool saw_byte_level = false;
  if (is_absent_or_null(p)) {
    // No pre-tokenizer at all: not byte-level, reported below.
  } else if (json_type_of(*p) == "Sequence") {
    auto list = p->find("pretokenizers");
    if (!list || !list->is_array()) return invalid_argument("pre_tokenizer Sequence without list");
    for (size_t i = 0; i < list->size(); ++i) {
      FB_RETURN_IF_ERROR(read_pre_step(list->at(i), &saw_byte_level, spec));
    }
  } else {
    FB_RETURN_IF_ERROR(read_pre_step(*p, &saw_byte_level, spec));
  }
  if (!saw_byte_level) return unsupported("pre_tokenizer without ByteLevel");
  return Status::ok();
}

Status read_template(const JsonValue& t, TokenizerSpec* spec) {
  auto single = t.find("single");
  auto specials = t.find("special_tokens");
  if (!single || !single->is_array()) return invalid_argument("TemplateProcessing.single");
  bool seen_a = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const JsonValue item = single->at(i);
    if (item.find("Sequence")) {
      if (seen_a) return unsupported("TemplateProcessing with two sequences in single");
      seen_a = true;
      continue;
    }
    auto special = item.find("SpecialToken");
    auto name = special ? special->get_string("id") : Result<std::string>(not_found("id"));
    if (!name.is_ok()) {
      return invalid_argument("TemplateProcessing.single item " + std::to_string(i));
    }
    auto entry = specials ? specials->find(*name) : std::nullopt;
    auto ids = entry ? entry->find("ids") : std::nullopt;
    if (!ids || !ids->is_array()) {
      return invalid_argument("TemplateProcessing: special token \"" + *name + "\" has no ids");
    }
    for (size_t k = 0; k < ids->size(); ++k) {
      if (!ids->at(k).is_integer()) return invalid_argument("TemplateProcessing: bad id");
      auto& side = seen_a ? spec->template_suffix : spec->template_prefix;
      side.push_back(static_cast<int32_t>(ids->at(k).as_int()));
    }
  }
  if (!seen_a) return invalid_argument("TemplateProcessing.single has no $A");
  return Status::ok();
}

Status read_post_processor(const JsonValue& p, TokenizerSpec* spec) {
  if (p.is_null()) return Status::ok();
  const std::string type = json_type_of(p);
  if (type == "ByteLevel") return Status::ok();  // offsets only; adds no ids
  if (type == "TemplateProcessing") return read_template(p, spec);
  if (type == "Sequence") {
    auto list = p.find("processors");
    if (!list || !list->is_array()) return invalid_argument("post_processor Sequence without list");
    for (size_t i = 0; i < list->size(); ++i) {
      FB_RETURN_IF_ERROR(read_post_processor(list->at(i), spec));
    }
    return Status::ok();
  }
  return unsupported("post_processor \"" + type + "\"");
}

Status read_all(const JsonValue& root, TokenizerSpec* spec) {
  if (!root.is_object()) return invalid_argument("not a JSON object");
  auto model = root.find("model");
  if (!model) return invalid_argument("no \"model\"");
  FB_RETURN_IF_ERROR(read_model(*model, spec).with_context("model"));
  if (auto added = root.find("added_tokens"))
    FB_RETURN_IF_ERROR(read_added_tokens_json(*added, &spec->added_tokens));
  if (auto n = root.find("normalizer")) FB_RETURN_IF_ERROR(read_normalizer(*n, spec));
  FB_RETURN_IF_ERROR(read_pre_tokenizer(root.find("pre_tokenizer"), spec));
  if (auto post = root.find("post_processor")) FB_RETURN_IF_ERROR(read_post_processor(*post, spec));
  auto decoder = root.find("decoder");
  if (!decoder || json_type_of(*decoder) != "ByteLevel") {
    return unsupported("decoder other than ByteLevel");
  }
  return Status::ok();
}

}  // namespace

Result<TokenizerSpec> read_tokenizer_json(const std::string& path) {
  FB_ASSIGN_OR_RETURN(JsonValue root, JsonValue::parse_file(path));
  TokenizerSpec spec;
  const Status status = read_all(root, &spec);
  if (!status.is_ok()) return status.with_context(path);
  return spec;
}

}  // namespace fourbrain::formats::tokenizer
