#include "formats/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "formats/safetensors_writer.h"

namespace fourbrain::formats {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A fresh folder per test under the GoogleTest temp dir.
std::string test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      (std::string("safetensors_") + info->test_suite_name() + "_" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Hand-made file: header length (the true one unless `claimed` lies), header, data.
std::string raw_file(std::string_view header, std::string_view data,
                     std::optional<uint64_t> claimed = std::nullopt) {
  uint64_t n = claimed.value_or(header.size());
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>(n >> (8 * i));
  return out.append(header).append(data);
}

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> out(values.size() * sizeof(T));
  if (!out.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// Reads element i without assuming alignment, as kernels must (see safetensors.h).
template <typename T>
T load(const Tensor& t, int64_t i) {
  T value;
  std::memcpy(&value, t.data<uint8_t>() + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return value;
}

Status open_error(const std::string& path) {
  auto result = Checkpoint::open_file(path);
  EXPECT_FALSE(result.is_ok()) << path << " opened but should not";
  return result.is_ok() ? Status::ok() : result.status();
}

// --- reading files written by our writer and by the reference implementation -------------

TEST(SafetensorsTest, RoundTripsValuesAndShapes) {
  const std::string path = test_dir() + "/model.safetensors";
  std::vector<uint16_t> bf16, f16;
  for (float v : {1.0f, -2.5f, 0.125f, 3.0f, -0.0f, 65504.0f}) {
    bf16.push_back(f32_to_bf16(v));
    f16.push_back(f32_to_f16(v));
  }
  std::vector<float> f32 = {0.1f, -7.0f, 1e-20f};
  auto bf16_bytes = as_bytes(bf16), f16_bytes = as_bytes(f16), f32_bytes = as_bytes(f32);
  SafetensorsWriter writer;
  ASSERT_TRUE(writer.add("w.bf16", DType::kBF16, {2, 3}, bf16_bytes).is_ok());
  ASSERT_TRUE(writer.add("w.f16", DType::kF16, {3, 2}, f16_bytes).is_ok());
  ASSERT_TRUE(writer.add("a.f32", DType::kF32, {3}, f32_bytes).is_ok());
  writer.set_metadata({{"format", "pt"}});
  ASSERT_TRUE(writer.write(path).is_ok());

  auto checkpoint = Checkpoint::open_file(path);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  ASSERT_EQ(checkpoint->entries().size(), 3u);
  EXPECT_EQ(checkpoint->entries()[0].name, "a.f32");  // sorted by name
  EXPECT_EQ(checkpoint->entries()[2].name, "w.f16");
  const TensorEntry* e = checkpoint->find("w.bf16");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->dtype, DType::kBF16);
  EXPECT_EQ(e->shape, Shape({2, 3}));
  EXPECT_EQ(e->tensor.shape(), Shape({2, 3}));
  EXPECT_EQ(e->file, path);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(load<uint16_t>(e->tensor, i), bf16[size_t(i)]);
  e = checkpoint->find("w.f16");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->shape, Shape({3, 2}));
  EXPECT_EQ(f16_to_f32(load<uint16_t>(e->tensor, 5)), 65504.0f);
  e = checkpoint->find("a.f32");
  ASSERT_NE(e, nullptr);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(load<float>(e->tensor, i), f32[size_t(i)]);
  EXPECT_EQ(checkpoint->find("w"), nullptr);
  EXPECT_EQ(checkpoint->find("zzz"), nullptr);
}

TEST(SafetensorsTest, TensorsOutliveTheCheckpointAndAreNotCopies) {
  const std::string path = test_dir() + "/x.safetensors";
  std::vector<float> values = {1, 2, 3, 4};
  auto bytes = as_bytes(values);
  SafetensorsWriter writer;
  ASSERT_TRUE(writer.add("x", DType::kF32, {4}, bytes).is_ok());
  ASSERT_TRUE(writer.write(path).is_ok());
  Tensor kept;
  {
    auto checkpoint = Checkpoint::open_file(path);
    ASSERT_TRUE(checkpoint.is_ok());
    kept = checkpoint->find("x")->tensor;
    EXPECT_EQ(checkpoint->find("x")->tensor.raw_data(), kept.raw_data());  // a view
  }
  EXPECT_EQ(load<float>(kept, 3), 4.0f);  // the mapping is still alive
}

TEST(SafetensorsTest, ReadsFileFromPythonSafetensors) {
  const std::string path =
      std::string(FOURBRAIN_SOURCE_DIR) + "/tests/data/safetensors/torch_tiny.safetensors";
  auto checkpoint = Checkpoint::open_file(path);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->entries().size(), 8u);
  const TensorEntry* bf16 = checkpoint->find("bf16");
  ASSERT_NE(bf16, nullptr);
  EXPECT_EQ(bf16->shape, Shape({2, 3}));
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(bf16_to_f32(load<uint16_t>(bf16->tensor, i)), 0.5f * float(i) - 1.0f);
  }
  const TensorEntry* f16 = checkpoint->find("f16");
  ASSERT_NE(f16, nullptr);
  EXPECT_EQ(f16_to_f32(load<uint16_t>(f16->tensor, 3)), 0.75f);
  const TensorEntry* f32 = checkpoint->find("f32");
  ASSERT_NE(f32, nullptr);
  EXPECT_EQ(f32->shape, Shape({3, 1}));
  EXPECT_EQ(load<float>(f32->tensor, 1), 1.0f / 3.0f);
  EXPECT_EQ(load<int64_t>(checkpoint->find("i64")->tensor, 2), int64_t{1} << 40);
  EXPECT_EQ(checkpoint->find("u8")->tensor.data<uint8_t>()[1], 255);
  const TensorEntry* fp8 = checkpoint->find("fp8");
  ASSERT_NE(fp8, nullptr);
  EXPECT_EQ(fp8->dtype, DType::kFp8E4M3);
  EXPECT_EQ(fp8->tensor.data<uint8_t>()[0], 0x38);  // 1.0
  EXPECT_EQ(fp8->tensor.data<uint8_t>()[1], 0xC0);  // -2.0
  EXPECT_EQ(checkpoint->find("scalar")->shape.rank(), 0);
  EXPECT_EQ(load<float>(checkpoint->find("scalar")->tensor, 0), 7.0f);
  EXPECT_EQ(checkpoint->find("empty")->tensor.numel(), 0);
}

