#include "server/http/zip_writer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

namespace fourbrain::server::http {
namespace {

uint32_t get16(const std::string& s, size_t at) {
  return static_cast<uint8_t>(s[at]) | static_cast<uint8_t>(s[at + 1]) << 8;
}
uint32_t get32(const std::string& s, size_t at) { return get16(s, at) | get16(s, at + 2) << 16; }

std::string inflate_raw(std::string_view data, size_t size) {
  std::string out(size, '\0');
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

// Walks the central directory as a reader does and checks each entry's data and CRC.
TEST(ZipWriter, ReadsBackThroughTheCentralDirectory) {
  const std::string big(10000, 'a'), small = "x";
  ZipWriter zip;
  ASSERT_TRUE(zip.add("report.md", big).is_ok());
  ASSERT_TRUE(zip.add("report.json", small).is_ok());
  auto archive = zip.finish();
  ASSERT_TRUE(archive.is_ok());
  const std::string& a = archive.value();
  const size_t end = a.size() - 22;
  ASSERT_EQ(get32(a, end), 0x06054b50u);
  ASSERT_EQ(get16(a, end + 10), 2u);
  size_t at = get32(a, end + 16);
  const std::string want[] = {big, small};
  const char* names[] = {"report.md", "report.json"};
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(get32(a, at), 0x02014b50u);
    const uint32_t method = get16(a, at + 10), crc = get32(a, at + 16);
    const uint32_t csize = get32(a, at + 20), usize = get32(a, at + 24);
    const uint32_t name_len = get16(a, at + 28), local = get32(a, at + 42);
    EXPECT_EQ(a.substr(at + 46, name_len), names[i]);
    ASSERT_EQ(get32(a, local), 0x04034b50u);
    const std::string_view data(a.data() + local + 30 + get16(a, local + 26), csize);
    const std::string content = method == 8 ? inflate_raw(data, usize) : std::string(data);
    EXPECT_EQ(content, want[i]);
    EXPECT_EQ(crc, crc32(0, reinterpret_cast<const Bytef*>(content.data()),
                         static_cast<uInt>(content.size())));
    at += 46 + name_len;
  }
  EXPECT_EQ(get16(a, 8 + 0), 8u);  // the repetitive entry is deflated
  EXPECT_FALSE(zip.finish().is_ok());
}

}  // namespace
}  // namespace fourbrain::server::http
