// Copies between host and device tensors, for models that run on a GPU: inputs up, results
// down. Validation as in ops.h; thread-compatible.
#pragma once

#include "base/status.h"
#include "core/tensor.h"

namespace fourbrain::ops {

// dst = src, same dtype and shape, any pair of devices (CPU <-> CUDA, or CPU -> CPU). A copy
// to CUDA is ordered on this thread's current context, if any; a copy to the host waits for
// everything enqueued before it.
Status copy(const Tensor& src, Tensor& dst);

}  // namespace fourbrain::ops
