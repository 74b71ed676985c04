// complete_model_config() for `backend: "docling"`: a PDF converter served as a KServe
// model. Its tensors are fixed (input "document" BYTES [1]: the PDF file; outputs "json"
// and "markdown" BYTES [1]) and filled in when left out, as for the fourbrain backend.
#include <algorithm>
#include <set>

#include "docling/converter.h"
#include "runtime/model_setup.h"

namespace fourbrain::runtime {
namespace {

constexpr int kDefaultDocumentBatch = 8;

template <typename Tensors>
Status fixed_tensors(const std::string& where, const std::vector<std::string>& names,
                     Tensors& tensors) {
  if (tensors.empty()) {
    for (const std::string& name : names) {
      auto* t = tensors.Add();
      t->set_name(name);
      t->set_data_type(inference::TYPE_STRING);
      t->add_dims(1);
    }
    return Status::ok();
  }
  std::set<std::string> seen;
  for (const auto& t : tensors) {
    const bool known = std::find(names.begin(), names.end(), t.name()) != names.end();
    if (!known || !seen.insert(t.name()).second || t.data_type() != inference::TYPE_STRING ||
        t.dims_size() != 1 || t.dims(0) != 1) {
      std::string expected;
      for (const std::string& n : names) expected += (expected.empty() ? "" : ", ") + n;
      return invalid_argument(where + " '" + t.name() + "' does not match the docling backend: " +
                              "expected TYPE_STRING [1] tensors named " + expected);
    }
  }
  if (where == "input" && seen.size() != names.size()) {
    return invalid_argument("the docling backend needs input 'document' TYPE_STRING [1]");
  }
  return Status::ok();
}

Status document_parameters(const inference::ModelConfig& config, ModelSetup& setup) {
  for (const auto& [key, value] : config.parameters()) {
    if (key == "ocr") {
      FB_RETURN_IF_ERROR(docling::parse_ocr_mode(value.string_value()).status());
      setup.ocr = value.string_value();
    } else if (key == "ocr_lang") {
      setup.ocr_lang = value.string_value();
    } else {
      return invalid_argument("unknown parameter '" + key + "' (docling knows: ocr, ocr_lang)");
    }
  }
  return Status::ok();
}

}  // namespace

Result<ModelSetup> complete_document_config(const std::string& name,
                                            inference::ModelConfig& config) {
  auto in_model = [&](const Status& s) { return s.with_context("model '" + name + "'"); };
  if (config.max_batch_size() < 0) {
    return in_model(invalid_argument("max_batch_size must not be negative"));
  }
  if (config.max_batch_size() == 0) config.set_max_batch_size(kDefaultDocumentBatch);
  ModelSetup setup;
  setup.document_converter = true;
  Status s = document_parameters(config, setup);
  if (s.is_ok()) s = fixed_tensors("input", {"document"}, *config.mutable_input());
  if (s.is_ok()) s = fixed_tensors("output", {"json", "markdown"}, *config.mutable_output());
  if (!s.is_ok()) return in_model(s);
  for (const auto& group : config.instance_group()) {
    if (group.kind() == inference::ModelInstanceGroup::KIND_GPU ||
        group.kind() == inference::ModelInstanceGroup::KIND_MODEL) {
      return in_model(unsupported("the docling backend runs on the CPU (KIND_CPU instances)"));
    }
  }
  // Conversions run on the server's document workers; the group is what Triton clients see.
  if (config.instance_group().empty()) {
    auto* group = config.add_instance_group();
    group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
    group->set_count(1);
  }
  for (int i = 0; i < config.instance_group_size(); ++i) {
    auto* group = config.mutable_instance_group(i);
    if (group->name().empty()) group->set_name(name + "_" + std::to_string(i));
    group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
    if (group->count() == 0) group->set_count(1);
  }
  if (!config.has_model_transaction_policy()) config.mutable_model_transaction_policy();
  setup.scheduling.max_batch_size = config.max_batch_size();
  return setup;
}

}  // namespace fourbrain::runtime
