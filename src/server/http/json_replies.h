// JSON bodies of the non-inference routes, in Triton's shapes (triton.md §1.2-1.9).
#pragma once

#include <string>
#include <vector>

#include "api/types.h"

namespace fourbrain::server::http {

std::string server_metadata_json(const api::ServerMetadata& meta);
std::string model_metadata_json(const api::ModelMetadata& meta);
std::string repository_index_json(const std::vector<api::RepositoryEntry>& entries);
std::string statistics_json(const std::vector<api::ModelStatistics>& models);
std::string error_json(const std::string& message);

}  // namespace fourbrain::server::http
