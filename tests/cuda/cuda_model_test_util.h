// Shared by the CUDA tests that load whole Qwen3 models: a fixture that skips without a GPU
// or the test checkpoints, and the run options of a model on GPU 0.
#pragma once

#include <gtest/gtest.h>

#include "kernels/cuda/cuda_backend.h"
#include "models/qwen3/qwen3_model.h"
#include "test_data.h"

namespace fourbrain::testing {

class CudaModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kernels::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
    FB_REQUIRE_TEST_DATA();
  }
};

// On GPU 0 in `precision`; `keep_stored`: a quantized checkpoint's weights run as stored.
inline models::Qwen3RunOptions qwen3_on_gpu(ops::MatmulPrecision precision,
                                            bool keep_stored = false) {
  models::Qwen3RunOptions o;
  o.precision = precision;
  o.cuda_device = 0;
  o.keep_checkpoint_quantization = keep_stored;
  return o;
}

}  // namespace fourbrain::testing
