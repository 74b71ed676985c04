// Row gathers: pick the rows a model still needs (e.g. each sequence's last token before
// the final layer's MLP, or the pooled rows). Validation as in ops.h; thread-compatible.
#pragma once

#include "base/status.h"
#include "core/tensor.h"

namespace fourbrain::ops {

// out [m, d] = x [n, d] rows at `rows` (i32 [m], each in [0, n)); any dtype of whole bytes.
Status gather_rows(const Tensor& x, const Tensor& rows, Tensor& out);

}  // namespace fourbrain::ops
