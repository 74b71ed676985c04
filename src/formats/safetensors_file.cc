#include "formats/safetensors_file.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>

#include "base/check.h"
#include "base/file.h"
#include "formats/json.h"

namespace fourbrain::formats {

namespace {

struct DTypeSpelling {
  std::string_view name;
  DType dtype;
};

constexpr DTypeSpelling kLoadable[] = {
    {"BF16", DType::kBF16},       {"F16", DType::kF16}, {"F32", DType::kF32},
    {"I32", DType::kI32},         {"I64", DType::kI64}, {"U8", DType::kU8},
    {"F8_E4M3", DType::kFp8E4M3},
};

// Dtypes the format defines that no model we serve stores; named so the error says
// "unsupported" rather than "unknown".
constexpr std::string_view kKnownUnsupported[] = {
    "BOOL", "I8",      "I16",     "U16", "U32",     "U64",     "F64",
    "C64",  "F8_E5M2", "F8_E8M0", "F4",  "F6_E2M3", "F6_E3M2",
};

// Built by appending: GCC 12 gives a false -Wrestrict for `"literal" + std::string(...)`.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out += '"';
  return out;
}

std::string range_text(uint64_t begin, uint64_t end) {
  std::string out = "[";
  out += std::to_string(begin);
  out += ", ";
  out += std::to_string(end);
  out += "]";
  return out;
}

// Validates one file's header, collecting every problem rather than stopping at the first.
class HeaderChecker {
 public:
  HeaderChecker(std::shared_ptr<const MappedFile> file, uint64_t header_len,
                std::vector<Status>* problems)
      : file_(std::move(file)),
        data_(file_->data() + 8 + header_len),
        data_size_(file_->size() - 8 - header_len),
        problems_(problems) {}

  void check_member(std::string_view name, const JsonValue& info) {
    if (!seen_.emplace(name).second) {
      add(StatusCode::kInvalidArgument, "key " + quoted(name) + " appears twice in the header");
    } else if (name == "__metadata__") {
      check_metadata(info);
    } else {
      check_tensor(std::string(name), info);
    }
  }

  // Ranges may leave gaps (the format does not forbid them) but must not share bytes.
  void check_overlaps() {
    std::sort(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    const Range* widest = nullptr;  // the earlier range that reaches furthest
    for (const Range& r : ranges_) {
      if (r.begin == r.end) continue;  // empty tensors occupy no bytes
      if (widest != nullptr && r.begin < widest->end) {
        add(StatusCode::kInvalidArgument, "tensors " + quoted(widest->name) + " " +
                                              range_text(widest->begin, widest->end) + " and " +
                                              quoted(r.name) + " " + range_text(r.begin, r.end) +
                                              " overlap in the data region");
      }
      if (widest == nullptr || r.end > widest->end) widest = &r;
    }
  }

  std::vector<TensorEntry> take_entries() { return std::move(entries_); }

 private:
  struct Range {
    uint64_t begin;
    uint64_t end;
    std::string name;
  };

  void add(StatusCode code, const std::string& what) {
    problems_->push_back(Status(code, file_->path() + ": " + what));
  }

  void check_metadata(const JsonValue& info) {
    if (!info.is_object()) {
      add(StatusCode::kInvalidArgument,
          "\"__metadata__\" must be an object of strings, got " + std::string(info.kind_name()));
      return;
    }
    info.for_each_member([&](std::string_view key, const JsonValue& value) {
      if (!value.is_string()) {
        add(StatusCode::kInvalidArgument, "\"__metadata__\" value " + quoted(key) +
                                              " must be a string, got " +
                                              std::string(value.kind_name()));
      }
    });
  }

  void check_tensor(std::string name, const JsonValue& info) {
    const std::string where = "tensor " + quoted(name) + ": ";
    if (!info.is_object()) {
      add(StatusCode::kInvalidArgument, where +
                                            "must be an object {dtype, shape, data_offsets}, got " +
                                            std::string(info.kind_name()));
      return;
    }
    std::optional<DType> dtype;
    Result<std::string> dtype_text = info.get_string("dtype");
    if (!dtype_text.is_ok()) {
      add(StatusCode::kInvalidArgument, where + dtype_text.status().message());
    } else if (Result<DType> d = dtype_from_safetensors(*dtype_text); !d.is_ok()) {
      add(d.status().code(), where + d.status().message());
    } else {
      dtype = *d;
    }
    std::optional<std::vector<int64_t>> dims = read_ints(info, "shape", where);
    std::optional<std::vector<int64_t>> offsets = read_ints(info, "data_offsets", where);
    if (offsets && (offsets->size() != 2 || (*offsets)[0] > (*offsets)[1])) {
      add(StatusCode::kInvalidArgument,
          where + "\"data_offsets\" must be [begin, end] with begin <= end");
      offsets.reset();
    }
    uint64_t begin = 0, end = 0;
    if (offsets) {
      begin = static_cast<uint64_t>((*offsets)[0]);
      end = static_cast<uint64_t>((*offsets)[1]);
      if (end > data_size_) {
        add(StatusCode::kInvalidArgument,
            where + "data_offsets " + range_text(begin, end) + " reach beyond the data region (" +
                std::to_string(data_size_) +
                " bytes): the file is truncated or the offsets are wrong");
        offsets.reset();
      } else {
        ranges_.push_back(Range{begin, end, name});
      }
    }
    if (!dtype || !dims) return;
    Shape shape(std::move(*dims));
    // Checked product: a lying shape must not overflow into a plausible byte count. Every
    // prefix is bounded, as Shape::numel() later multiplies left to right in int64.
    uint64_t numel = 1;
    bool too_large = false;
    for (int64_t d : shape.dims()) {
      too_large |= __builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel);
      too_large |= numel > (uint64_t{1} << 56);
    }
    if (too_large) {
      add(StatusCode::kInvalidArgument, where + "shape " + shape.to_string() + " is too large");
      return;
    }
    if (!offsets) return;
    const uint64_t want = dtype_bytes(*dtype, numel);
    if (end - begin != want) {
      add(StatusCode::kInvalidArgument, where + "data_offsets " + range_text(begin, end) +
                                            " span " + std::to_string(end - begin) +
                                            " bytes, but shape " + shape.to_string() + " of " +
                                            *dtype_text + " needs " + std::to_string(want));
      return;
    }
    Tensor tensor = Tensor::borrow(*dtype, shape, data_ + begin, file_);
    entries_.push_back(
        TensorEntry{std::move(name), *dtype, std::move(shape), file_->path(), std::move(tensor), file_});
  }

