// BpeModel: HF's BPE model over the byte-level alphabet. A piece (raw UTF-8 bytes of one
// pre-tokenizer piece) starts as one symbol per byte; the adjacent pair with the lowest
// merge rank is merged, the leftmost first on ties, until no pair has a merge. This is
// exactly the order of HF's heap of (rank, position), so results are identical.
//
// Short pieces use a linear scan (faster than a heap below a few dozen symbols); long ones a
// binary heap with lazy invalidation. Scratch buffers are per thread, and a per-thread
// WordCache (word_cache.h) answers repeated pieces, so encoding allocates nothing per piece
// beyond growing the output vector.
//
// Immutable after build(): all methods are thread-safe. build() fails (InvalidArgument) on
// a merge whose parts or result are not in the vocabulary, as HF does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer/word_cache.h"

namespace fourbrain::formats::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  // `vocab` maps byte-level token strings to ids; `merges` are in rank order (rank 0 first).
  // With `ignore_merges`, a piece that is itself in the vocabulary is taken whole (HF's
  // ignore_merges; false for Qwen).
  static Result<BpeModel> build(TokenMap vocab,
                                const std::vector<std::pair<std::string, std::string>>& merges,
                                bool ignore_merges);

  // The calling thread's cache for this model; pass it to encode_piece.
  WordCache* thread_cache() const { return WordCache::for_thread(instance_id_); }

  // Appends the ids of one piece. Bytes whose symbol is missing from the vocabulary are
  // dropped (HF's behaviour without an unk token).
  void encode_piece(std::string_view bytes, WordCache* cache, std::vector<int32_t>* out) const;

  // The same without the cache, with a choice of algorithm (for tests).
  void encode_piece_uncached(std::string_view bytes, bool use_heap,
                             std::vector<int32_t>* out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // "" for ids not in the vocabulary.
  std::string_view id_to_token(int32_t id) const;
  // One more than the largest id.
  size_t id_limit() const { return id_to_token_.size(); }
  size_t n_merges() const { return n_merges_; }

 private:
  struct MergeSlot {
    uint64_t key = kEmpty;  // (left id << 32) | right id
    uint32_t rank = 0;
    int32_t new_id = -1;
  };
  static constexpr uint64_t kEmpty = ~0ull;
  static constexpr uint32_t kNoMerge = ~0u;

  uint64_t slot_of(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }
  // Rank and result of merging (left, right), or rank kNoMerge.
  const MergeSlot* find_merge(int32_t left, int32_t right) const;
  uint32_t rank_of(int32_t left, int32_t right) const {
    const MergeSlot* m = find_merge(left, right);
    return m ? m->rank : kNoMerge;
  }
  void merge_by_scan(std::vector<int32_t>* out) const;
  void merge_by_heap(std::vector<int32_t>* out) const;

  TokenMap token_to_id_;
  std::vector<std::string> id_to_token_;
  int32_t byte_ids_[256];  // id of each byte's one-character token, or -1
  std::vector<MergeSlot> merge_table_;
  int shift_ = 64;
  size_t n_merges_ = 0;
  bool ignore_merges_ = false;
  uint64_t instance_id_ = 0;
};

}  // namespace fourbrain::formats::tokenizer
