// Server::infer: checks a request against the model's config with Triton's error words,
// tokenizes it, queues it, and turns the model's floats into output tensors.
#include <cstring>

#include "api/bytes_tensor.h"
#include "api/server.h"
#include "base/log.h"
#include "formats/model_config/model_config.h"
#include "runtime/model_repository.h"

namespace fourbrain::api {

Result<int64_t> parse_model_version(const std::string& version);  // server.cc

namespace {

using runtime::Clock;

class RequestTicket final : public InferTicket {
 public:
  explicit RequestTicket(std::weak_ptr<runtime::InferenceRequest> request)
      : request_(std::move(request)) {}
  void cancel() override {
    if (auto r = request_.lock()) r->cancelled.store(true);
  }

 private:
  std::weak_ptr<runtime::InferenceRequest> request_;
};

class DoneTicket final : public InferTicket {
 public:
  void cancel() override {}
};

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// A request parameter of the expected type, or InvalidArgument naming it.
template <typename T>
Result<std::optional<T>> parameter(const Parameters& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end()) return std::optional<T>();
  if (const T* v = std::get_if<T>(&it->second)) return std::optional<T>(*v);
  return invalid_argument(std::string("parameter '") + key + "' must be a " +
                          (std::is_same_v<T, std::string> ? "string" : "integer"));
}

struct PreparedRequest {
  std::shared_ptr<runtime::ServingModel> serving;
  std::shared_ptr<runtime::InferenceRequest> request;
  std::string output_name;
};

// Checks one input's datatype and shape; returns its batch size.
Result<int64_t> check_input(const inference::ModelInput& spec, const InputTensor& in,
                            const inference::ModelConfig& config) {
  const std::string_view expected_type = formats::datatype_protocol_name(spec.data_type());
  if (in.datatype != expected_type) {
    return invalid_argument("inference input '" + in.name + "' data-type is '" + in.datatype +
                            "', but model '" + config.name() + "' expects '" +
                            std::string(expected_type) + "'");
  }
  std::vector<int64_t> expected{-1};
  expected.insert(expected.end(), spec.dims().begin(), spec.dims().end());
  bool ok = in.shape.size() == expected.size() && !in.shape.empty() && in.shape[0] >= 1;
  for (size_t i = 1; ok && i < expected.size(); ++i) {
    ok = expected[i] == -1 ? in.shape[i] >= 0 : in.shape[i] == expected[i];
  }
  if (!ok) {
    return invalid_argument(
        "unexpected shape for input '" + in.name + "' for model '" + config.name() +
        "'. Expected " + shape_string(expected) + ", got " + shape_string(in.shape) +
        ". NOTE: Setting a non-zero max_batch_size in the model config requires a batch "
        "dimension to be prepended to each input shape.");
  }
  if (in.shape[0] > config.max_batch_size()) {
    return invalid_argument(
        "inference request batch-size must be <= " + std::to_string(config.max_batch_size()) +
        " for '" + config.name() + "'");
  }
  return in.shape[0];
}

}  // namespace

