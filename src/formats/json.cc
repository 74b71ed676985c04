#include "formats/json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "base/check.h"
#include "base/file.h"

namespace fourbrain::formats {

struct JsonValue::Document {
  rapidjson::Document doc;
};

namespace {
const rapidjson::Value& v(const void* p) { return *static_cast<const rapidjson::Value*>(p); }
}  // namespace

Result<JsonValue> JsonValue::parse(std::string_view text, std::string_view source) {
  auto doc = std::make_shared<Document>();
  // kParseFullPrecisionFlag: config values like rms_norm_eps must parse exactly.
  doc->doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (doc->doc.HasParseError()) {
    return invalid_argument(std::string(source) + ": invalid JSON at byte " +
                            std::to_string(doc->doc.GetErrorOffset()) + ": " +
                            rapidjson::GetParseError_En(doc->doc.GetParseError()));
  }
  const void* root = &doc->doc;
  return JsonValue(std::move(doc), root);
}

Result<JsonValue> JsonValue::parse_file(const std::string& path) {
  FB_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse(text, path);
}

bool JsonValue::is_null() const { return v(value_).IsNull(); }
bool JsonValue::is_bool() const { return v(value_).IsBool(); }
bool JsonValue::is_number() const { return v(value_).IsNumber(); }
bool JsonValue::is_integer() const { return v(value_).IsInt64(); }
bool JsonValue::is_uint64() const { return v(value_).IsUint64(); }
bool JsonValue::is_string() const { return v(value_).IsString(); }
bool JsonValue::is_array() const { return v(value_).IsArray(); }
bool JsonValue::is_object() const { return v(value_).IsObject(); }

bool JsonValue::as_bool() const {
  FB_CHECK(is_bool());
  return v(value_).GetBool();
}
uint64_t JsonValue::as_uint64() const {
  FB_CHECK(is_uint64());
  return v(value_).GetUint64();
}

int64_t JsonValue::as_int() const {
  FB_CHECK(is_integer());
  return v(value_).GetInt64();
}
double JsonValue::as_double() const {
  FB_CHECK(is_number());
  return v(value_).GetDouble();
}
std::string_view JsonValue::as_string() const {
  FB_CHECK(is_string());
  return std::string_view(v(value_).GetString(), v(value_).GetStringLength());
}

size_t JsonValue::size() const {
  FB_CHECK(is_array() || is_object());
  return is_array() ? v(value_).Size() : v(value_).MemberCount();
}

JsonValue JsonValue::at(size_t index) const {
  FB_CHECK(is_array() && index < v(value_).Size());
  return JsonValue(doc_, &v(value_)[static_cast<rapidjson::SizeType>(index)]);
}

std::optional<JsonValue> JsonValue::find(std::string_view key) const {
  if (!is_object()) return std::nullopt;
  rapidjson::Value name(rapidjson::StringRef(key.data(), key.size()));
  auto it = v(value_).FindMember(name);
  if (it == v(value_).MemberEnd()) return std::nullopt;
  return JsonValue(doc_, &it->value);
}

void JsonValue::for_each_member(
    const std::function<void(std::string_view, const JsonValue&)>& fn) const {
  FB_CHECK(is_object());
  for (auto it = v(value_).MemberBegin(); it != v(value_).MemberEnd(); ++it) {
    fn(std::string_view(it->name.GetString(), it->name.GetStringLength()),
       JsonValue(doc_, &it->value));
  }
}

std::string_view JsonValue::kind_name() const {
  if (is_null()) return "null";
  if (is_bool()) return "bool";
  if (is_number()) return "number";
  if (is_string()) return "string";
  if (is_array()) return "array";
  return "object";
}

namespace {

Result<JsonValue> lookup(const JsonValue& obj, std::string_view key) {
  auto found = obj.find(key);
  if (!found) return not_found("missing key \"" + std::string(key) + "\"");
  return *found;
}

Status wrong_type(std::string_view key, std::string_view want, const JsonValue& got) {
  return invalid_argument("key \"" + std::string(key) + "\" must be " + std::string(want) +
                          ", got " + std::string(got.kind_name()));
}

}  // namespace

Result<int64_t> JsonValue::get_int(std::string_view key) const {
  FB_ASSIGN_OR_RETURN(JsonValue value, lookup(*this, key));
  if (!value.is_integer()) return wrong_type(key, "an integer", value);
  return value.as_int();
}

Result<double> JsonValue::get_double(std::string_view key) const {
  FB_ASSIGN_OR_RETURN(JsonValue value, lookup(*this, key));
  if (!value.is_number()) return wrong_type(key, "a number", value);
  return value.as_double();
}

Result<bool> JsonValue::get_bool(std::string_view key) const {
  FB_ASSIGN_OR_RETURN(JsonValue value, lookup(*this, key));
  if (!value.is_bool()) return wrong_type(key, "true or false", value);
  return value.as_bool();
}

Result<std::string> JsonValue::get_string(std::string_view key) const {
  FB_ASSIGN_OR_RETURN(JsonValue value, lookup(*this, key));
  if (!value.is_string()) return wrong_type(key, "a string", value);
  return std::string(value.as_string());
}

}  // namespace fourbrain::formats
