// Triton model configuration (inference.ModelConfig, our model_config.proto): the text form
// users write in config.pbtxt, the JSON form of Triton's `config` load override, and the JSON
// that GET /v2/models/{m}/config returns, written byte-for-byte the way Triton builds it.
//
// Ownership and threads: free functions over values; the returned messages belong to the
// caller, and nothing is shared, so every function is safe to call from any thread.
// Failures: a config that does not parse (syntax, unknown field, wrong type, bad enum value)
// is InvalidArgument, never an abort; text errors name "<source>:<line>:<column>". Only the
// syntax and types are checked here: what a valid config means (dims against max_batch_size,
// known backends, ...) is the runtime's business.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "formats/model_config/model_config.pb.h"

namespace fourbrain::formats {

// Parses protobuf text format (config.pbtxt). Every error the parser reports is in the
// message as "<source_name>:<line>:<column>: <what>" (1-based; protobuf counts a tab as up to
// the next multiple of 8 columns), joined with "; ". Warnings are not errors.
Result<inference::ModelConfig> parse_model_config(std::string_view text,
                                                  std::string_view source_name);

// Parses the JSON form (the `config` parameter of Triton's load API): proto field names or
// their lowerCamelCase JSON names, 64-bit integers as numbers or strings, enums by name.
// Unknown fields are refused.
Result<inference::ModelConfig> model_config_from_json(std::string_view json);

// The JSON Triton returns for a model's config: proto field names, every primitive field
// present even at its default, enums by name, unset messages absent, and every int64/uint64
// value a JSON number (protobuf's own JSON writes them as strings). Map keys stay strings.
std::string model_config_to_json(const inference::ModelConfig& config);

// The protocol's name of a data type: "FP32", "INT64", "BYTES" for TYPE_STRING, "INVALID"
// for TYPE_INVALID (and for values outside the enum).
std::string_view datatype_protocol_name(inference::DataType type);
// The inverse; nullopt for an unknown name. "INVALID" is not a name a request may use.
std::optional<inference::DataType> datatype_from_protocol_name(std::string_view name);
// Bytes per element; 0 for TYPE_STRING (variable size) and TYPE_INVALID.
size_t datatype_byte_size(inference::DataType type);

}  // namespace fourbrain::formats
