// JSON documents (config.json, tokenizer.json, vocab.json, safetensors headers), parsed
// with RapidJSON behind a small read-only API so no other file includes RapidJSON.
//
// A JsonValue shares ownership of its document, so values stay valid after the
// document handle goes away. Read-only after parsing, so safe to share across threads.
// Parse errors name the source and the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fourbrain::formats {

class JsonValue {
 public:
  // Parses `text`; `source` (a file name) is used in error messages.
  static Result<JsonValue> parse(std::string_view text, std::string_view source);
  static Result<JsonValue> parse_file(const std::string& path);

  bool is_null() const;
  bool is_bool() const;
  bool is_number() const;
  bool is_integer() const;  // a number without fraction that fits int64
  bool is_uint64() const;   // a number without fraction that fits uint64
  bool is_string() const;
  bool is_array() const;
  bool is_object() const;

  // Accessors abort (FB_CHECK) on the wrong kind; check first or use the get_* helpers.
  bool as_bool() const;
  int64_t as_int() const;
  uint64_t as_uint64() const;
  double as_double() const;
  std::string_view as_string() const;

  // Arrays.
  size_t size() const;
  JsonValue at(size_t index) const;
  // Objects.
  std::optional<JsonValue> find(std::string_view key) const;
  void for_each_member(const std::function<void(std::string_view, const JsonValue&)>& fn) const;

  // Typed lookups on objects: NotFound if absent, InvalidArgument if the wrong type;
  // messages name the key.
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_double(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string> get_string(std::string_view key) const;

  // "object", "array", "string", ...
  std::string_view kind_name() const;

 private:
  struct Document;
  JsonValue(std::shared_ptr<const Document> doc, const void* value)
      : doc_(std::move(doc)), value_(value) {}

  std::shared_ptr<const Document> doc_;
  const void* value_ = nullptr;  // const rapidjson::Value*
};

}  // namespace fourbrain::formats
