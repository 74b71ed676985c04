#include "formats/safetensors_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "formats/safetensors_file.h"

namespace fourbrain::formats {

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Status SafetensorsWriter::declare(std::string name, DType dtype, Shape shape, Pending* out) {
  const std::string where = "safetensors writer: tensor " + json_string(name) + ": ";
  if (name == "__metadata__") return invalid_argument(where + "the name is reserved");
  for (const Pending& t : tensors_) {
    if (t.name == name) return invalid_argument(where + "added twice");
  }
  if (!safetensors_dtype_name(dtype)) {
    return unsupported(where + "dtype " + std::string(dtype_name(dtype)) +
                       " has no safetensors spelling (store packed NVFP4 as U8)");
  }
  for (int64_t d : shape.dims()) {
    if (d < 0) return invalid_argument(where + "negative dimension in shape " + shape.to_string());
  }
  out->nbytes = dtype_bytes(dtype, static_cast<size_t>(shape.numel()));
  out->name = std::move(name);
  out->dtype = dtype;
  out->shape = std::move(shape);
  return Status::ok();
}

Status SafetensorsWriter::add(std::string name, DType dtype, Shape shape,
                              std::span<const uint8_t> bytes) {
  Pending t;
  FB_RETURN_IF_ERROR(declare(std::move(name), dtype, std::move(shape), &t));
  if (bytes.size() != t.nbytes) {
    return invalid_argument("safetensors writer: tensor " + json_string(t.name) + ": got " +
                            std::to_string(bytes.size()) + " bytes, but shape " +
                            t.shape.to_string() + " of " + std::string(dtype_name(t.dtype)) +
                            " needs " + std::to_string(t.nbytes));
  }
  t.bytes = bytes;
  tensors_.push_back(std::move(t));
  return Status::ok();
}

Status SafetensorsWriter::add_deferred(std::string name, DType dtype, Shape shape,
                                       Producer produce) {
  Pending t;
  FB_RETURN_IF_ERROR(declare(std::move(name), dtype, std::move(shape), &t));
  t.produce = std::move(produce);
  tensors_.push_back(std::move(t));
  return Status::ok();
}

std::string SafetensorsWriter::header() const {
  std::string h = "{";
  if (!metadata_.empty()) {
    h += "\"__metadata__\":{";
    for (auto it = metadata_.begin(); it != metadata_.end(); ++it) {
      if (it != metadata_.begin()) h += ",";
      h += json_string(it->first) + ":" + json_string(it->second);
    }
    h += "}";
  }
  uint64_t offset = 0;
  for (const Pending& t : tensors_) {
    if (h.size() > 1) h += ",";
    h += json_string(t.name) + ":{\"dtype\":\"" + std::string(*safetensors_dtype_name(t.dtype)) +
         "\",\"shape\":[";
    for (int i = 0; i < t.shape.rank(); ++i) {
      if (i > 0) h += ",";
      h += std::to_string(t.shape[i]);
    }
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + t.nbytes) +
         "]}";
    offset += t.nbytes;
  }
  h += "}";
  // Spaces keep the JSON valid and put the data region on an 8-byte boundary.
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

Status SafetensorsWriter::write(const std::string& path) {
  // Largest elements first: with the data region 8-aligned, every tensor is then aligned to
  // its element size, which is what the reference writer guarantees too.
  std::stable_sort(tensors_.begin(), tensors_.end(), [](const Pending& a, const Pending& b) {
    int bits_a = dtype_bits(a.dtype), bits_b = dtype_bits(b.dtype);
    return bits_a != bits_b ? bits_a > bits_b : a.name < b.name;
  });
  const std::string head = header();
  const std::string tmp = path + ".tmp";
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(tmp.c_str(), "wb"));
  if (!file) return internal_error("cannot create " + tmp + ": " + std::strerror(errno));
  auto fail = [&](Status status) {
    file.reset();
    std::remove(tmp.c_str());
    return status;
  };
  auto put = [&](const void* data, size_t n) {
    return n == 0 || std::fwrite(data, 1, n, file.get()) == n;
  };
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(uint64_t{head.size()} >> (8 * i));
  bool ok = put(length, sizeof(length)) && put(head.data(), head.size());
  std::vector<uint8_t> buffer;
  for (const Pending& t : tensors_) {
    if (!ok) break;
    if (!t.produce) {
      ok = put(t.bytes.data(), t.bytes.size());
      continue;
    }
    buffer.resize(t.nbytes);
    Status produced = t.produce(std::span<uint8_t>(buffer));
    if (!produced.is_ok())
      return fail(produced.with_context("writing tensor " + json_string(t.name)));
    ok = put(buffer.data(), buffer.size());
  }
  if (!ok) return fail(internal_error("cannot write " + tmp + ": " + std::strerror(errno)));
  if (std::fclose(file.release()) != 0) {
    return fail(internal_error("cannot write " + tmp + ": " + std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(
        internal_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno)));
  }
  return Status::ok();
}

}  // namespace fourbrain::formats
