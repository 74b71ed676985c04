// tokenizer_bench: single-thread encode throughput of fourbrain's tokenizer over a corpus
// (one text per line), the C++ half of tools/tokenizer/bench_tokenizer.py.
//
// Usage: tokenizer_bench TOKENIZER_DIR CORPUS.txt [--repeat N] [--no-special]
// Encodes every line with Tokenizer::encode, N passes (default 5), and prints one JSON
// line: lines, bytes, tokens per pass, and the best and first pass times.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "formats/tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TOKENIZER_DIR CORPUS.txt [--repeat N] [--no-special]\n",
                 argv[0]);
    return 2;
  }
  int repeat = 5;
  bool special = true;
  for (int i = 3; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (arg == "--no-special") {
      special = false;
    }
  }
  auto tokenizer = fourbrain::formats::Tokenizer::load(argv[1]);
  if (!tokenizer.is_ok()) {
    std::fprintf(stderr, "%s\n", tokenizer.status().to_string().c_str());
    return 1;
  }
  auto corpus = fourbrain::read_file(argv[2]);
  if (!corpus.is_ok()) {
    std::fprintf(stderr, "%s\n", corpus.status().to_string().c_str());
    return 1;
  }
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < corpus->size();) {
    size_t end = corpus->find('\n', pos);
    if (end == std::string::npos) end = corpus->size();
    lines.emplace_back(corpus->data() + pos, end - pos);
    pos = end + 1;
  }

  size_t tokens = 0;
  double best = 1e30, first = 0;
  for (int pass = 0; pass < repeat; ++pass) {
    tokens = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::string_view line : lines) {
      auto ids = (*tokenizer)->encode(line, special);
      if (!ids.is_ok()) {
        std::fprintf(stderr, "%s\n", ids.status().to_string().c_str());
        return 1;
      }
      tokens += ids->size();
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (pass == 0) first = s;
    if (s < best) best = s;
  }
  std::printf(
      "{\"lines\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"best_s\": %.6f, \"first_s\": %.6f}\n",
      lines.size(), corpus->size(), tokens, best, first);
  return 0;
}
