#include "server/http/zip_writer.h"

#include <zlib.h>

#include <ctime>
#include <limits>

namespace fourbrain::server::http {
namespace {

constexpr uint64_t kMax32 = std::numeric_limits<uint32_t>::max();

void put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
}

void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

// Raw deflate (no zlib header), as zip's method 8 wants; false on failure.
bool deflate_raw(std::string_view data, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

// MS-DOS time and date of now (local time, as zip tools write it).
void dos_time(uint32_t* time, uint32_t* date) {
  const std::time_t now = std::time(nullptr);
  std::tm t{};
  localtime_r(&now, &t);
  *time = static_cast<uint32_t>((t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec / 2));
  *date = static_cast<uint32_t>(((t.tm_year - 80) << 9) | ((t.tm_mon + 1) << 5) | t.tm_mday);
}

}  // namespace

Status ZipWriter::add(std::string_view name, std::string_view data) {
  if (finished_) return internal_error("ZipWriter::add after finish");
  if (name.empty() || name.size() > 0xffff) return invalid_argument("bad zip entry name");
  if (data.size() > kMax32 || n_entries_ >= 0xffff) {
    return invalid_argument("the zip archive would need zip64 (an entry over 4 GiB or too many)");
  }
  const uint32_t crc =
      static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()),
                                  static_cast<uInt>(data.size())));
  std::string deflated;
  const bool deflate = deflate_raw(data, deflated) && deflated.size() < data.size();
  const std::string_view stored = deflate ? std::string_view(deflated) : data;
  const uint32_t method = deflate ? 8 : 0;
  const uint64_t offset = body_.size();
  if (offset + 30 + name.size() + stored.size() > kMax32) {
    return invalid_argument("the zip archive would be over 4 GiB (zip64 is not written)");
  }
  uint32_t time = 0, date = 0;
  dos_time(&time, &date);
  constexpr uint32_t kUtf8 = 1u << 11;  // general purpose flag: the name is UTF-8
  auto common = [&](std::string& out) {
    put16(out, 20);  // version needed: 2.0 (deflate)
    put16(out, kUtf8);
    put16(out, method);
    put16(out, time);
    put16(out, date);
    put32(out, crc);
    put32(out, static_cast<uint32_t>(stored.size()));
    put32(out, static_cast<uint32_t>(data.size()));
    put16(out, static_cast<uint32_t>(name.size()));
    put16(out, 0);  // extra field length
  };
  put32(body_, 0x04034b50);  // local file header
  common(body_);
  body_.append(name);
  body_.append(stored);

  put32(central_, 0x02014b50);      // central directory file header
  put16(central_, (3u << 8) | 20);  // made by: Unix, 2.0
  common(central_);
  put16(central_, 0);               // comment length
  put16(central_, 0);               // disk number
  put16(central_, 0);               // internal attributes
  put32(central_, 0100644u << 16);  // external: a regular file, rw-r--r--
  put32(central_, static_cast<uint32_t>(offset));
  central_.append(name);
  ++n_entries_;
  return Status::ok();
}

Result<std::string> ZipWriter::finish() {
  if (finished_) return internal_error("ZipWriter::finish twice");
  finished_ = true;
  if (body_.size() + central_.size() > kMax32) {
    return invalid_argument("the zip archive would be over 4 GiB (zip64 is not written)");
  }
  std::string out = std::move(body_);
  const uint32_t central_offset = static_cast<uint32_t>(out.size());
  out.append(central_);
  put32(out, 0x06054b50);  // end of central directory
  put16(out, 0);           // this disk
  put16(out, 0);           // disk with the central directory
  put16(out, static_cast<uint32_t>(n_entries_));
  put16(out, static_cast<uint32_t>(n_entries_));
  put32(out, static_cast<uint32_t>(central_.size()));
  put32(out, central_offset);
  put16(out, 0);  // comment length
  return out;
}

}  // namespace fourbrain::server::http