TEST(SafetensorsTest, AcceptsHandMadeHeaderWithGapsAndPadding) {
  const std::string path = test_dir() + "/gap.safetensors";
  // 4 unused bytes between the tensors; trailing spaces as the reference writer pads.
  std::string header = R"({"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]},)"
                       R"("a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}   )";
  write_bytes(path, raw_file(header, std::string("\x2a\0\0\0xxxxabcd", 12)));
  auto checkpoint = Checkpoint::open_file(path);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  EXPECT_EQ(load<int32_t>(checkpoint->find("a")->tensor, 0), 42);
  EXPECT_EQ(checkpoint->find("b")->tensor.data<uint8_t>()[3], 'd');
  EXPECT_EQ(checkpoint->dir(), std::filesystem::path(path).parent_path().string());
}

TEST(SafetensorsTest, ReadsMisalignedTensors) {
  const std::string path = test_dir() + "/misaligned.safetensors";
  std::string header = R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                       R"("f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}})";
  header.append((8 - header.size() % 8) % 8, ' ');  // data region 8-aligned, so f is not
  float value = -3.25f;
  std::string data(5, '\0');
  std::memcpy(data.data() + 1, &value, 4);
  write_bytes(path, raw_file(header, data));
  auto checkpoint = Checkpoint::open_file(path);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  const Tensor& f = checkpoint->find("f")->tensor;
  EXPECT_NE(reinterpret_cast<uintptr_t>(f.raw_data()) % 4, 0u);
  EXPECT_EQ(load<float>(f, 0), -3.25f);
}

// --- single files that lie ----------------------------------------------------------------

TEST(SafetensorsErrorTest, TruncatedData) {
  const std::string path = test_dir() + "/truncated.safetensors";
  write_bytes(path, raw_file(R"({"w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}})",
                             std::string(10, 'x')));
  Status s = open_error(path);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), AllOf(HasSubstr(path), HasSubstr("tensor \"w\""),
                                 HasSubstr("data_offsets [0, 24] reach beyond the data region "
                                           "(10 bytes)"),
                                 HasSubstr("truncated")));
}

