// fourbrain: a Triton-compatible server, plus embeddings, reranking and tokenization
// from HuggingFace checkpoints on the command line.
#include <cstdio>
#include <vector>

#include "apps/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"fourbrain: a retrieval back end (embeddings, reranking) in one binary"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, fourbrain::apps::Command>> commands;
  auto add = [&](auto adder) {
    size_t before = app.get_subcommands({}).size();
    auto run = adder(app);
    commands.emplace_back(app.get_subcommands({})[before], run);
  };
  add(fourbrain::apps::add_serve_command);
  add(fourbrain::apps::add_embed_command);
  add(fourbrain::apps::add_rerank_command);
  add(fourbrain::apps::add_tokenize_command);
  add(fourbrain::apps::add_bench_command);
  add(fourbrain::apps::add_quantize_command);
  add(fourbrain::apps::add_verify_command);
  add(fourbrain::apps::add_compare_command);
  add(fourbrain::apps::add_convert_command);
  add(fourbrain::apps::add_chunk_command);
  add(fourbrain::apps::add_docling_worker_command);
  CLI11_PARSE(app, argc, argv);
  for (auto& [cmd, run] : commands) {
    if (!cmd->parsed()) continue;
    fourbrain::Status status = run();
    if (!status.is_ok()) {
      std::fprintf(stderr, "fourbrain %s: %s\n", cmd->get_name().c_str(),
                   status.to_string().c_str());
      return 1;
    }
  }
  return 0;
}
