// `fourbrain serve`: the Triton-compatible server (KServe v2 HTTP/REST and metrics).
#include <omp.h>
#include <sys/resource.h>

#include <chrono>

#include "api/server.h"
#include "apps/commands.h"
#include "base/log.h"
#include "docling/sandbox.h"
#include "server/http/http_server.h"

namespace fourbrain::apps {
namespace {

struct ServeFlags {
  std::string model_repository = "models";
  std::string control_mode = "none";
  std::vector<std::string> load_models;
  int poll_seconds = 15;
  server::http::HttpOptions http;
  bool strict_readiness = false;
  int compute_threads = 0;
  int log_verbose = 0;
  api::DocumentServiceOptions documents;
  double page_timeout_s = 20, document_timeout_s = 600, result_ttl_s = 300, http_timeout_s = 30;
  bool docling_isolation = true;
};

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// Thousands of keep-alive connections need as many descriptors: lift the soft limit.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

Status run_serve(const ServeFlags& f) {
  set_log_level(f.log_verbose > 0 ? LogLevel::kVerbose : LogLevel::kInfo);
  if (f.compute_threads > 0) omp_set_num_threads(f.compute_threads);
  raise_open_file_limit();
  api::ServerOptions options;
  options.model_repository = f.model_repository;
  options.control_mode = f.control_mode == "explicit" ? api::ControlMode::kExplicit
                         : f.control_mode == "poll"   ? api::ControlMode::kPoll
                                                      : api::ControlMode::kNone;
  options.load_models = f.load_models;
  options.poll_seconds = f.poll_seconds;
  options.strict_readiness = f.strict_readiness;
  options.documents = f.documents;
  options.documents.page_time_limit = millis(f.page_timeout_s);
  options.documents.document_time_limit = millis(f.document_timeout_s);
  options.documents.result_ttl = millis(f.result_ttl_s);
  options.documents.http_time_limit = millis(f.http_timeout_s);
  if (f.docling_isolation) options.documents.converter_exe = docling::self_executable();
  if (!f.load_models.empty() && options.control_mode != api::ControlMode::kExplicit) {
    return invalid_argument("--load-model needs --model-control-mode explicit");
  }
  FB_ASSIGN_OR_RETURN(auto server, api::Server::create(options));
  FB_ASSIGN_OR_RETURN(auto http, server::http::HttpServer::start(*server, f.http));
  http->serve();  // until SIGINT/SIGTERM; every accepted request is answered first
  return Status::ok();
}

}  // namespace

// Document conversion (docling-serve routes and `backend: "docling"` models).
void add_docling_options(CLI::App& cmd, ServeFlags& f) {
  api::DocumentServiceOptions& d = f.documents;
  cmd.add_option("--docling-workers", d.workers, "document conversion threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--docling-queue-size", d.max_queue, "conversions waiting; beyond: 503")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--docling-max-file-size", d.max_file_bytes, "largest document in bytes (413)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--docling-max-pages", d.max_pages, "most pages per document")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--docling-page-timeout-secs", f.page_timeout_s, "time limit per page")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--docling-document-timeout-secs", f.document_timeout_s, "time limit per document")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--docling-result-ttl-secs", f.result_ttl_s,
                 "how long an async task's result is kept")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--docling-tokenizer", d.tokenizer_dir,
                 "tokenizer folder for hybrid chunking (e.g. the embedding model's checkpoint)");
  cmd.add_flag("!--docling-in-process", f.docling_isolation,
               "convert in the server process instead of one child process per document");
  cmd.add_option("--docling-converter-memory", d.converter_memory_bytes,
                 "memory limit of each conversion's child process, bytes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--docling-http-allow", d.http_allow,
                 "hosts that http sources may name (comma-separated, exact; default: http "
                 "sources off)")
      ->delimiter(',');
  cmd.add_option("--docling-http-timeout-secs", f.http_timeout_s,
                 "time limit of fetching one http source (connect, redirects, body)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

Command add_serve_command(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model repository over KServe v2 HTTP");
  cmd->add_option("--model-repository,--model-store", flags->model_repository,
                  "Triton-style model repository folder")
      ->capture_default_str();
  cmd->add_option("--model-control-mode", flags->control_mode, "none, explicit or poll")
      ->check(CLI::IsMember({"none", "explicit", "poll"}))
      ->capture_default_str();
  cmd->add_option("--load-model", flags->load_models,
                  "model to load at start in explicit mode (repeatable; * = all)");
  cmd->add_option("--repository-poll-secs", flags->poll_seconds, "poll interval in poll mode")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--host,--http-address", flags->http.host, "address to listen on")
      ->capture_default_str();
  cmd->add_option("--http-port", flags->http.http_port, "HTTP port (0: any free port)")
      ->capture_default_str();
  cmd->add_option("--metrics-port", flags->http.metrics_port, "Prometheus metrics port")
      ->capture_default_str();
  cmd->add_option("--allow-metrics", flags->http.allow_metrics, "serve metrics")
      ->capture_default_str();
  cmd->add_option("--http-thread-count", flags->http.threads, "HTTP I/O threads (0: one per core)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--http-max-input-size", flags->http.max_input_bytes,
                  "largest request body in bytes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--exit-timeout-secs", flags->http.exit_timeout_seconds,
                  "longest wait for in-flight requests at shutdown")
      ->capture_default_str();
  cmd->add_option("--strict-readiness", flags->strict_readiness,
                  "ready only while every model is ready")
      ->capture_default_str();
  cmd->add_option("--threads", flags->compute_threads, "compute threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--log-verbose", flags->log_verbose, "1: log every request")
      ->capture_default_str();
  add_docling_options(*cmd, *flags);
  return [flags] { return run_serve(*flags); };
}

}  // namespace fourbrain::apps
