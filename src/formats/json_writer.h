// JsonWriter: builds compact JSON text (CLI output, later HTTP responses) with correct
// string escaping and round-trippable floats. Not thread-safe; one writer per document.
// Structure errors (a value where a key is due) are programming errors and abort.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fourbrain::formats {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(int64_t number);
  JsonWriter& value(int number) { return value(static_cast<int64_t>(number)); }
  JsonWriter& value(uint64_t number);  // size_t too
  // Shortest text that reads back as the same float (9 significant digits at most).
  JsonWriter& value(float number);
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // A value that is already JSON text (another writer's str()), inserted as it is.
  JsonWriter& raw_value(std::string_view json);

  const std::string& str() const { return out_; }

 private:
  void before_value();

  std::string out_;
  std::vector<bool> first_in_scope_;  // one entry per open object/array
  bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included. Bytes >= 0x80 pass through (the
// caller guarantees UTF-8); control characters are escaped.
std::string json_quote(std::string_view text);

}  // namespace fourbrain::formats
