#include "formats/tokenizer/bpe.h"

#include <algorithm>
#include <atomic>
#include <bit>

#include "formats/tokenizer/byte_level.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

// Below this many symbols a linear scan for the best pair beats a heap.
constexpr size_t kScanLimit = 48;

struct Symbol {
  int32_t id;  // -1 once merged into its left neighbour
  int32_t prev;
  int32_t next;
  uint32_t rank;  // rank of the pair (this, next); kNoMerge if none
};

struct HeapEntry {
  uint32_t rank;
  int32_t pos;
  // std::push_heap builds a max-heap: invert so the lowest (rank, pos) comes out first.
  bool operator<(const HeapEntry& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

struct Scratch {
  std::vector<Symbol> symbols;
  std::vector<HeapEntry> heap;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

std::atomic<uint64_t> next_instance_id{1};

}  // namespace

Result<BpeModel> BpeModel::build(TokenMap vocab,
                                 const std::vector<std::pair<std::string, std::string>>& merges,
                                 bool ignore_merges) {
  BpeModel m;
  m.ignore_merges_ = ignore_merges;
  m.instance_id_ = next_instance_id.fetch_add(1);
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab) {
    if (id < 0) return invalid_argument("vocabulary id " + std::to_string(id) + " is negative");
    max_id = std::max(max_id, id);
  }
  m.id_to_token_.resize(static_cast<size_t>(max_id + 1));
  for (const auto& [token, id] : vocab) m.id_to_token_[id] = token;
  m.token_to_id_ = std::move(vocab);

  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    append_utf8(byte_to_unicode(static_cast<uint8_t>(b)), &symbol);
    auto it = m.token_to_id_.find(symbol);
    m.byte_ids_[b] = it == m.token_to_id_.end() ? -1 : it->second;
  }

  // Open addressing at load factor <= 0.5.
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, merges.size() * 2));
  m.shift_ = 64 - std::countr_zero(capacity);
  m.merge_table_.assign(capacity, MergeSlot{});
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    auto l = m.token_to_id_.find(left);
    auto r = m.token_to_id_.find(right);
    auto merged = m.token_to_id_.find(left + right);
    if (l == m.token_to_id_.end() || r == m.token_to_id_.end() || merged == m.token_to_id_.end()) {
      return invalid_argument("merge " + std::to_string(rank) + " (\"" + left + "\" \"" + right +
                              "\") uses a token that is not in the vocabulary");
    }
    const uint64_t key = (static_cast<uint64_t>(l->second) << 32) | uint32_t(r->second);
    uint64_t slot = m.slot_of(key);
    while (m.merge_table_[slot].key != kEmpty && m.merge_table_[slot].key != key) {
      slot = (slot + 1) & (capacity - 1);
    }
    // A repeated pair takes its last rank, as in HF's map (built in order, later wins).
    m.merge_table_[slot] = MergeSlot{key, static_cast<uint32_t>(rank), merged->second};
  }
  m.n_merges_ = merges.size();
  return m;
}

const BpeModel::MergeSlot* BpeModel::find_merge(int32_t left, int32_t right) const {
  const uint64_t key = (static_cast<uint64_t>(left) << 32) | uint32_t(right);
  const size_t mask = merge_table_.size() - 1;
  for (uint64_t slot = slot_of(key);; slot = (slot + 1) & mask) {
    const MergeSlot& s = merge_table_[slot];
    if (s.key == key) return &s;
    if (s.key == kEmpty) return nullptr;
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = token_to_id_.find(token);
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

std::string_view BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) return {};
  return id_to_token_[id];
}

void BpeModel::encode_piece(std::string_view bytes, WordCache* cache,
                            std::vector<int32_t>* out) const {
  if (bytes.size() == 1 && !ignore_merges_) {
    const int32_t id = byte_ids_[static_cast<uint8_t>(bytes[0])];
    if (id >= 0) out->push_back(id);
    return;
  }
  const uint64_t h = WordCache::hash(bytes);
  if (cache != nullptr && cache->lookup(bytes, h, out)) return;
  const size_t start = out->size();
  encode_piece_uncached(bytes, bytes.size() > kScanLimit, out);
  if (cache != nullptr) cache->insert(bytes, h, out->data() + start, out->size() - start);
}

