#include "models/weight_binder.h"

namespace fourbrain::models {
namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  constexpr size_t kMaxListed = 20;  // a wrong architecture would list hundreds of names
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) out += (i ? sep : "") + items[i];
  if (items.size() > kMaxListed)
    out += " and " + std::to_string(items.size() - kMaxListed) + " more";
  return out;
}

}  // namespace

void WeightBinder::bind(const std::string& name, Shape expected, Tensor& slot, bool required) {
  const formats::TensorEntry* entry = checkpoint_.find(name);
  if (entry == nullptr) {
    if (required) missing_.push_back(name);
    return;
  }
  used_.insert(name);
  const Shape& got = entry->shape;
  bool shape_ok = got.rank() == expected.rank();
  for (int i = 0; shape_ok && i < got.rank(); ++i) {
    shape_ok = expected[i] < 0 || expected[i] == got[i];
  }
  if (!shape_ok) {
    problems_.push_back(name + " has shape " + got.to_string() + ", expected " +
                        expected.to_string());
    return;
  }
  if (entry->dtype != DType::kBF16 && entry->dtype != DType::kF16 && entry->dtype != DType::kF32) {
    problems_.push_back(name + " has dtype " + std::string(dtype_name(entry->dtype)) +
                        ", expected bf16, f16 or f32");
    return;
  }
  slot = entry->tensor;
}

void WeightBinder::ignore_if_present(const std::string& name) {
  if (checkpoint_.find(name) != nullptr) used_.insert(name);
}

void WeightBinder::ignore_prefix(const std::string& prefix) {
  for (const auto& entry : checkpoint_.entries()) {
    if (entry.name.starts_with(prefix)) used_.insert(entry.name);
  }
}

Status WeightBinder::finish() const {
  std::vector<std::string> all;
  if (!missing_.empty()) all.push_back("missing tensors: " + join(missing_));
  std::vector<std::string> unexpected;
  for (const auto& entry : checkpoint_.entries()) {
    if (!used_.count(entry.name)) unexpected.push_back(entry.name);
  }
  if (!unexpected.empty()) all.push_back("unexpected tensors: " + join(unexpected));
  all.insert(all.end(), problems_.begin(), problems_.end());
  if (all.empty()) return Status::ok();
  return invalid_argument("checkpoint " + checkpoint_.dir() +
                          " does not match its config.json: " + join(all, "; "));
}

}  // namespace fourbrain::models
