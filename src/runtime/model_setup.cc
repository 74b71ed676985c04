#include "runtime/model_setup.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "kernels/cpu/isa.h"
#include "kernels/cuda/cuda_backend.h"

namespace fourbrain::runtime {
namespace {

struct TensorSpec {
  const char* name;
  inference::DataType type;
  int64_t dim;  // the one dim after the batch dim; -1: variable
};

std::vector<TensorSpec> task_inputs(models::ModelTask task) {
  if (task == models::ModelTask::kEmbedding) return {{"text", inference::TYPE_STRING, 1}};
  return {{"query", inference::TYPE_STRING, 1}, {"document", inference::TYPE_STRING, 1}};
}

std::vector<TensorSpec> task_outputs(models::ModelTask task) {
  if (task == models::ModelTask::kEmbedding) return {{"embedding", inference::TYPE_FP32, -1}};
  return {{"score", inference::TYPE_FP32, 1}};
}

std::string type_name(inference::DataType t) { return inference::DataType_Name(t); }

// Checks configured tensors against the task's, or fills them in when none are given.
template <typename Tensors>
Status complete_tensors(const std::string& where, const std::vector<TensorSpec>& specs,
                        Tensors& tensors) {
  if (tensors.empty()) {
    for (const TensorSpec& spec : specs) {
      auto* t = tensors.Add();
      t->set_name(spec.name);
      t->set_data_type(spec.type);
      t->add_dims(spec.dim);
    }
    return Status::ok();
  }
  std::string expected;
  for (const TensorSpec& spec : specs) {
    expected += std::string(expected.empty() ? "" : ", ") + spec.name + " " + type_name(spec.type) +
                " [" + std::to_string(spec.dim) + "]";
  }
  if (tensors.size() != static_cast<int>(specs.size())) {
    return invalid_argument(where + ": this task has " + expected);
  }
  for (const auto& t : tensors) {
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const TensorSpec& s) { return t.name() == s.name; });
    if (spec == specs.end() || t.data_type() != spec->type || t.dims_size() != 1 ||
        (t.dims(0) != spec->dim && !(spec->dim == -1 && t.dims(0) > 0))) {
      return invalid_argument(where + " '" + t.name() + "' does not match the task: expected " +
                              expected);
    }
  }
  return Status::ok();
}

Result<int64_t> positive_int(const std::string& key, const std::string& value) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v <= 0) {
    return invalid_argument("parameter '" + key + "' must be a positive integer, got '" + value +
                            "'");
  }
  return v;
}

Result<bool> true_or_false(const std::string& key, const std::string& value) {
  if (value != "true" && value != "false") {
    return invalid_argument("parameter '" + key + "' must be true or false, got '" + value + "'");
  }
  return value == "true";
}