TEST(SafetensorsErrorTest, HeaderLengthLargerThanFile) {
  const std::string path = test_dir() + "/lying_length.safetensors";
  write_bytes(path, raw_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "x",
                             /*claimed=*/1000));
  Status s = open_error(path);
  EXPECT_THAT(s.message(), AllOf(HasSubstr(path), HasSubstr("header length 1000 is larger than")));
  // A length near 2^64 must not wrap around.
  write_bytes(path, raw_file("{}", "", /*claimed=*/~uint64_t{0}));
  EXPECT_THAT(open_error(path).message(), HasSubstr("header length 18446744073709551615"));
}

TEST(SafetensorsErrorTest, FileTooShortForHeaderLength) {
  const std::string path = test_dir() + "/short.safetensors";
  write_bytes(path, "abc");
  EXPECT_THAT(open_error(path).message(), AllOf(HasSubstr(path), HasSubstr("file is 3 bytes")));
}

TEST(SafetensorsErrorTest, MissingFileIsNotFound) {
  const std::string path = test_dir() + "/absent.safetensors";
  Status s = open_error(path);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr(path));
}

TEST(SafetensorsErrorTest, OverlappingRanges) {
  const std::string path = test_dir() + "/overlap.safetensors";
  write_bytes(path, raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             std::string(12, '\0')));
  Status s = open_error(path);
  EXPECT_THAT(s.message(), AllOf(HasSubstr(path), HasSubstr("tensors \"a\" [0, 8] and \"b\" "
                                                            "[4, 12] overlap")));
}

TEST(SafetensorsErrorTest, OverlapHiddenBehindAWideRange) {
  // c lies inside a but not inside b, which sorts between them.
  const std::string path = test_dir() + "/overlap_wide.safetensors";
  write_bytes(path, raw_file(R"({"a":{"dtype":"U8","shape":[10],"data_offsets":[0,10]},)"
                             R"("b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]},)"
                             R"("c":{"dtype":"U8","shape":[2],"data_offsets":[5,7]}})",
                             std::string(10, '\0')));
  Status s = open_error(path);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("2 problems"), HasSubstr("\"a\" [0, 10] and \"b\""),
                                 HasSubstr("\"a\" [0, 10] and \"c\"")));
}

TEST(SafetensorsErrorTest, SizeMismatch) {
  const std::string path = test_dir() + "/mismatch.safetensors";
  write_bytes(path, raw_file(R"({"w":{"dtype":"BF16","shape":[3,2],"data_offsets":[0,8]}})",
                             std::string(8, '\0')));
  EXPECT_THAT(open_error(path).message(),
              AllOf(HasSubstr(path), HasSubstr("tensor \"w\""),
                    HasSubstr("data_offsets [0, 8] span 8 bytes, but shape [3, 2] of BF16 "
                              "needs 12")));
}

TEST(SafetensorsErrorTest, ReportsEveryProblemOfAFileAtOnce) {
  const std::string path = test_dir() + "/many.safetensors";
  write_bytes(path, raw_file(R"({"unknown":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]},)"
                             R"("double":{"dtype":"F64","shape":[1],"data_offsets":[1,9]},)"
                             R"("negative":{"dtype":"F32","shape":[2,-3],"data_offsets":[9,9]},)"
                             R"("reversed":{"dtype":"U8","shape":[1],"data_offsets":[12,11]},)"
                             R"("good":{"dtype":"U8","shape":[1],"data_offsets":[9,10]},)"
                             R"("__metadata__":{"format":"pt","n":3}})",
                             std::string(16, '\0')));
  Status s = open_error(path);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);  // mixed codes
  EXPECT_THAT(s.message(),
              AllOf(HasSubstr("5 problems in " + path + ":"),
                    HasSubstr("tensor \"unknown\": unknown dtype \"Q7\""),
                    HasSubstr("tensor \"double\": dtype F64 is not supported"),
                    HasSubstr("tensor \"negative\": \"shape\" must be an array of non-negative "
                              "integers; element 1 is negative (-3)"),
                    HasSubstr("tensor \"reversed\": \"data_offsets\" must be [begin, end] with "
                              "begin <= end"),
                    HasSubstr("\"__metadata__\" value \"n\" must be a string")));
}

