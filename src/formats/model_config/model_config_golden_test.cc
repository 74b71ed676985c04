// Wire compatibility with Triton's own model_config.proto: tools/server/
// make_model_config_golden.py parses tests/data/model_config/*.pbtxt with Triton's generated
// Python module and writes its bytes and JSON into $FOURBRAIN_TESTDATA/model_config/.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/file.h"
#include "formats/model_config/model_config.h"

namespace fourbrain::formats {
namespace {

namespace fs = std::filesystem;

std::string deterministic_bytes(const inference::ModelConfig& config) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    EXPECT_TRUE(config.SerializeToCodedStream(&coded));
  }
  return out;
}

// Top-level fields of Triton's ModelConfig that our proto leaves out. Triton's JSON has them
// (empty) because it prints every repeated field and map; ours cannot.
const std::set<std::string> kUnsupportedTopLevel = {"batch_input", "batch_output",
                                                    "cc_model_filenames"};

// Compares two JSON values; the first difference goes into *why with its path.
bool same_json(const rapidjson::Value& ours, const rapidjson::Value& theirs,
               const std::string& path, std::string* why) {
  if (ours.GetType() != theirs.GetType()) {
    *why = path + ": different JSON types";
    return false;
  }
  if (ours.IsObject()) {
    if (ours.MemberCount() != theirs.MemberCount()) {
      *why = path + ": " + std::to_string(ours.MemberCount()) + " keys vs " +
             std::to_string(theirs.MemberCount());
      return false;
    }
    for (const auto& member : ours.GetObject()) {
      const std::string key = member.name.GetString();
      auto it = theirs.FindMember(member.name);
      if (it == theirs.MemberEnd()) {
        *why = path + ": \"" + key + "\" missing from Triton's JSON";
        return false;
      }
      if (!same_json(member.value, it->value, path + "." + key, why)) return false;
    }
    return true;
  }
  if (ours.IsArray()) {
    if (ours.Size() != theirs.Size()) {
      *why = path + ": array sizes differ";
      return false;
    }
    for (rapidjson::SizeType i = 0; i < ours.Size(); ++i) {
      if (!same_json(ours[i], theirs[i], path + "[" + std::to_string(i) + "]", why)) return false;
    }
    return true;
  }
  // Numbers compare exactly, never through double. (RapidJSON's == compares the 64 bits
  // alone, so -1 would equal 18446744073709551615.)
  if (ours.IsNumber()) {
    if (ours.IsDouble() || theirs.IsDouble()) {
      *why = path + ": a non-integer number";
      return false;
    }
    if (ours.IsInt64() != theirs.IsInt64() || ours.IsUint64() != theirs.IsUint64()) {
      *why = path + ": integers of different signs or ranges";
      return false;
    }
  }
  if (ours != theirs) {
    *why = path + ": values differ";
    return false;
  }
  return true;
}

std::vector<fs::path> golden_configs() {
  std::vector<fs::path> out;
  for (const auto& entry :
       fs::directory_iterator(FOURBRAIN_SOURCE_DIR "/tests/data/model_config")) {
    if (entry.path().extension() == ".pbtxt") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ModelConfigGoldenTest, MatchesTritonsProto) {
  const char* root = std::getenv("FOURBRAIN_TESTDATA");
  if (root == nullptr || *root == '\0') {
    GTEST_SKIP() << "FOURBRAIN_TESTDATA is not set: run scripts/test.sh";
  }
  const fs::path golden_dir = fs::path(root) / "model_config";
  if (!fs::is_directory(golden_dir)) {
    GTEST_SKIP() << golden_dir << " is missing: run tools/server/make_model_config_golden.py";
  }
  const auto configs = golden_configs();
  ASSERT_GE(configs.size(), 4u);
  for (const fs::path& pbtxt : configs) {
    SCOPED_TRACE(pbtxt.filename().string());
    const std::string stem = pbtxt.stem().string();
    auto text = read_file(pbtxt.string());
    ASSERT_TRUE(text.is_ok()) << text.status().to_string();
    auto config = parse_model_config(*text, pbtxt.string());
    ASSERT_TRUE(config.is_ok()) << config.status().to_string();

    // (a) Our bytes are Triton's.
    auto triton_bytes = read_file((golden_dir / (stem + ".bin")).string());
    ASSERT_TRUE(triton_bytes.is_ok()) << triton_bytes.status().to_string();
    EXPECT_EQ(deterministic_bytes(*config), *triton_bytes);

    // (b) Triton's bytes read into our message and written back are unchanged: no field of
    // theirs lands in our unknown fields, none is dropped.
    inference::ModelConfig from_triton;
    ASSERT_TRUE(from_triton.ParseFromString(*triton_bytes));
    EXPECT_EQ(deterministic_bytes(from_triton), *triton_bytes);
    EXPECT_EQ(from_triton.GetReflection()->GetUnknownFields(from_triton).field_count(), 0);

    // (c) Our JSON is Triton's, up to key order and the fields we leave out.
    auto triton_json = read_file((golden_dir / (stem + ".json")).string());
    ASSERT_TRUE(triton_json.is_ok()) << triton_json.status().to_string();
    rapidjson::Document theirs;
    theirs.Parse(triton_json->data(), triton_json->size());
    ASSERT_FALSE(theirs.HasParseError());
    ASSERT_TRUE(theirs.IsObject());
    for (const std::string& key : kUnsupportedTopLevel) {
      auto it = theirs.FindMember(key.c_str());
      ASSERT_NE(it, theirs.MemberEnd()) << key;
      EXPECT_TRUE(it->value.IsArray() ? it->value.Empty() : it->value.ObjectEmpty()) << key;
      theirs.RemoveMember(it);
    }
    const std::string our_json = model_config_to_json(*config);
    rapidjson::Document ours;
    ours.Parse(our_json.data(), our_json.size());
    ASSERT_FALSE(ours.HasParseError()) << our_json;
    std::string why;
    EXPECT_TRUE(same_json(ours, theirs, "$", &why))
        << why << "\nours:   " << our_json << "\nTriton: " << *triton_json;
  }
}

}  // namespace
}  // namespace fourbrain::formats
