#include "apps/served_batch.h"

namespace fourbrain::apps {

Result<std::unique_ptr<models::ServedModel>> load_for_cli(models::ModelTask task,
                                                          const ModelFlags& flags,
                                                          size_t max_length) {
  FB_ASSIGN_OR_RETURN(int bf16, apply_model_flags(flags));
  models::ServedModelOptions options;
  options.bf16 = bf16 != 0;
  options.fp8 = bf16 == 2;
  options.nvfp4 = bf16 == 3;
  options.quantize_embeddings = flags.quantize_embeddings;
  options.fp8_precise_accumulation = flags.fp8_precise_accumulation;
  options.keep_checkpoint_quantization = flags.precision == "auto";
  FB_ASSIGN_OR_RETURN(options.cuda_device, parse_device(flags.device));
  options.max_batch_tokens = flags.max_batch_tokens;
  options.max_length = max_length;
  return models::load_served_model(task, flags.model_dir, options);
}

Result<ServedOutputs> run_items(const models::ServedModel& model,
                                const std::vector<models::TaskItem>& items, int64_t dimensions) {
  FB_ASSIGN_OR_RETURN(const int64_t width, model.output_size(dimensions));
  std::vector<std::vector<int32_t>> ids(items.size());
  ServedOutputs out;
  for (size_t i = 0; i < items.size(); ++i) {
    auto tokens = model.tokenize(items[i]);
    if (!tokens.is_ok()) return tokens.status().with_context("item " + std::to_string(i));
    ids[i] = std::move(tokens).value();
    out.n_tokens += static_cast<int64_t>(ids[i].size());
  }
  out.rows.assign(items.size(), std::vector<float>(static_cast<size_t>(width)));
  std::vector<models::SequenceJob> jobs(items.size());
  for (size_t i = 0; i < items.size(); ++i) jobs[i] = {ids[i], dimensions, out.rows[i].data()};
  FB_RETURN_IF_ERROR(model.run(jobs));
  return out;
}

}  // namespace fourbrain::apps
