// WordCache: remembers the BPE ids of recently seen pieces ("Ġthe" -> [279]), since natural
// text repeats its words and BPE per word costs far more than a lookup.
//
// One cache per (thread, BpeModel), reached through WordCache::for_thread: lock-free, and
// no thread ever sees another's cache, so a cache is used by one thread only. Direct-mapped
// fixed slots (about 256 KiB): no allocation after the first use, collisions just
// overwrite. Only short pieces with few ids are stored; the rest are always computed.
// A thread keeps caches for up to four models; a fifth evicts the least recently used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace fourbrain::formats::tokenizer {

class WordCache {
 public:
  static constexpr size_t kMaxKeyBytes = 26;
  static constexpr size_t kMaxIds = 8;

  // The calling thread's cache for the model with this id (ids are never reused).
  static WordCache* for_thread(uint64_t model_id);

  static uint64_t hash(std::string_view word) {
    const char* p = word.data();
    size_t n = word.size();
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 31;
      p += 8;
      n -= 8;
    }
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x94D049BB133111EBull;
    return h ^ (h >> 29);
  }

  // Appends the cached ids of `word` and returns true, or returns false.
  bool lookup(std::string_view word, uint64_t h, std::vector<int32_t>* out) const {
    const Slot& slot = slots_[h & (kSlots - 1)];
    if (slot.tag != static_cast<uint32_t>(h >> 32) || slot.key_len != word.size() ||
        std::memcmp(slot.key, word.data(), word.size()) != 0) {
      return false;
    }
    out->insert(out->end(), slot.ids, slot.ids + slot.n_ids);
    return true;
  }

  void insert(std::string_view word, uint64_t h, const int32_t* ids, size_t n_ids) {
    if (word.empty() || word.size() > kMaxKeyBytes || n_ids > kMaxIds) return;
    Slot& slot = slots_[h & (kSlots - 1)];
    slot.tag = static_cast<uint32_t>(h >> 32);
    slot.key_len = static_cast<uint8_t>(word.size());
    slot.n_ids = static_cast<uint8_t>(n_ids);
    std::memcpy(slot.key, word.data(), word.size());
    std::memcpy(slot.ids, ids, n_ids * sizeof(int32_t));
  }

 private:
  static constexpr size_t kSlots = 4096;
  struct Slot {  // one 64-byte cache line
    uint32_t tag = 0;
    uint8_t key_len = 0;  // 0: empty (empty words are never stored)
    uint8_t n_ids = 0;
    char key[kMaxKeyBytes];
    int32_t ids[kMaxIds];
  };
  static_assert(sizeof(Slot) == 64);

  std::unique_ptr<Slot[]> slots_ = std::make_unique<Slot[]>(kSlots);
};

}  // namespace fourbrain::formats::tokenizer
