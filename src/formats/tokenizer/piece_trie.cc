#include "formats/tokenizer/piece_trie.h"

#include <algorithm>
#include <deque>

namespace fourbrain::formats::tokenizer {

void PieceTrie::build(std::vector<std::pair<std::string, int32_t>> keys) {
  // Sort by key; among equal keys the later one (higher original index) must win.
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return keys[a].first < keys[b].first; });
  std::vector<std::pair<std::string, int32_t>> sorted;
  sorted.reserve(keys.size());
  for (size_t i : order) {
    if (!sorted.empty() && sorted.back().first == keys[i].first) {
      sorted.back().second = keys[i].second;
    } else {
      sorted.push_back(std::move(keys[i]));
    }
  }

  nodes_.assign(1, Node());
  labels_.clear();
  children_.clear();
  struct Task {
    uint32_t node;
    size_t lo, hi, depth;  // the keys sorted[lo, hi) share their first `depth` bytes
  };
  std::deque<Task> queue = {{0, 0, sorted.size(), 0}};
  while (!queue.empty()) {
    const Task t = queue.front();
    queue.pop_front();
    size_t lo = t.lo;
    if (lo < t.hi && sorted[lo].first.size() == t.depth) {
      nodes_[t.node].value = sorted[lo].second;  // the key ending here sorts first
      ++lo;
    }
    nodes_[t.node].first_edge = static_cast<uint32_t>(labels_.size());
    while (lo < t.hi) {
      const auto label = static_cast<uint8_t>(sorted[lo].first[t.depth]);
      size_t hi = lo;
      while (hi < t.hi && static_cast<uint8_t>(sorted[hi].first[t.depth]) == label) ++hi;
      const auto child = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      labels_.push_back(label);
      children_.push_back(child);
      queue.push_back({child, lo, hi, t.depth + 1});
      lo = hi;
    }
    nodes_[t.node].n_edges = static_cast<uint32_t>(labels_.size()) - nodes_[t.node].first_edge;
  }
}

uint32_t PieceTrie::child(uint32_t node, uint8_t label) const {
  const Node& n = nodes_[node];
  const uint8_t* begin = labels_.data() + n.first_edge;
  const uint8_t* end = begin + n.n_edges;
  const uint8_t* it =
      n.n_edges <= 8 ? std::find(begin, end, label) : std::lower_bound(begin, end, label);
  if (it == end || *it != label) return kNone;
  return children_[n.first_edge + (it - begin)];
}

}  // namespace fourbrain::formats::tokenizer
