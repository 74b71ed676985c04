// Prometheus text exposition (format 0.0.4) of the server's metrics, with Triton's metric
// names and labels (triton.md §4.2) plus our own batch-size and token histograms
// (fourbrain_batch_size, fourbrain_batch_tokens). The CPU build has no GPU metrics.
#pragma once

#include <string>

#include "api/server.h"

namespace fourbrain::server {

std::string prometheus_metrics(const api::Server& server);

}  // namespace fourbrain::server
