// `fourbrain compare`: how close a quantized (or otherwise changed) model stays to its
// reference on given texts (the measures: apps/fidelity.h).
#include <cstdio>
#include <memory>

#include "apps/commands.h"
#include "apps/fidelity.h"
#include "formats/json_writer.h"

namespace fourbrain::apps {
namespace {

struct CompareFlags {
  ModelFlags reference;  // --reference via model_dir
  std::string candidate_dir, texts_file, task = "embedding";
};

Status run_compare(const CompareFlags& f) {
  FidelityRequest request;
  request.reference = f.reference;
  request.candidate_dir = f.candidate_dir;
  request.rerank = f.task == "reranking";
  FB_ASSIGN_OR_RETURN(request.texts, read_texts(f.texts_file));
  formats::JsonWriter w;
  w.begin_object().key("reference").value(f.reference.model_dir);
  w.key("candidate").value(f.candidate_dir);
  FB_RETURN_IF_ERROR(write_fidelity(request, w));
  w.end_object();
  std::printf("%s\n", w.str().c_str());
  return Status::ok();
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Fidelity of a candidate model (e.g. quantized) against its reference");
  cmd->add_option("--reference", flags->reference.model_dir, "reference checkpoint")->required();
  cmd->add_option("--candidate", flags->candidate_dir, "candidate checkpoint")->required();
  cmd->add_option("--texts", flags->texts_file, "one text per line")->required();
  cmd->add_option("--task", flags->task, "embedding or reranking")
      ->check(CLI::IsMember({"embedding", "reranking"}));
  cmd->add_option("--precision", flags->reference.precision, "f32, bf16 or auto (both models)")
      ->check(CLI::IsMember({"f32", "bf16", "auto"}));
  cmd->add_option("--device", flags->reference.device, "cpu or cuda:N (both models)");
  return [flags] { return run_compare(*flags); };
}

}  // namespace fourbrain::apps