  // An array of non-negative integers under `key`, or nullopt after reporting why not.
  std::optional<std::vector<int64_t>> read_ints(const JsonValue& info, std::string_view key,
                                                const std::string& where) {
    std::optional<JsonValue> array = info.find(key);
    std::string why;
    std::vector<int64_t> out;
    if (!array) {
      why = "it is missing";
    } else if (!array->is_array()) {
      why = "got " + std::string(array->kind_name());
    } else {
      for (size_t i = 0; why.empty() && i < array->size(); ++i) {
        JsonValue item = array->at(i);
        if (!item.is_integer()) {
          why = "element " + std::to_string(i) + " is " + std::string(item.kind_name()) +
                (item.is_number() ? " out of range or fractional" : "");
        } else if (item.as_int() < 0) {
          why = "element " + std::to_string(i) + " is negative (" + std::to_string(item.as_int()) +
                ")";
        } else {
          out.push_back(item.as_int());
        }
      }
    }
    if (why.empty()) return out;
    add(StatusCode::kInvalidArgument,
        where + quoted(key) + " must be an array of non-negative integers; " + why);
    return std::nullopt;
  }

  std::shared_ptr<const MappedFile> file_;
  const uint8_t* data_;
  uint64_t data_size_;
  std::vector<Status>* problems_;
  std::set<std::string, std::less<>> seen_;
  std::vector<Range> ranges_;
  std::vector<TensorEntry> entries_;
};

}  // namespace

Result<DType> dtype_from_safetensors(std::string_view name) {
  for (const DTypeSpelling& s : kLoadable) {
    if (s.name == name) return s.dtype;
  }
  if (std::find(std::begin(kKnownUnsupported), std::end(kKnownUnsupported), name) !=
      std::end(kKnownUnsupported)) {
    return unsupported("dtype " + std::string(name) +
                       " is not supported (supported: BF16, F16, F32, I32, I64, U8, F8_E4M3)");
  }
  return invalid_argument("unknown dtype " + quoted(name));
}

std::optional<std::string_view> safetensors_dtype_name(DType dtype) {
  for (const DTypeSpelling& s : kLoadable) {
    if (s.dtype == dtype) return s.name;
  }
  return std::nullopt;
}

bool read_safetensors_file(const std::string& path, std::vector<TensorEntry>* entries,
                           std::vector<Status>* problems) {
  Result<MappedFile> mapped = MappedFile::open(path);
  if (!mapped.is_ok()) {
    problems->push_back(mapped.status());
    return false;
  }
  auto file = std::make_shared<const MappedFile>(std::move(mapped).value());
  const uint64_t size = file->size();
  if (size < 8) {
    problems->push_back(invalid_argument(path + ": file is " + std::to_string(size) +
                                         " bytes, too short for the 8-byte header length"));
    return false;
  }
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= uint64_t{file->data()[i]} << (8 * i);
  if (header_len > size - 8) {
    problems->push_back(invalid_argument(
        path + ": header length " + std::to_string(header_len) + " is larger than the " +
        std::to_string(size - 8) + " bytes that follow it: truncated or not a safetensors file"));
    return false;
  }
  std::string_view text(reinterpret_cast<const char*>(file->data()) + 8, header_len);
  Result<JsonValue> header = JsonValue::parse(text, path + ": JSON header");
  if (!header.is_ok()) {
    problems->push_back(header.status());
    return false;
  }
  if (!header->is_object()) {
    problems->push_back(invalid_argument(path + ": JSON header must be an object, got " +
                                         std::string(header->kind_name())));
    return false;
  }
  const size_t first_problem = problems->size();
  HeaderChecker checker(file, header_len, problems);
  header->for_each_member(
      [&](std::string_view name, const JsonValue& info) { checker.check_member(name, info); });
  checker.check_overlaps();
  if (problems->size() != first_problem) return false;
  for (TensorEntry& e : checker.take_entries()) entries->push_back(std::move(e));
  return true;
}

Status combine_problems(const std::vector<Status>& problems, std::string_view what) {
  FB_CHECK(!problems.empty());
  if (problems.size() == 1) return problems[0];
  StatusCode code = problems[0].code();
  std::string message = std::to_string(problems.size()) + " problems in " + std::string(what) + ":";
  for (const Status& p : problems) {
    if (p.code() != code) code = StatusCode::kInvalidArgument;
    message += "\n  " + p.message();
  }
  return Status(code, std::move(message));
}

}  // namespace fourbrain::formats
