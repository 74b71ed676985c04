// The values every frontend exchanges with api::Server: inference requests and responses
// in the protocol's own terms (KServe v2 tensors: a datatype string, a shape, raw
// little-endian bytes), model metadata, repository entries and statistics.
//
// Plain values. Tensor bytes of a request are borrowed (`data` views into the frontend's
// receive buffer, so no input is copied); Server::infer reads them before it returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "runtime/model_stats.h"

namespace fourbrain::api {

// A request or response parameter (KServe: string, number or bool).
using Parameter = std::variant<bool, int64_t, double, std::string>;
using Parameters = std::map<std::string, Parameter>;

struct InputTensor {
  std::string name;
  std::string datatype;  // "BYTES", "FP32", ...
  std::vector<int64_t> shape;
  std::string_view data;  // raw bytes; BYTES: each element a uint32 LE length + bytes
};

struct OutputTensor {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;
  std::string data;  // raw little-endian bytes
};

struct InferRequest {
  std::string model_name;
  std::string model_version;  // "" or a positive integer
  std::string id;
  Parameters parameters;
  std::vector<InputTensor> inputs;
  std::vector<std::string> requested_outputs;  // empty: every output
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<OutputTensor> outputs;
};

// Called exactly once per request, from any thread.
using InferCallback = std::function<void(Result<InferResponse>)>;

// Lets a frontend say that the client of a request has gone; the request is then dropped
// before compute if it has not started.
class InferTicket {
 public:
  virtual ~InferTicket() = default;
  virtual void cancel() = 0;
};

struct ServerMetadata {
  std::string name;
  std::string version;
  std::vector<std::string> extensions;
};

struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;  // -1 first when the model batches
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorMetadata> inputs, outputs;
};

struct RepositoryEntry {
  std::string name;
  std::string version;  // may be empty
  std::string state;    // READY, UNAVAILABLE, LOADING, UNLOADING, UNKNOWN
  std::string reason;
};

using ModelStatsSnapshot = runtime::ModelStatsSnapshot;
using DurationStat = runtime::DurationStat;
using BatchStat = runtime::BatchStat;
using Histogram = runtime::Histogram;
using FailureReason = runtime::FailureReason;
inline constexpr int kFailureReasons = runtime::kFailureReasons;

struct ModelStatistics {
  std::string name;
  std::string version;
  ModelStatsSnapshot stats;
  uint64_t pending = 0;       // queued, not yet executing
  double load_seconds = 0;    // how long the load took
  uint64_t memory_bytes = 0;  // what the model holds
};

}  // namespace fourbrain::api
