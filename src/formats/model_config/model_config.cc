#include "formats/model_config/model_config.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <utility>
#include <vector>

#include "base/check.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats {

namespace pb = google::protobuf;

namespace {

// protobuf's position of an error, 0-based, and its message.
struct TextError {
  int line;
  int column;
  std::string message;
};

class TextErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    errors_.push_back({line, column, message});
  }
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}

  std::vector<TextError>& errors() { return errors_; }

 private:
  std::vector<TextError> errors_;
};

class NullErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int, pb::io::ColumnNumber, const std::string&) override {}
};

// protobuf reports an error at its tokenizer's current token, which for some errors (unknown
// field, unknown enum value, field repeated) is the token *after* the culprit, often on the
// next line. When the token just before the reported position is one the message quotes,
// point at that token instead. Re-tokenizes `text` the way TextFormat does.
void point_at_culprit(std::string_view text, TextError& error) {
  if (error.line < 0) return;
  pb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  NullErrorCollector ignore;
  pb::io::Tokenizer tokenizer(&input, &ignore);
  tokenizer.set_allow_f_after_float(true);
  tokenizer.set_comment_style(pb::io::Tokenizer::SH_COMMENT_STYLE);
  tokenizer.set_require_space_after_number(false);
  tokenizer.set_allow_multiline_strings(true);
  std::optional<pb::io::Tokenizer::Token> previous;
  for (;;) {
    const bool more = tokenizer.Next();
    const pb::io::Tokenizer::Token& token = tokenizer.current();
    if (token.line > error.line || (token.line == error.line && token.column >= error.column)) {
      if (token.line != error.line || token.column != error.column || !previous) return;
      break;
    }
    if (!more) return;
    previous = token;
  }
  const std::string quoted = "\"" + previous->text + "\"";
  if (error.message.find(quoted) == std::string::npos) return;
  error.line = previous->line;
  error.column = previous->column;
}

std::string format_error(std::string_view source, const TextError& error) {
  std::string out(source);
  // (One piece at a time: `":" + std::to_string(...)` trips GCC 12's -Wrestrict.)
  if (error.line >= 0) {  // -1: an error about the whole message
    out += ':';
    out += std::to_string(error.line + 1);
    out += ':';
    out += std::to_string(error.column + 1);
  }
  out += ": ";
  out += error.message;
  return out;
}

// TextFormat accepts any bytes in a string (escapes like "\xff" included), but a proto3
// string must be UTF-8: binary parsers and JSON printers refuse or mangle anything else.
// Reports the first string field that is not, at its location in the text.
std::optional<TextError> find_invalid_utf8_string(const pb::Message& message,
                                                  const pb::TextFormat::ParseInfoTree* tree) {
  const pb::Descriptor& descriptor = *message.GetDescriptor();
  const pb::Reflection& r = *message.GetReflection();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const pb::FieldDescriptor* field = descriptor.field(i);
    const bool repeated = field->is_repeated();
    const int n = repeated ? r.FieldSize(message, field) : (r.HasField(message, field) ? 1 : 0);
    for (int k = 0; k < n; ++k) {
      const int index = repeated ? k : -1;
      if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        const pb::Message& child =
            repeated ? r.GetRepeatedMessage(message, field, k) : r.GetMessage(message, field);
        auto found = find_invalid_utf8_string(
            child, tree != nullptr ? tree->GetTreeForNested(field, index) : nullptr);
        if (found) return found;
      } else if (field->type() == pb::FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& value = repeated
                                       ? r.GetRepeatedStringReference(message, field, k, &scratch)
                                       : r.GetStringReference(message, field, &scratch);
        if (tokenizer::find_invalid_utf8(value) == std::string_view::npos) continue;
        pb::TextFormat::ParseLocation at;
        if (tree != nullptr) at = tree->GetLocation(field, index);
        return TextError{at.line, at.column,
                         "String field \"" + field->name() + "\" is not valid UTF-8."};
      }
    }
  }
  return std::nullopt;
}

// (Not JsonValue: formats/json.h has a class of that name.)
using RjValue = rapidjson::Value;
using RjAllocator = rapidjson::Document::AllocatorType;

bool is_int64_field(const pb::FieldDescriptor& field) {
  return field.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64 ||
         field.cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64;
}

void set_int64(const pb::Message& message, const pb::FieldDescriptor& field, int index,
               RjValue& out) {
  const pb::Reflection& reflection = *message.GetReflection();
  if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64) {
    out.SetInt64(index < 0 ? reflection.GetInt64(message, &field)
                           : reflection.GetRepeatedInt64(message, &field, index));
  } else {
    out.SetUint64(index < 0 ? reflection.GetUInt64(message, &field)
                            : reflection.GetRepeatedUInt64(message, &field, index));
  }
}