Status apply_parameters(const inference::ModelConfig& config, ModelSetup& setup) {
  static const std::set<std::string> kKnown = {
      "task",       "precision",           "max_batch_tokens",        "max_length",
      "checkpoint", "quantize_embeddings", "fp8_precise_accumulation"};
  for (const auto& [key, value] : config.parameters()) {
    if (!kKnown.count(key)) {
      return invalid_argument("unknown parameter '" + key +
                              "' (known: task, checkpoint, precision, max_batch_tokens, "
                              "max_length, quantize_embeddings, fp8_precise_accumulation)");
    }
  }
  auto param = [&](const std::string& key) -> const std::string* {
    auto it = config.parameters().find(key);
    return it == config.parameters().end() ? nullptr : &it->second.string_value();
  };
  const std::string* task = param("task");
  if (!task) return invalid_argument("parameters must name the task (embedding or reranking)");
  auto parsed = models::model_task_from_name(*task);
  if (!parsed) {
    return invalid_argument("unknown task '" + *task + "' (known: embedding, reranking)");
  }
  setup.task = *parsed;
  if (const std::string* v = param("checkpoint")) setup.checkpoint = *v;
  const std::string* precision = param("precision");
  const std::string p = precision ? *precision : "auto";
  if (p != "f32" && p != "bf16" && p != "auto" && p != "fp8" && p != "nvfp4") {
    return invalid_argument("parameter 'precision' must be f32, bf16, auto, fp8 or nvfp4, got '" +
                            p + "'");
  }
  setup.model_options.bf16 =
      p == "bf16" || p == "fp8" || p == "nvfp4" || (p == "auto" && kernels::cpu::has_fast_bf16());
  setup.model_options.fp8 = p == "fp8";
  setup.model_options.nvfp4 = p == "nvfp4";
  setup.model_options.keep_checkpoint_quantization = p == "auto";
  if (const std::string* v = param("quantize_embeddings")) {
    FB_ASSIGN_OR_RETURN(setup.model_options.quantize_embeddings,
                        true_or_false("quantize_embeddings", *v));
  }
  if (const std::string* v = param("fp8_precise_accumulation")) {
    FB_ASSIGN_OR_RETURN(setup.model_options.fp8_precise_accumulation,
                        true_or_false("fp8_precise_accumulation", *v));
  }
  if (const std::string* v = param("max_batch_tokens")) {
    FB_ASSIGN_OR_RETURN(setup.model_options.max_batch_tokens, positive_int("max_batch_tokens", *v));
  }
  if (const std::string* v = param("max_length")) {
    FB_ASSIGN_OR_RETURN(int64_t len, positive_int("max_length", *v));
    setup.model_options.max_length = static_cast<size_t>(len);
  }
  return Status::ok();
}

// KIND_CPU or KIND_GPU groups: their counts add up to the instances (threads) that run
// batches. GPU instances share one copy of the weights on one GPU, each with its own stream
// and workspace; a model spread over several GPUs is not supported yet (one model per GPU).
Status apply_instance_groups(const inference::ModelConfig& config, ModelSetup& setup) {
  using Group = inference::ModelInstanceGroup;
  int gpu = -1;
  bool any_cpu = false;
  for (const auto& group : config.instance_group()) {
    if (group.kind() == Group::KIND_MODEL) {
      return unsupported("instance_group kind KIND_MODEL is not supported");
    }
    if (group.kind() == Group::KIND_GPU) {
      if (group.gpus_size() > 1 || (gpu >= 0 && group.gpus_size() == 1 && group.gpus(0) != gpu)) {
        return unsupported("instance_group: a model runs on one GPU (give each GPU its own model)");
      }
      const int this_gpu = group.gpus_size() == 1 ? group.gpus(0) : 0;
      if (this_gpu < 0 || this_gpu >= kernels::cuda::device_count()) {
        return invalid_argument("instance_group names GPU " + std::to_string(this_gpu) + " but " +
                                std::to_string(kernels::cuda::device_count()) +
                                " CUDA device(s) are visible" +
                                (kernels::cuda::built_with_cuda() ? "" : " (built without CUDA)"));
      }
      gpu = this_gpu;
    } else {
      any_cpu = true;
    }
    setup.scheduling.instance_count += group.count();
  }
  if (gpu >= 0 && any_cpu) {
    return unsupported("instance_group: a model runs on the CPU or on a GPU, not both");
  }
  setup.model_options.cuda_device = gpu;
  if ((setup.model_options.fp8 || setup.model_options.nvfp4) && gpu < 0) {
    return invalid_argument(std::string("parameter 'precision' ") +
                            (setup.model_options.fp8 ? "fp8" : "nvfp4") +
                            " needs a KIND_GPU instance group");
  }
  if (gpu >= 0) {
    const auto it = config.parameters().find("precision");
    if (it != config.parameters().end() && it->second.string_value() == "f32") {
      return invalid_argument("parameter 'precision' f32: GPU instances run bf16 only");
    }
    setup.model_options.bf16 = true;
  }
  return Status::ok();
}