void BpeModel::encode_piece_uncached(std::string_view bytes, bool use_heap,
                                     std::vector<int32_t>* out) const {
  if (ignore_merges_) {
    auto it = token_to_id_.find(byte_level_encode(bytes));
    if (it != token_to_id_.end()) {
      out->push_back(it->second);
      return;
    }
  }
  std::vector<Symbol>& symbols = scratch().symbols;
  symbols.clear();
  for (char c : bytes) {
    const int32_t id = byte_ids_[static_cast<uint8_t>(c)];
    if (id < 0) continue;  // no symbol for this byte: HF drops it
    const auto i = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id, i - 1, i + 1, kNoMerge});
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    symbols[i].rank = rank_of(symbols[i].id, symbols[i + 1].id);
  }
  if (use_heap) {
    merge_by_heap(out);
  } else {
    merge_by_scan(out);
  }
}

void BpeModel::merge_by_scan(std::vector<int32_t>* out) const {
  std::vector<Symbol>& sym = scratch().symbols;
  for (;;) {
    uint32_t best_rank = kNoMerge;
    int32_t best = -1;
    for (int32_t i = 0; i != -1; i = sym[i].next) {
      if (sym[i].rank < best_rank) {  // strict: the leftmost wins ties
        best_rank = sym[i].rank;
        best = i;
      }
    }
    if (best < 0) break;
    Symbol& left = sym[best];
    const int32_t right = left.next;
    left.id = find_merge(left.id, sym[right].id)->new_id;
    left.next = sym[right].next;
    sym[right].id = -1;
    if (left.next >= 0) sym[left.next].prev = best;
    left.rank = left.next >= 0 ? rank_of(left.id, sym[left.next].id) : kNoMerge;
    if (left.prev >= 0) sym[left.prev].rank = rank_of(sym[left.prev].id, left.id);
  }
  for (int32_t i = 0; i != -1; i = sym[i].next) out->push_back(sym[i].id);
}

void BpeModel::merge_by_heap(std::vector<int32_t>* out) const {
  std::vector<Symbol>& sym = scratch().symbols;
  std::vector<HeapEntry>& heap = scratch().heap;
  heap.clear();
  for (size_t i = 0; i < sym.size(); ++i) {
    if (sym[i].rank != kNoMerge) heap.push_back({sym[i].rank, static_cast<int32_t>(i)});
  }
  std::make_heap(heap.begin(), heap.end());
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const HeapEntry top = heap.back();
    heap.pop_back();
    Symbol& left = sym[top.pos];
    // Stale entry: the symbol was merged away, or its pair changed since it was pushed.
    // A rank names one pair, so an equal rank means the pair is still the same.
    if (left.id < 0 || left.rank != top.rank) continue;
    const int32_t right = left.next;
    left.id = find_merge(left.id, sym[right].id)->new_id;
    left.next = sym[right].next;
    sym[right].id = -1;
    if (left.next >= 0) sym[left.next].prev = top.pos;
    left.rank = left.next >= 0 ? rank_of(left.id, sym[left.next].id) : kNoMerge;
    if (left.rank != kNoMerge) {
      heap.push_back({left.rank, top.pos});
      std::push_heap(heap.begin(), heap.end());
    }
    if (left.prev >= 0) {
      Symbol& prev = sym[left.prev];
      prev.rank = rank_of(prev.id, left.id);
      if (prev.rank != kNoMerge) {
        heap.push_back({prev.rank, left.prev});
        std::push_heap(heap.begin(), heap.end());
      }
    }
  }
  for (int32_t i = 0; i != -1; i = sym[i].next) out->push_back(sym[i].id);
}

}  // namespace fourbrain::formats::tokenizer