// The JSON object key protobuf writes for a map entry's key.
std::string map_key_text(const pb::Message& entry, const pb::FieldDescriptor& key) {
  const pb::Reflection& r = *entry.GetReflection();
  switch (key.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return r.GetString(entry, &key);
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(r.GetInt32(entry, &key));
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(r.GetInt64(entry, &key));
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(r.GetUInt32(entry, &key));
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(r.GetUInt64(entry, &key));
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return r.GetBool(entry, &key) ? "true" : "false";
    default:
      FB_CHECK(false && "map keys are integers, bools or strings");
      return "";
  }
}

// protobuf's JSON lists map entries in hash order. Sort them the way its deterministic binary
// encoding does (keys ascending: numerically for integer keys, bytewise for strings), so equal
// configs give equal JSON.
void sort_map_members(RjValue& object, const pb::FieldDescriptor& key, RjAllocator& alloc) {
  struct Item {
    RjValue::Member* member;
    std::string_view text;
    int64_t as_signed = 0;
    uint64_t as_unsigned = 0;
  };
  std::vector<Item> items;
  for (auto& member : object.GetObject()) {
    Item item{&member, {member.name.GetString(), member.name.GetStringLength()}};
    const char* end = item.text.data() + item.text.size();
    std::from_chars(item.text.data(), end, item.as_signed);
    std::from_chars(item.text.data(), end, item.as_unsigned);
    items.push_back(item);
  }
  const auto type = key.cpp_type();
  const bool is_signed =
      type == pb::FieldDescriptor::CPPTYPE_INT32 || type == pb::FieldDescriptor::CPPTYPE_INT64;
  const bool is_unsigned =
      type == pb::FieldDescriptor::CPPTYPE_UINT32 || type == pb::FieldDescriptor::CPPTYPE_UINT64;
  std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    if (is_signed) return a.as_signed < b.as_signed;
    if (is_unsigned) return a.as_unsigned < b.as_unsigned;
    return a.text < b.text;  // strings (bytewise, as std::string compares) and "false" < "true"
  });
  RjValue sorted(rapidjson::kObjectType);
  for (Item& item : items) sorted.AddMember(item.member->name, item.member->value, alloc);
  object = sorted;  // RapidJSON assignment moves
}

void rewrite_int64s(const pb::Message& message, RjValue& json, RjAllocator& alloc);

// Rewrites one value of `field` (element `index` of a repeated field, or -1).
void rewrite_value(const pb::Message& message, const pb::FieldDescriptor& field, int index,
                   RjValue& json, RjAllocator& alloc) {
  if (is_int64_field(field)) {
    set_int64(message, field, index, json);
  } else if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && json.IsObject()) {
    const pb::Reflection& r = *message.GetReflection();
    rewrite_int64s(
        index < 0 ? r.GetMessage(message, &field) : r.GetRepeatedMessage(message, &field, index),
        json, alloc);
  }
}

// Replaces protobuf's JSON strings for int64/uint64 values with numbers, walking `message`
// and its JSON object together. With preserve_proto_field_names the JSON keys are the field
// names; fields absent from the JSON (unset messages, oneof members not chosen) are skipped.
void rewrite_int64s(const pb::Message& message, RjValue& json, RjAllocator& alloc) {
  const pb::Descriptor& descriptor = *message.GetDescriptor();
  const pb::Reflection& r = *message.GetReflection();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const pb::FieldDescriptor& field = *descriptor.field(i);
    auto member = json.FindMember(field.name().c_str());
    if (member == json.MemberEnd()) continue;
    RjValue& value = member->value;
    if (field.is_map()) {
      if (!value.IsObject()) continue;
      const pb::FieldDescriptor& key = *field.message_type()->map_key();
      const pb::FieldDescriptor& mapped = *field.message_type()->map_value();
      for (int k = 0; k < r.FieldSize(message, &field); ++k) {
        const pb::Message& entry = r.GetRepeatedMessage(message, &field, k);
        const std::string key_text = map_key_text(entry, key);
        auto item =
            value.FindMember(RjValue(rapidjson::StringRef(key_text.data(), key_text.size())));
        if (item != value.MemberEnd()) rewrite_value(entry, mapped, -1, item->value, alloc);
      }
      sort_map_members(value, key, alloc);
    } else if (field.is_repeated()) {
      if (!value.IsArray()) continue;
      const int n = r.FieldSize(message, &field);
      for (rapidjson::SizeType k = 0; k < value.Size() && static_cast<int>(k) < n; ++k) {
        rewrite_value(message, field, static_cast<int>(k), value[k], alloc);
      }
    } else {
      rewrite_value(message, field, -1, value, alloc);
    }
  }
}

}  // namespace

