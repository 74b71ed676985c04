// `fourbrain bench`: times ServedModel::run on given token ids, for the benchmark scripts
// (tools/bench/bench_qwen3_gpu.py). The workload file holds the sequences, so fourbrain and
// the peer it is compared with see the very same tokens; no tokenizer time is included.
//
// Workload JSON: {"workloads": [{"name": "64x512", "sequences": [[id, ...], ...]}, ...]}.
// Output JSON: {"device", "model_bytes", "workspace_bytes", "results": [{"name", "n_seqs",
// "n_tokens", "ms": [...], "ms_median", "ms_min"}]}. --outputs FILE also writes the outputs
// ({"<workload>": [[floats], ...]}) for a fidelity check against the reference.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "apps/commands.h"
#include "apps/served_batch.h"
#include "formats/json.h"
#include "formats/json_writer.h"

namespace fourbrain::apps {
namespace {

struct BenchFlags {
  ModelFlags model;
  std::string task = "embedding";
  std::string workload_file;
  int warmup = 2;
  int iters = 5;
  std::string outputs_file;  // where to write every output (for fidelity checks)
};

struct Workload {
  std::string name;
  std::vector<std::vector<int32_t>> sequences;
};

Result<std::vector<Workload>> read_workloads(const std::string& path) {
  FB_ASSIGN_OR_RETURN(formats::JsonValue root, formats::JsonValue::parse_file(path));
  auto list = root.find("workloads");
  if (!list || !list->is_array()) return invalid_argument(path + ": no \"workloads\" array");
  std::vector<Workload> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const formats::JsonValue w = list->at(i);
    Workload workload;
    FB_ASSIGN_OR_RETURN(workload.name, w.get_string("name"));
    auto seqs = w.find("sequences");
    if (!seqs || !seqs->is_array() || seqs->size() == 0) {
      return invalid_argument(path + ": workload '" + workload.name + "' has no sequences");
    }
    for (size_t s = 0; s < seqs->size(); ++s) {
      const formats::JsonValue seq = seqs->at(s);
      std::vector<int32_t> ids;
      for (size_t t = 0; t < seq.size(); ++t) {
        if (!seq.at(t).is_integer()) return invalid_argument(path + ": token ids must be integers");
        ids.push_back(static_cast<int32_t>(seq.at(t).as_int()));
      }
      if (ids.empty()) return invalid_argument(path + ": an empty sequence");
      workload.sequences.push_back(std::move(ids));
    }
    out.push_back(std::move(workload));
  }
  return out;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

Status run_bench(const BenchFlags& f) {
  auto task = models::model_task_from_name(f.task);
  if (!task) return invalid_argument("--task must be embedding or reranking");
  FB_ASSIGN_OR_RETURN(std::vector<Workload> workloads, read_workloads(f.workload_file));
  const auto load_start = std::chrono::steady_clock::now();
  FB_ASSIGN_OR_RETURN(auto model, load_for_cli(*task, f.model, 1 << 20));
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  FB_ASSIGN_OR_RETURN(const int64_t width, model->output_size(0));
  formats::JsonWriter w, outputs_json;
  outputs_json.begin_object();
  w.begin_object().key("device").value(model->device()).key("load_seconds").value(load_seconds);
  // Bytes on the model's device: everything it holds, and of that the activation arenas.
  w.key("model_bytes").value(static_cast<int64_t>(model->memory_bytes() - model->workspace_bytes()));
  w.key("workspace_bytes").value(static_cast<int64_t>(model->workspace_bytes()));
  w.key("results").begin_array();
  for (const Workload& workload : workloads) {
    std::vector<float> outputs(workload.sequences.size() * static_cast<size_t>(width));
    std::vector<models::SequenceJob> jobs;
    int64_t n_tokens = 0;
    for (size_t i = 0; i < workload.sequences.size(); ++i) {
      jobs.push_back({workload.sequences[i], 0, outputs.data() + i * width});
      n_tokens += static_cast<int64_t>(workload.sequences[i].size());
    }
    for (int i = 0; i < f.warmup; ++i) FB_RETURN_IF_ERROR(model->run(jobs));
    std::vector<double> ms;
    for (int i = 0; i < f.iters; ++i) {
      const auto start = std::chrono::steady_clock::now();
      FB_RETURN_IF_ERROR(model->run(jobs));  // returns with the results on the host
      ms.push_back(elapsed_ms(start));
    }
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    w.begin_object().key("name").value(workload.name);
    w.key("n_seqs").value(static_cast<int64_t>(jobs.size())).key("n_tokens").value(n_tokens);
    w.key("ms").begin_array();
    for (double v : ms) w.value(v);
    w.end_array().key("ms_median").value(sorted[sorted.size() / 2]);
    w.key("ms_min").value(sorted.front());
    w.end_object();
    if (f.outputs_file.empty()) continue;
    outputs_json.key(workload.name).begin_array();
    for (size_t i = 0; i < jobs.size(); ++i) {
      outputs_json.begin_array();
      for (int64_t d = 0; d < width; ++d) outputs_json.value(outputs[i * width + d]);
      outputs_json.end_array();
    }
    outputs_json.end_array();
  }
  if (!f.outputs_file.empty()) {
    outputs_json.end_object();
    std::ofstream out(f.outputs_file);
    out << outputs_json.str();
    if (!out) return internal_error("cannot write " + f.outputs_file);
  }
  // After the runs: instances made for them are counted too.
  w.end_array().key("model_bytes_after").value(static_cast<int64_t>(model->memory_bytes()));
  w.end_object();
  std::fwrite(w.str().data(), 1, w.str().size(), stdout);
  std::fputc('\n', stdout);
  return Status::ok();
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand("bench", "Time a model on token-id workloads (JSON)");
  add_model_flags(*cmd, flags->model);
  cmd->add_option("--task", flags->task, "embedding or reranking");
  cmd->add_option("--workload", flags->workload_file, "workload JSON")->required();
  cmd->add_option("--warmup", flags->warmup, "untimed runs first")->check(CLI::NonNegativeNumber);
  cmd->add_option("--iters", flags->iters, "timed runs")->check(CLI::PositiveNumber);
  cmd->add_option("--outputs", flags->outputs_file,
                  "write every workload's outputs (embeddings or scores) here as JSON");
  return [flags] { return run_bench(*flags); };
}

}  // namespace fourbrain::apps