namespace {

Result<PreparedRequest> prepare(const runtime::ModelRepository& repository,
                                const InferRequest& request) {
  FB_ASSIGN_OR_RETURN(int64_t version, parse_model_version(request.model_version));
  FB_ASSIGN_OR_RETURN(auto serving, repository.find(request.model_name, version));
  const inference::ModelConfig& config = serving->config;
  const models::ServedModel& model = *serving->model;

  // Inputs: each one known, none twice, none missing; one batch size for all.
  std::vector<std::vector<std::string_view>> elements(config.input_size());
  int64_t batch = -1;
  for (const InputTensor& in : request.inputs) {
    int slot = -1;
    for (int i = 0; i < config.input_size(); ++i) {
      if (config.input(i).name() == in.name) slot = i;
    }
    if (slot < 0) {
      return invalid_argument("unexpected inference input '" + in.name + "' for model '" +
                              config.name() + "'");
    }
    if (!elements[slot].empty()) return invalid_argument("input '" + in.name + "' given twice");
    FB_ASSIGN_OR_RETURN(int64_t n, check_input(config.input(slot), in, config));
    if (batch >= 0 && n != batch) {
      return invalid_argument("inputs of model '" + config.name() +
                              "' must all have the same batch size");
    }
    batch = n;
    auto split = split_bytes_elements(in.data, static_cast<size_t>(n));
    if (!split.is_ok()) return split.status().with_context("input '" + in.name + "'");
    elements[slot] = std::move(split).value();
  }
  for (int i = 0; i < config.input_size(); ++i) {
    if (elements[i].empty()) {
      return invalid_argument("expected " + std::to_string(config.input_size()) +
                              " inputs but got " + std::to_string(request.inputs.size()) +
                              " inputs for model '" + config.name() + "'; missing input '" +
                              config.input(i).name() + "'");
    }
  }
  const std::string& output_name = config.output(0).name();
  for (const std::string& name : request.requested_outputs) {
    if (name != output_name) {
      return invalid_argument("unexpected inference output '" + name + "' for model '" +
                              config.name() + "'");
    }
  }

  // Parameters with meaning here; others are the client's own and are ignored.
  FB_ASSIGN_OR_RETURN(auto instruction, parameter<std::string>(request.parameters, "instruction"));
  FB_ASSIGN_OR_RETURN(auto dimensions, parameter<int64_t>(request.parameters, "dimensions"));
  FB_ASSIGN_OR_RETURN(auto timeout, parameter<int64_t>(request.parameters, "timeout"));
  FB_ASSIGN_OR_RETURN(auto max_length, parameter<int64_t>(request.parameters, "max_length"));
  if (timeout && *timeout < 0) return invalid_argument("parameter 'timeout' must be >= 0");
  if (max_length && *max_length < 1) return invalid_argument("parameter 'max_length' must be >= 1");

  auto req = std::make_shared<runtime::InferenceRequest>();
  req->id = request.id;
  req->dimensions = dimensions.value_or(0);
  FB_ASSIGN_OR_RETURN(req->output_size, model.output_size(req->dimensions));
  req->timeout_us = static_cast<uint64_t>(timeout.value_or(0));
  const auto t0 = Clock::now();
  req->sequences.reserve(static_cast<size_t>(batch));
  for (int64_t k = 0; k < batch; ++k) {
    models::TaskItem item;
    item.text = elements[0][k];
    if (elements.size() > 1) item.document = elements[1][k];
    if (instruction) item.instruction = *instruction;
    item.max_length = static_cast<size_t>(max_length.value_or(0));
    auto ids = model.tokenize(item);
    if (!ids.is_ok()) return ids.status().with_context("batch item " + std::to_string(k));
    req->sequences.push_back(std::move(ids).value());
  }
  req->tokenize_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  return PreparedRequest{std::move(serving), std::move(req), output_name};
}

Status with_request_id(const Status& s, const std::string& id) {
  return Status(s.code(), "[request id: " + (id.empty() ? std::string("<id_unknown>") : id) + "] " +
                              s.message());
}

}  // namespace

std::shared_ptr<InferTicket> Server::infer(InferRequest request, InferCallback done) {
  const Clock::time_point arrival = Clock::now();
  {
    std::lock_guard lock(idle_mu_);
    if (shutting_down_.load()) {
      done(unavailable("Server is shutting down"));
      return std::make_shared<DoneTicket>();
    }
    ++in_flight_;
  }
  accepted_.fetch_add(1);
  auto finish = [this, done = std::move(done)](Result<InferResponse> response) {
    done(std::move(response));
    request_finished();
  };
  if (auto document_model = find_document_model(request)) {
    infer_document(std::move(document_model), request, std::move(finish));
    return std::make_shared<DoneTicket>();
  }
  auto prepared = prepare(*repository_, request);
  if (!prepared.is_ok()) {
    const Status error = with_request_id(prepared.status(), request.id);
    log_event(
        LogLevel::kVerbose, "infer_refused",
        {{"request_id", request.id}, {"model", request.model_name}, {"error", error.message()}});
    finish(error);
    return std::make_shared<DoneTicket>();
  }
  PreparedRequest p = std::move(prepared).value();
  p.request->arrival = arrival;
  p.request->on_done = [finish, name = request.model_name, version = p.serving->version,
                        id = request.id, output = p.output_name](runtime::InferenceResult&& r) {
    if (!r.status.is_ok()) {
      // A client that hung up is routine (load generators close mid-flight): verbose only.
      const bool gone = r.status.code() == StatusCode::kCancelled;
      log_event(gone ? LogLevel::kVerbose : LogLevel::kWarning, "infer_failed",
                {{"request_id", id}, {"model", name}, {"error", r.status.message()}});
      finish(with_request_id(r.status, id));
      return;
    }
    InferResponse response;
    response.model_name = name;
    response.model_version = std::to_string(version);
    response.id = id;
    OutputTensor& out = response.outputs.emplace_back();
    out.name = output;
    out.datatype = "FP32";
    out.shape = {r.n_items, r.output_size};
    out.data.resize(r.values.size() * sizeof(float));
    std::memcpy(out.data.data(), r.values.data(), out.data.size());
    finish(std::move(response));
  };
  auto ticket = std::make_shared<RequestTicket>(p.request);
  Status queued = p.serving->batcher->enqueue(p.request);
  if (!queued.is_ok()) {
    log_event(
        LogLevel::kWarning, "infer_rejected",
        {{"request_id", request.id}, {"model", request.model_name}, {"error", queued.message()}});
    finish(with_request_id(queued, request.id));
  }
  return ticket;
}

}  // namespace fourbrain::api