Result<inference::ModelConfig> parse_model_config(std::string_view text,
                                                  std::string_view source_name) {
  if (text.size() > static_cast<size_t>(INT_MAX)) {
    return invalid_argument(std::string(source_name) + ": model config larger than 2 GiB");
  }
  TextErrorCollector collector;
  pb::TextFormat::ParseInfoTree locations;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&locations);
  pb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  inference::ModelConfig config;
  const bool ok = parser.Parse(&input, &config);
  std::vector<TextError>& errors = collector.errors();
  if (ok && errors.empty()) {
    auto bad_string = find_invalid_utf8_string(config, &locations);
    if (!bad_string) return config;
    return invalid_argument(format_error(source_name, *bad_string));
  }
  if (errors.empty()) errors.push_back({-1, -1, "invalid model config"});
  std::string message;
  for (TextError& error : errors) {
    point_at_culprit(text, error);
    if (!message.empty()) message += "; ";
    message += format_error(source_name, error);
  }
  return invalid_argument(std::move(message));
}

Result<inference::ModelConfig> model_config_from_json(std::string_view json) {
  // protobuf's JSON parser tolerates trailing commas and hands back invalid UTF-8 verbatim
  // in its messages; check the JSON itself first, strictly.
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    return invalid_argument("invalid model config JSON at byte " +
                            std::to_string(doc.GetErrorOffset()) + ": " +
                            rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return invalid_argument("model config JSON must be an object");
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  options.case_insensitive_enum_parsing = true;  // as Triton's JsonToModelConfig: "type_fp32"
  inference::ModelConfig config;
  auto status = pb::util::JsonStringToMessage(pb::StringPiece(json), &config, options);
  if (!status.ok()) {
    return invalid_argument("invalid model config JSON: " + std::string(status.message()));
  }
  return config;
}

std::string model_config_to_json(const inference::ModelConfig& config) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string text;
  auto status = pb::util::MessageToJsonString(config, &text, options);
  // Cannot fail for a message of a compiled-in type. (Invalid UTF-8 in a string, which the
  // parsers refuse, is not an error here either: protobuf logs it and prints the string
  // mangled.)
  FB_CHECK(status.ok() && "protobuf could not print a ModelConfig as JSON");

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  FB_CHECK(!doc.HasParseError() && doc.IsObject());
  rewrite_int64s(config, doc, doc.GetAllocator());

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

struct DataTypeInfo {
  inference::DataType type;
  std::string_view name;
  size_t byte_size;
};

constexpr std::array<DataTypeInfo, 15> kDataTypes = {{
    {inference::TYPE_INVALID, "INVALID", 0},
    {inference::TYPE_BOOL, "BOOL", 1},
    {inference::TYPE_UINT8, "UINT8", 1},
    {inference::TYPE_UINT16, "UINT16", 2},
    {inference::TYPE_UINT32, "UINT32", 4},
    {inference::TYPE_UINT64, "UINT64", 8},
    {inference::TYPE_INT8, "INT8", 1},
    {inference::TYPE_INT16, "INT16", 2},
    {inference::TYPE_INT32, "INT32", 4},
    {inference::TYPE_INT64, "INT64", 8},
    {inference::TYPE_FP16, "FP16", 2},
    {inference::TYPE_FP32, "FP32", 4},
    {inference::TYPE_FP64, "FP64", 8},
    {inference::TYPE_STRING, "BYTES", 0},
    {inference::TYPE_BF16, "BF16", 2},
}};

const DataTypeInfo* find_datatype(inference::DataType type) {
  for (const auto& info : kDataTypes) {
    if (info.type == type) return &info;
  }
  return nullptr;
}

}  // namespace

std::string_view datatype_protocol_name(inference::DataType type) {
  const DataTypeInfo* info = find_datatype(type);
  return info != nullptr ? info->name : "INVALID";
}

std::optional<inference::DataType> datatype_from_protocol_name(std::string_view name) {
  for (const auto& info : kDataTypes) {
    if (info.type != inference::TYPE_INVALID && info.name == name) return info.type;
  }
  return std::nullopt;
}

size_t datatype_byte_size(inference::DataType type) {
  const DataTypeInfo* info = find_datatype(type);
  return info != nullptr ? info->byte_size : 0;
}

}  // namespace fourbrain::formats
