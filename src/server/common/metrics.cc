#include "server/common/metrics.h"

#include <cstdio>

namespace fourbrain::server {
namespace {

class MetricWriter {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(const std::string& name, const std::string& labels, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out_ += name + "{" + labels + "} " + buf + "\n";
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string model_labels(const api::ModelStatistics& m) {
  return "model=\"" + m.name + "\",version=\"" + m.version + "\"";
}

double us(uint64_t ns) { return static_cast<double>(ns / 1000); }

}  // namespace

std::string prometheus_metrics(const api::Server& server) {
  auto stats = server.statistics("", "");
  std::vector<api::ModelStatistics> models;
  if (stats.is_ok()) models = std::move(stats).value();
  MetricWriter w;
  w.family("nv_inference_request_success", "counter",
           "Number of successful inference requests, all batch sizes");
  for (const auto& m : models) {
    w.sample("nv_inference_request_success", model_labels(m), double(m.stats.success.count));
  }
  w.family("nv_inference_request_failure", "counter",
           "Number of failed inference requests, all batch sizes");
  static const char* kReasons[api::kFailureReasons] = {"REJECTED", "CANCELED", "BACKEND", "OTHER"};
  for (const auto& m : models) {
    for (int r = 0; r < api::kFailureReasons; ++r) {
      w.sample("nv_inference_request_failure", model_labels(m) + ",reason=\"" + kReasons[r] + "\"",
               double(m.stats.failures[r]));
    }
  }
  w.family("nv_inference_count", "counter", "Number of inferences performed (batch items)");
  for (const auto& m : models) {
    w.sample("nv_inference_count", model_labels(m), double(m.stats.inference_count));
  }
  w.family("nv_inference_exec_count", "counter", "Number of model executions performed");
  for (const auto& m : models) {
    w.sample("nv_inference_exec_count", model_labels(m), double(m.stats.execution_count));
  }
  w.family("nv_inference_pending_request_count", "gauge",
           "Instantaneous number of pending requests awaiting execution per-model.");
  for (const auto& m : models) {
    w.sample("nv_inference_pending_request_count", model_labels(m), double(m.pending));
  }
  struct Duration {
    const char* name;
    const char* help;
    const api::DurationStat api::ModelStatsSnapshot::*stat;
  };
  static const Duration kDurations[] = {
      {"nv_inference_request_duration_us", "Cumulative inference request duration in microseconds",
       &api::ModelStatsSnapshot::success},
      {"nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds",
       &api::ModelStatsSnapshot::queue},
      {"nv_inference_compute_input_duration_us",
       "Cumulative compute input duration in microseconds",
       &api::ModelStatsSnapshot::compute_input},
      {"nv_inference_compute_infer_duration_us",
       "Cumulative compute inference duration in microseconds",
       &api::ModelStatsSnapshot::compute_infer},
      {"nv_inference_compute_output_duration_us",
       "Cumulative inference compute output duration in microseconds",
       &api::ModelStatsSnapshot::compute_output},
  };
  for (const Duration& d : kDurations) {
    w.family(d.name, "counter", d.help);
    for (const auto& m : models) {
      w.sample(d.name, model_labels(m), us((m.stats.*d.stat).ns));
    }
  }
  w.family("nv_model_load_duration_secs", "gauge", "Model load time in seconds");
  for (const auto& m : models)
    w.sample("nv_model_load_duration_secs", model_labels(m), m.load_seconds);
  w.family("fourbrain_model_memory_bytes", "gauge", "Bytes of weights and tables a model holds");
  for (const auto& m : models) {
    w.sample("fourbrain_model_memory_bytes", model_labels(m), double(m.memory_bytes));
  }
  auto histogram = [&](const char* name, const char* help, auto member) {
    w.family(name, "histogram", help);
    for (const auto& m : models) {
      const api::Histogram& h = m.stats.*member;
      const std::string labels = model_labels(m);
      for (size_t i = 0; i < h.bounds.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", h.bounds[i]);
        w.sample(std::string(name) + "_bucket", labels + ",le=\"" + le + "\"", double(h.counts[i]));
      }
      w.sample(std::string(name) + "_bucket", labels + ",le=\"+Inf\"", double(h.counts.back()));
      w.sample(std::string(name) + "_sum", labels, h.sum);
      w.sample(std::string(name) + "_count", labels, double(h.counts.back()));
    }
  };
  histogram("fourbrain_batch_size", "Batch items per model execution",
            &api::ModelStatsSnapshot::batch_items);
  histogram("fourbrain_batch_tokens", "Tokens per model execution",
            &api::ModelStatsSnapshot::batch_tokens);
  return w.take();
}

}  // namespace fourbrain::server
