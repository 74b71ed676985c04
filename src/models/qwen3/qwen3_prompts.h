// The prompt formats of Qwen3-Embedding and Qwen3-Reranker, exactly as the model cards
// write them (../shared/reference/qwen3.md §3.1 and §4.1). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace fourbrain::models {

inline constexpr std::string_view kDefaultQwen3Task =
    "Given a web search query, retrieve relevant passages that answer the query";

// "Instruct: {task}\nQuery:{text}" (no space after "Query:"), as the embedding card does.
std::string format_embedding_query(std::string_view task, std::string_view text);

inline constexpr std::string_view kRerankPrefix =
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query "
    "and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n"
    "<|im_start|>user\n";
inline constexpr std::string_view kRerankSuffix =
    "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

// "<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {doc}"
std::string format_rerank_body(std::string_view instruction, std::string_view query,
                               std::string_view document);

}  // namespace fourbrain::models
