#include "formats/tokenizer/word_cache.h"

#include <array>

namespace fourbrain::formats::tokenizer {
namespace {

struct ThreadCaches {
  struct Entry {
    uint64_t model_id = 0;  // 0: unused
    uint64_t last_use = 0;
    std::unique_ptr<WordCache> cache;
  };
  std::array<Entry, 4> entries;
  uint64_t clock = 0;
};

}  // namespace

WordCache* WordCache::for_thread(uint64_t model_id) {
  thread_local ThreadCaches caches;
  ++caches.clock;
  ThreadCaches::Entry* victim = &caches.entries[0];
  for (ThreadCaches::Entry& e : caches.entries) {
    if (e.model_id == model_id) {
      e.last_use = caches.clock;
      return e.cache.get();
    }
    if (e.last_use < victim->last_use) victim = &e;
  }
  // A fresh cache: one left behind by another model must not answer for this one.
  victim->model_id = model_id;
  victim->last_use = caches.clock;
  victim->cache = std::make_unique<WordCache>();
  return victim->cache.get();
}

}  // namespace fourbrain::formats::tokenizer
