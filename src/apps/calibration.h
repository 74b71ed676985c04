// Calibration for `fourbrain quantize --calibration`: the source model runs the texts on the
// CPU in f32, and the largest magnitude each linear module's input reached is recorded
// (nn::LinearInputRecorder). Modules fused into one Linear (q/k/v, gate/up) read the same
// input and so get the same amax. The quantizer turns these into static input scales.
#pragma once

#include <map>
#include <string>

#include "apps/fidelity.h"
#include "base/status.h"

namespace fourbrain::apps {

// Module name ("<module>" of "<module>.weight") -> input amax over every token of `texts`
// (rerankers: the first text is the query of the others). InvalidArgument if the model
// reports no Linears or too few texts were given.
Result<std::map<std::string, float>> measure_input_amax(const FidelityRequest& request);

}  // namespace fourbrain::apps
