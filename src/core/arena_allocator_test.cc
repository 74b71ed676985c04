#include "core/arena_allocator.h"

#include <gtest/gtest.h>

#include "core/tensor.h"

namespace fourbrain {
namespace {

TEST(ArenaAllocator, BumpsAlignedBlocksAndCountsThem) {
  const size_t backing_before = host_allocator().live_bytes();
  {
    auto arena = ArenaAllocator::create(host_allocator(), 4096);
    ASSERT_TRUE(arena.is_ok());
    EXPECT_EQ(host_allocator().live_bytes() - backing_before, 4096u);
    auto a = Tensor::empty(DType::kF32, {10}, **arena);  // 40 bytes -> one 256-byte slot
    auto b = Tensor::empty(DType::kBF16, {3, 100}, **arena);
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    EXPECT_EQ(static_cast<char*>(b->raw_data()) - static_cast<char*>(a->raw_data()), 256);
    EXPECT_EQ((*arena)->live_bytes(), 40u + 600u);
    // Too big for what is left: a clear error, and the arena keeps working.
    auto too_big = Tensor::empty(DType::kU8, {4096}, **arena);
    EXPECT_EQ(too_big.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(too_big.status().message().find("workspace arena"), std::string::npos);
    *a = Tensor();
    *b = Tensor();
    (*arena)->reset();
    auto again = Tensor::empty(DType::kU8, {4096}, **arena);  // the whole block once more
    EXPECT_TRUE(again.is_ok());
  }
  EXPECT_EQ(host_allocator().live_bytes(), backing_before);  // the block went back
}

TEST(ArenaAllocator, FootprintRoundsUpToTheAlignment) {
  EXPECT_EQ(ArenaAllocator::footprint(0), 0u);
  EXPECT_EQ(ArenaAllocator::footprint(1), 256u);
  EXPECT_EQ(ArenaAllocator::footprint(256), 256u);
  EXPECT_EQ(ArenaAllocator::footprint(257), 512u);
}

}  // namespace
}  // namespace fourbrain
