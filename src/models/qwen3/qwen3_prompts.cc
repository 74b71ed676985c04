#include "models/qwen3/qwen3_prompts.h"

namespace fourbrain::models {

std::string format_embedding_query(std::string_view task, std::string_view text) {
  std::string out = "Instruct: ";
  out += task;
  out += "\nQuery:";
  out += text;
  return out;
}

std::string format_rerank_body(std::string_view instruction, std::string_view query,
                               std::string_view document) {
  std::string out = "<Instruct>: ";
  out += instruction;
  out += "\n<Query>: ";
  out += query;
  out += "\n<Document>: ";
  out += document;
  return out;
}

}  // namespace fourbrain::models