TEST(SafetensorsErrorTest, UnsupportedDtypeAloneIsUnsupported) {
  const std::string path = test_dir() + "/bool.safetensors";
  write_bytes(path, raw_file(R"({"mask":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                             std::string(2, '\0')));
  Status s = open_error(path);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_THAT(s.message(), AllOf(HasSubstr(path), HasSubstr("tensor \"mask\": dtype BOOL")));
}

TEST(SafetensorsErrorTest, MalformedHeaders) {
  const std::string path = test_dir() + "/bad.safetensors";
  write_bytes(path, raw_file(R"({"w":{"dtype":"F32",)", ""));
  EXPECT_THAT(open_error(path).message(),
              AllOf(HasSubstr(path + ": JSON header: invalid JSON at byte")));
  write_bytes(path, raw_file("[1, 2]", ""));
  EXPECT_THAT(open_error(path).message(), HasSubstr("JSON header must be an object, got array"));
  write_bytes(path, raw_file(R"({"w":{"dtype":"U8","shape":[1]},"v":7})", "x"));
  EXPECT_THAT(open_error(path).message(),
              AllOf(HasSubstr("tensor \"w\": \"data_offsets\" must be an array of non-negative "
                              "integers; it is missing"),
                    HasSubstr("tensor \"v\": must be an object {dtype, shape, data_offsets}")));
  write_bytes(path, raw_file(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                             R"("w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
                             "x"));
  EXPECT_THAT(open_error(path).message(), HasSubstr("key \"w\" appears twice in the header"));
  write_bytes(path, raw_file(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],)"
                             R"("data_offsets":[0,1]}})",
                             "x"));
  EXPECT_THAT(open_error(path).message(), HasSubstr("is too large"));
}

// --- checkpoint folders ------------------------------------------------------------------

// Writes a shard holding the named u8 tensors (one byte each, value = index in the list).
void write_shard(const std::string& path, const std::vector<std::string>& names) {
  static const uint8_t kValues[] = {0, 1, 2, 3, 4, 5, 6, 7};
  SafetensorsWriter writer;
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(writer.add(names[i], DType::kU8, {1}, std::span(kValues + i, 1)).is_ok());
  }
  ASSERT_TRUE(writer.write(path).is_ok());
}

const char kIndexTwoShards[] = R"({"metadata": {"total_size": 3}, "weight_map": {
    "embed_tokens.weight": "model-00001-of-00002.safetensors",
    "layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
    "norm.weight": "model-00002-of-00002.safetensors"}})";

TEST(CheckpointTest, OpensShardedCheckpoint) {
  const std::string dir = test_dir();
  write_shard(dir + "/model-00001-of-00002.safetensors",
              {"layers.0.mlp.up_proj.weight", "embed_tokens.weight"});
  write_shard(dir + "/model-00002-of-00002.safetensors", {"norm.weight"});
  write_bytes(dir + "/model.safetensors.index.json", kIndexTwoShards);
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->dir(), dir);
  ASSERT_EQ(checkpoint->entries().size(), 3u);
  EXPECT_EQ(checkpoint->entries()[0].name, "embed_tokens.weight");
  EXPECT_EQ(checkpoint->entries()[1].name, "layers.0.mlp.up_proj.weight");
  EXPECT_EQ(checkpoint->entries()[2].name, "norm.weight");
  const TensorEntry* up = checkpoint->find("layers.0.mlp.up_proj.weight");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->file, dir + "/model-00001-of-00002.safetensors");
  EXPECT_EQ(up->tensor.data<uint8_t>()[0], 0);
  EXPECT_EQ(checkpoint->find("embed_tokens.weight")->tensor.data<uint8_t>()[0], 1);
  EXPECT_EQ(checkpoint->find("norm.weight")->file, dir + "/model-00002-of-00002.safetensors");
}

TEST(CheckpointTest, OpensSingleFileFolder) {
  const std::string dir = test_dir();
  write_shard(dir + "/model.safetensors", {"a", "b"});
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->dir(), dir);
  EXPECT_EQ(checkpoint->entries().size(), 2u);
  EXPECT_EQ(checkpoint->find("b")->tensor.data<uint8_t>()[0], 1);
}

