// A byte trie over the pieces of a Unigram vocabulary, answering HF's common_prefix_search:
// every piece that is a prefix of the text at a position, shortest first. Nodes keep their
// edges sorted by byte in one flat array, so a step is a short search in a few bytes.
//
// Immutable after build(): lookups are thread-safe. build() never fails.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fourbrain::formats::tokenizer {

class PieceTrie {
 public:
  // Builds the trie of (key, value) pairs; when a key repeats, the last value wins.
  void build(std::vector<std::pair<std::string, int32_t>> keys);

  // Calls fn(length, value) for each key that is a prefix of `text`, shortest first.
  template <typename Fn>
  void for_each_prefix(std::string_view text, Fn fn) const {
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      node = child(node, static_cast<uint8_t>(text[i]));
      if (node == kNone) return;
      if (nodes_[node].value >= 0) fn(i + 1, nodes_[node].value);
    }
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    int32_t value = -1;
    uint32_t first_edge = 0;
    uint32_t n_edges = 0;
  };

  uint32_t child(uint32_t node, uint8_t label) const;

  std::vector<Node> nodes_;         // [0] is the root
  std::vector<uint8_t> labels_;     // edges of a node are contiguous and sorted
  std::vector<uint32_t> children_;  // node index per edge
};

}  // namespace fourbrain::formats::tokenizer
