// `fourbrain quantize` and `fourbrain verify`: a checkpoint to FP8 or NVFP4 in ModelOpt's
// format with a manifest, and a check of a quantized folder against its manifest
// (quant/checkpoint_quantizer.h). With --calibration, the quantized model and the source
// both run on those texts (CPU, f32 activations) and the fidelity (apps/fidelity.h) goes
// into the manifest; for NVFP4 the source first runs them to derive static input scales
// (apps/calibration.h).
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

#include "apps/calibration.h"
#include "apps/commands.h"
#include "apps/fidelity.h"
#include "formats/json_writer.h"
#include "quant/checkpoint_quantizer.h"

namespace fourbrain::apps {
namespace {

struct QuantizeFlags {
  std::string model_dir, out_dir, precision;
  std::string exclude;       // comma-separated module patterns
  std::string calibration;   // texts for the compile-time fidelity report
  std::string task = "embedding";
  int threads = 0;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Status run_quantize(const QuantizeFlags& f) {
  quant::QuantizeOptions options;
  options.precision = f.precision == "fp8" ? quant::QuantPrecision::kFp8
                                           : quant::QuantPrecision::kNvfp4;
  options.exclude = split_commas(f.exclude);
  if (!f.calibration.empty()) {
    FidelityRequest request;
    request.reference.model_dir = f.model_dir;
    request.reference.precision = "f32";
    request.reference.threads = f.threads;
    request.rerank = f.task == "reranking";
    FB_ASSIGN_OR_RETURN(request.texts, read_texts(f.calibration));
    if (request.texts.size() < (request.rerank ? 3u : 2u)) {
      return invalid_argument("--calibration " + f.calibration + ": too few texts");
    }
    if (options.precision == quant::QuantPrecision::kNvfp4) {  // static input scales
      FB_ASSIGN_OR_RETURN(options.input_amax, measure_input_amax(request));
      options.calibration_texts = static_cast<int>(request.texts.size());
    }
    options.measure_fidelity = [request](const std::string& out_dir) mutable -> Result<std::string> {
      request.candidate_dir = out_dir;
      formats::JsonWriter w;
      w.begin_object().key("task").value(request.rerank ? "reranking" : "embedding");
      w.key("activations").value("f32, CPU");
      FB_RETURN_IF_ERROR(write_fidelity(request, w));
      w.end_object();
      return w.str();
    };
  }
  const auto start = std::chrono::steady_clock::now();
  FB_ASSIGN_OR_RETURN(quant::QuantizeReport r,
                      quant::quantize_checkpoint(f.model_dir, f.out_dir, options));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  formats::JsonWriter w;
  w.begin_object().key("out").value(f.out_dir).key("precision").value(f.precision);
  w.key("quantized_modules").value(r.n_quantized).key("input_scales").value(r.input_scales);
  w.key("kept_modules").begin_array();
  for (const std::string& k : r.kept) w.value(k);
  w.end_array().key("weight_error").begin_object();
  w.key("mean_relative").value(r.mean_relative_error);
  w.key("max_relative").value(r.max_relative_error);
  w.key("worst_module").value(r.worst_module).end_object();
  if (!r.fidelity.empty()) w.key("fidelity").raw_value(r.fidelity);
  w.key("seconds").value(seconds).end_object();
  std::printf("%s\n", w.str().c_str());
  return Status::ok();
}

}  // namespace

Command add_quantize_command(CLI::App& app) {
  auto flags = std::make_shared<QuantizeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Quantize a checkpoint to FP8 or NVFP4 (ModelOpt format, with a manifest)");
  cmd->add_option("--model", flags->model_dir, "HuggingFace checkpoint directory")->required();
  cmd->add_option("--out", flags->out_dir, "output directory")->required();
  cmd->add_option("--precision", flags->precision, "fp8 or nvfp4")
      ->required()
      ->check(CLI::IsMember({"fp8", "nvfp4"}));
  cmd->add_option("--calibration", flags->calibration,
                  "texts (one a line) both models run on at compile time: the fidelity report "
                  "goes into the manifest; NVFP4 also gets static input scales from them");
  cmd->add_option("--task", flags->task, "embedding or reranking (for --calibration)")
      ->check(CLI::IsMember({"embedding", "reranking"}));
  cmd->add_option("--threads", flags->threads, "CPU threads for --calibration (default: all)");
  cmd->add_option("--exclude", flags->exclude,
                  "more modules to keep as they are, comma-separated fnmatch patterns "
                  "(embeddings, lm_head, pooler and classifier heads always are)");
  return [flags] { return run_quantize(*flags); };
}

Command add_verify_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("verify", "Check a quantized folder against its manifest");
  cmd->add_option("dir", *dir, "the quantized checkpoint folder")->required();
  return [dir]() -> Status {
    std::vector<std::string> problems;
    Status st = quant::verify_checkpoint(*dir, problems);
    for (const std::string& p : problems) std::fprintf(stderr, "%s\n", p.c_str());
    if (st.is_ok()) std::printf("%s: every file matches the manifest\n", dir->c_str());
    return st;
  };
}

}  // namespace fourbrain::apps