TEST(CheckpointTest, EmptyFolderListsWhatItLookedFor) {
  const std::string dir = test_dir();
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_FALSE(checkpoint.is_ok());
  EXPECT_EQ(checkpoint.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(checkpoint.status().message(), AllOf(HasSubstr(dir + "/model.safetensors.index.json"),
                                                   HasSubstr(dir + "/model.safetensors")));
  EXPECT_EQ(Checkpoint::open(dir + "/nope").status().code(), StatusCode::kNotFound);
}

TEST(CheckpointTest, MissingShardIsNotFound) {
  const std::string dir = test_dir();
  write_shard(dir + "/model-00001-of-00002.safetensors",
              {"layers.0.mlp.up_proj.weight", "embed_tokens.weight"});
  write_bytes(dir + "/model.safetensors.index.json", kIndexTwoShards);
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_FALSE(checkpoint.is_ok());
  EXPECT_EQ(checkpoint.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(checkpoint.status().message(),
              AllOf(HasSubstr(dir + "/model.safetensors.index.json"),
                    HasSubstr("names shard \"model-00002-of-00002.safetensors\", which does not "
                              "exist")));
}

TEST(CheckpointTest, IndexAndShardsDisagree) {
  const std::string dir = test_dir();
  // Shard 1 lacks embed_tokens, holds an unlisted tensor, and holds norm (placed in shard 2),
  // which shard 2 also holds.
  write_shard(dir + "/model-00001-of-00002.safetensors",
              {"layers.0.mlp.up_proj.weight", "lm_head.weight", "norm.weight"});
  write_shard(dir + "/model-00002-of-00002.safetensors", {"norm.weight"});
  write_bytes(dir + "/model.safetensors.index.json", kIndexTwoShards);
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_FALSE(checkpoint.is_ok());
  const std::string index = dir + "/model.safetensors.index.json";
  const std::string shard1 = dir + "/model-00001-of-00002.safetensors";
  EXPECT_EQ(checkpoint.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(
      checkpoint.status().message(),
      AllOf(HasSubstr("4 problems in checkpoint " + dir),
            HasSubstr(index + ": places tensor \"embed_tokens.weight\" in "
                              "\"model-00001-of-00002.safetensors\", but that shard has no such "
                              "tensor"),
            HasSubstr(shard1 + ": holds tensor \"lm_head.weight\", which " + index +
                      " does not list"),
            HasSubstr(shard1 + ": holds tensor \"norm.weight\", which " + index +
                      " places in \"model-00002-of-00002.safetensors\""),
            HasSubstr("tensor \"norm.weight\" appears in two shards")));
}

TEST(CheckpointTest, ReportsBrokenShardAndIndexProblemsTogether) {
  const std::string dir = test_dir();
  write_shard(dir + "/model-00001-of-00002.safetensors",
              {"layers.0.mlp.up_proj.weight", "embed_tokens.weight"});
  write_bytes(dir + "/model-00002-of-00002.safetensors",
              raw_file(R"({"norm.weight":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", ""));
  write_bytes(dir + "/model.safetensors.index.json",
              R"({"weight_map": {"embed_tokens.weight": "model-00001-of-00002.safetensors",
                  "layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
                  "norm.weight": "model-00002-of-00002.safetensors",
                  "secret": "../../etc/passwd"}})");
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_FALSE(checkpoint.is_ok());
  EXPECT_THAT(checkpoint.status().message(),
              AllOf(HasSubstr("2 problems"), HasSubstr("shard \"../../etc/passwd\""),
                    HasSubstr(dir + "/model-00002-of-00002.safetensors: tensor \"norm.weight\": "
                                    "data_offsets [0, 1] reach beyond")));
}

TEST(CheckpointTest, IndexWithoutWeightMap) {
  const std::string dir = test_dir();
  write_bytes(dir + "/model.safetensors.index.json", R"({"metadata": {}})");
  auto checkpoint = Checkpoint::open(dir);
  ASSERT_FALSE(checkpoint.is_ok());
  EXPECT_THAT(checkpoint.status().message(),
              AllOf(HasSubstr("model.safetensors.index.json"), HasSubstr("\"weight_map\"")));
}

// --- the writer ----------------------------------------------------------------------------

TEST(SafetensorsWriterTest, PadsHeaderAndAlignsData) {
  const std::string path = test_dir() + "/aligned.safetensors";
  std::vector<uint8_t> one = {9};
  std::vector<float> f32 = {1.5f, 2.5f};
  std::vector<uint16_t> bf16 = {f32_to_bf16(3.0f)};
  auto f32_bytes = as_bytes(f32), bf16_bytes = as_bytes(bf16);
  SafetensorsWriter writer;
  // Added small-first: the writer must still place the wide dtypes first.
  ASSERT_TRUE(writer.add("a.u8", DType::kU8, {1}, one).is_ok());
  ASSERT_TRUE(writer.add("b.bf16", DType::kBF16, {1}, bf16_bytes).is_ok());
  ASSERT_TRUE(writer.add("c.f32", DType::kF32, {2}, f32_bytes).is_ok());
  writer.set_metadata({{"format", "pt"}, {"quote\"d", "line\nbreak"}});
  ASSERT_TRUE(writer.write(path).is_ok());

  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  std::string header = bytes.substr(8, n);
  size_t json_end = header.find_last_not_of(' ') + 1;  // the rest is padding
  EXPECT_EQ(header[json_end - 1], '}');
  EXPECT_LT(header.size() - json_end, 8u);
  EXPECT_EQ(header.front(), '{');
  EXPECT_THAT(header, HasSubstr(R"("__metadata__":{"format":"pt","quote\"d":"line\u000abreak"})"));
  EXPECT_THAT(header, HasSubstr(R"("c.f32":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})"));
  EXPECT_THAT(header, HasSubstr(R"("b.bf16":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]})"));
  EXPECT_EQ(bytes.size(), 8 + n + 11);

  auto checkpoint = Checkpoint::open_file(path);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  for (const TensorEntry& e : checkpoint->entries()) {
    auto address = reinterpret_cast<uintptr_t>(e.tensor.raw_data());
    EXPECT_EQ(address % (size_t(dtype_bits(e.dtype)) / 8), 0u) << e.name;
  }
  EXPECT_EQ(load<float>(checkpoint->find("c.f32")->tensor, 1), 2.5f);
}

TEST(SafetensorsWriterTest, DeferredTensorsAndOddNames) {
  const std::string path = test_dir() + "/deferred.safetensors";
  SafetensorsWriter writer;
  const std::string odd = "layer \"0\"\t\\x";
  ASSERT_TRUE(writer
                  .add_deferred(odd, DType::kI32, {2, 2},
                                [](std::span<uint8_t> out) {
                                  EXPECT_EQ(out.size(), 16u);
                                  for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(i);
                                  return Status::ok();
                                })
                  .is_ok());
  ASSERT_TRUE(writer.add("empty", DType::kBF16, {0, 3}, {}).is_ok());
  ASSERT_TRUE(writer.write(path).is_ok());
  auto checkpoint = Checkpoint::open_file(path);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().to_string();
  const TensorEntry* e = checkpoint->find(odd);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->shape, Shape({2, 2}));
  EXPECT_EQ(load<int32_t>(e->tensor, 1), 0x07060504);
  EXPECT_EQ(checkpoint->find("empty")->shape, Shape({0, 3}));
}

