// Structured logs: one JSON object per line on stderr, one line per event, e.g.
//   {"ts":"2026-11-26T10:21:56.123Z","level":"info","event":"model_ready","model":"m"}
// Fields are string pairs; callers add "request_id" where a request is concerned.
//
// Thread-safe: each line is written with one call, so lines never interleave. Events
// below the minimum level (set once at start) are dropped cheaply.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace fourbrain {

enum class LogLevel { kVerbose, kInfo, kWarning, kError };

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

using LogField = std::pair<std::string_view, std::string_view>;
void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

}  // namespace fourbrain
