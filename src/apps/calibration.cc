#include "apps/calibration.h"

#include <cmath>

#include "apps/served_batch.h"
#include "core/dtype.h"
#include "nn/linear.h"

namespace fourbrain::apps {
namespace {

// The amax of every input each known Linear sees on this thread.
class AmaxRecorder final : public nn::LinearInputRecorder {
 public:
  explicit AmaxRecorder(const std::vector<models::NamedLinear>& linears) {
    for (const models::NamedLinear& l : linears) amax_[l.linear->identity()] = 0.0f;
  }

  void record(const nn::Linear& linear, const ops::LinearInput& x) override {
    const auto it = amax_.find(linear.identity());
    if (it == amax_.end() || x.is_fp8()) return;  // a head, or not a CPU f32/bf16 input
    const Tensor& t = x.values();
    if (t.device() != DeviceKind::kCpu) return;
    float m = it->second;
    if (t.dtype() == DType::kF32) {
      const float* v = t.data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::fabs(v[i]));
    } else if (t.dtype() == DType::kBF16) {
      const uint16_t* v = t.data<uint16_t>();
      for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::fabs(bf16_to_f32(v[i])));
    }
    it->second = m;
  }

  float amax(const nn::Linear& linear) const { return amax_.at(linear.identity()); }

 private:
  std::map<const void*, float> amax_;
};

}  // namespace

Result<std::map<std::string, float>> measure_input_amax(const FidelityRequest& r) {
  const auto task = r.rerank ? models::ModelTask::kReranking : models::ModelTask::kEmbedding;
  const std::vector<models::TaskItem> items = task_items(r.texts, r.rerank);
  if (items.empty()) return invalid_argument("calibration needs texts");
  FB_ASSIGN_OR_RETURN(auto model, load_for_cli(task, r.reference, 8192));
  const std::vector<models::NamedLinear> linears = model->named_linears();
  if (linears.empty()) {
    return invalid_argument(r.reference.model_dir + ": the model names no Linears to calibrate");
  }
  AmaxRecorder recorder(linears);
  nn::LinearInputRecorder* previous = nn::LinearInputRecorder::install(&recorder);
  Result<ServedOutputs> ran = run_items(*model, items, 0);
  nn::LinearInputRecorder::install(previous);
  FB_RETURN_IF_ERROR(ran.status());
  std::map<std::string, float> out;
  for (const models::NamedLinear& l : linears) {
    for (const std::string& module : l.modules) out[module] = recorder.amax(*l.linear);
  }
  return out;
}

}  // namespace fourbrain::apps