TEST(SafetensorsWriterTest, RejectsBadDeclarationsAndLeavesNoFileOnFailure) {
  const std::string path = test_dir() + "/failed.safetensors";
  std::vector<uint8_t> four(4);
  SafetensorsWriter writer;
  ASSERT_TRUE(writer.add("x", DType::kF32, {1}, four).is_ok());
  EXPECT_THAT(writer.add("x", DType::kF32, {1}, four).message(), HasSubstr("added twice"));
  EXPECT_THAT(writer.add("y", DType::kF32, {2}, four).message(),
              HasSubstr("got 4 bytes, but shape [2] of f32 needs 8"));
  EXPECT_EQ(writer.add("z", DType::kNvfp4, {8}, four).code(), StatusCode::kUnsupported);
  EXPECT_THAT(writer.add("__metadata__", DType::kU8, {4}, four).message(), HasSubstr("reserved"));
  EXPECT_THAT(writer.add("n", DType::kU8, {-4}, four).message(), HasSubstr("negative"));
  ASSERT_TRUE(writer
                  .add_deferred("late", DType::kU8, {3},
                                [](std::span<uint8_t>) { return unavailable("disk on fire"); })
                  .is_ok());
  Status s = writer.write(path);
  EXPECT_THAT(s.message(), AllOf(HasSubstr("\"late\""), HasSubstr("disk on fire")));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

}  // namespace
}  // namespace fourbrain::formats