Status apply_scheduling(const inference::ModelConfig& config, ModelSetup& setup) {
  SchedulingPolicy& s = setup.scheduling;
  s.max_batch_size = config.max_batch_size();
  s.max_batch_tokens = setup.model_options.max_batch_tokens;
  s.instance_count = 0;
  FB_RETURN_IF_ERROR(apply_instance_groups(config, setup));
  s.instance_count = std::max(1, s.instance_count);
  if (!config.has_dynamic_batching()) return Status::ok();
  const auto& db = config.dynamic_batching();
  if (db.priority_levels() > 0 || !db.priority_queue_policy().empty()) {
    return unsupported("dynamic_batching priority levels are not supported");
  }
  s.dynamic_batching = true;
  for (int64_t size : db.preferred_batch_size()) {
    if (size < 1 || size > s.max_batch_size) {
      return invalid_argument("preferred_batch_size " + std::to_string(size) +
                              " must be between 1 and max_batch_size " +
                              std::to_string(s.max_batch_size));
    }
    s.preferred_batch_sizes.push_back(size);
  }
  s.max_queue_delay_us = db.max_queue_delay_microseconds();
  const auto& queue = db.default_queue_policy();
  s.max_queue_size = queue.max_queue_size();
  s.default_timeout_us = queue.default_timeout_microseconds();
  s.allow_timeout_override = queue.allow_timeout_override();
  s.delay_on_timeout = queue.timeout_action() == inference::ModelQueuePolicy::DELAY;
  return Status::ok();
}

}  // namespace

Result<ModelSetup> complete_model_config(const std::string& name, inference::ModelConfig& config) {
  auto in_model = [&](const Status& s) { return s.with_context("model '" + name + "'"); };
  if (!config.name().empty() && config.name() != name) {
    return in_model(
        invalid_argument("config name '" + config.name() + "' differs from the folder name"));
  }
  config.set_name(name);
  if (config.backend().empty() && config.platform().empty()) config.set_backend("fourbrain");
  if (config.backend() == "docling") return complete_document_config(name, config);
  if (config.backend() != "fourbrain") {
    const std::string what = config.backend().empty() ? "platform '" + config.platform() + "'"
                                                      : "backend '" + config.backend() + "'";
    return in_model(
        unsupported(what + " is not served here; use backend: \"fourbrain\" or \"docling\""));
  }
  if (config.max_batch_size() < 0) {
    return in_model(invalid_argument("max_batch_size must not be negative"));
  }
  if (config.max_batch_size() == 0) config.set_max_batch_size(kDefaultMaxBatchSize);
  ModelSetup setup;
  Status s = apply_parameters(config, setup);
  if (s.is_ok()) s = complete_tensors("input", task_inputs(setup.task), *config.mutable_input());
  if (s.is_ok()) s = complete_tensors("output", task_outputs(setup.task), *config.mutable_output());
  if (s.is_ok()) s = apply_scheduling(config, setup);
  if (!s.is_ok()) return in_model(s);
  if (config.instance_group().empty()) {
    auto* group = config.add_instance_group();
    group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
    group->set_count(1);
  }
  for (int i = 0; i < config.instance_group_size(); ++i) {
    auto* group = config.mutable_instance_group(i);
    if (group->name().empty()) group->set_name(name + "_" + std::to_string(i));
    if (group->kind() == inference::ModelInstanceGroup::KIND_AUTO) {
      group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
    }
    if (group->count() == 0) group->set_count(1);
  }
  if (!config.has_model_transaction_policy()) config.mutable_model_transaction_policy();
  return setup;
}

std::vector<int64_t> select_versions(const inference::ModelConfig& config,
                                     std::vector<int64_t> available) {
  std::sort(available.begin(), available.end());
  const auto& policy = config.version_policy();
  if (policy.has_all()) return available;
  if (policy.has_specific()) {
    std::vector<int64_t> chosen;
    for (int64_t v : policy.specific().versions()) {
      if (std::binary_search(available.begin(), available.end(), v)) chosen.push_back(v);
    }
    std::sort(chosen.begin(), chosen.end());
    return chosen;
  }
  const size_t n = policy.has_latest() ? std::max<uint32_t>(1, policy.latest().num_versions()) : 1;
  if (available.size() > n) available.erase(available.begin(), available.end() - n);
  return available;
}

}  // namespace fourbrain::runtime
