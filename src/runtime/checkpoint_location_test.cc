#include "runtime/checkpoint_location.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace fourbrain::runtime {
namespace {

class CheckpointLocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("fb_ckpt_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "repo" / "m");
    setenv("HF_HUB_CACHE", (root_ / "hub").c_str(), 1);
    setenv("FOURBRAIN_MODEL_CACHE", (root_ / "cache").c_str(), 1);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string model_dir() const { return (root_ / "repo" / "m").string(); }
  fs::path root_;
};

TEST_F(CheckpointLocationTest, RelativePathsStartAtTheModelFolder) {
  fs::create_directories(root_ / "weights");
  auto r = resolve_checkpoint("../../weights", model_dir());
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value(), (root_ / "weights").string());
  auto missing = resolve_checkpoint("nowhere", model_dir());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find((root_ / "repo/m/nowhere").string()),
            std::string::npos);
}

TEST_F(CheckpointLocationTest, ModelCache) {
  fs::create_directories(root_ / "cache" / "all-MiniLM-L6-v2");
  auto r = resolve_checkpoint("cache:all-MiniLM-L6-v2", model_dir());
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value(), (root_ / "cache" / "all-MiniLM-L6-v2").string());
}

TEST_F(CheckpointLocationTest, HuggingFaceCacheFollowsRefsMain) {
  const fs::path repo = root_ / "hub" / "models--Qwen--Qwen3-Embedding-0.6B";
  auto missing = resolve_checkpoint("hf:Qwen/Qwen3-Embedding-0.6B", model_dir());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find((repo / "snapshots").string()), std::string::npos);
  fs::create_directories(repo / "snapshots" / "aaa");
  fs::create_directories(repo / "snapshots" / "bbb");
  fs::create_directories(repo / "refs");
  std::ofstream(repo / "refs" / "main") << "aaa";
  auto r = resolve_checkpoint("hf:Qwen/Qwen3-Embedding-0.6B", model_dir());
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value(), (repo / "snapshots" / "aaa").string());
  EXPECT_EQ(resolve_checkpoint("hf:nonsense", model_dir()).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fourbrain::runtime
