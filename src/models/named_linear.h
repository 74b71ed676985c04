// A model's Linear with the checkpoint modules it was made of (several when fused: q/k/v,
// gate/up), e.g. for calibration (nn::LinearInputRecorder) to name what it saw.
#pragma once

#include <string>
#include <vector>

namespace fourbrain::nn {
class Linear;  // nn/linear.h; not included: served_model.h, included widely, includes this
}  // namespace fourbrain::nn

namespace fourbrain::models {

struct NamedLinear {
  const nn::Linear* linear = nullptr;
  std::vector<std::string> modules;  // "<module>" of "<module>.weight", in stacking order
};

}  // namespace fourbrain::models
