#include "formats/tokenizer/post_template.h"

#include <algorithm>
#include <utility>

namespace fourbrain::formats::tokenizer {

PostTemplate PostTemplate::bert(int32_t cls, int32_t sep) {
  PostTemplate t;
  t.single = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep}, 0}};
  t.pair = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep}, 0}, {1, {}, 1}, {-1, {sep}, 1}};
  return t;
}

PostTemplate PostTemplate::roberta(int32_t cls, int32_t sep) {
  PostTemplate t;
  t.single = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep}, 0}};
  t.pair = {{-1, {cls}, 0}, {0, {}, 0}, {-1, {sep}, 0}, {-1, {sep}, 0}, {1, {}, 0}, {-1, {sep}, 0}};
  return t;
}

size_t PostTemplate::n_added(bool is_pair) const {
  size_t n = 0;
  for (const TemplateItem& item : is_pair ? pair : single) n += item.ids.size();
  return n;
}

std::vector<int32_t> PostTemplate::single_prefix() const {
  std::vector<int32_t> ids;
  for (const TemplateItem& item : single) {
    if (item.sequence >= 0) break;
    ids.insert(ids.end(), item.ids.begin(), item.ids.end());
  }
  return ids;
}

std::vector<int32_t> PostTemplate::single_suffix() const {
  std::vector<int32_t> ids;
  bool after = false;
  for (const TemplateItem& item : single) {
    if (item.sequence >= 0) {
      after = true;
      ids.clear();
    } else if (after) {
      ids.insert(ids.end(), item.ids.begin(), item.ids.end());
    }
  }
  return ids;
}

void PostTemplate::apply(const std::vector<int32_t>& a, const std::vector<int32_t>* b,
                         Encoding* out) const {
  out->ids.clear();
  out->type_ids.clear();
  const std::vector<TemplateItem>& items = b != nullptr ? pair : single;
  if (items.empty()) {  // no post-processor: the texts as they are (HF's default layout)
    out->ids = a;
    out->type_ids.assign(a.size(), 0);
    if (b != nullptr) {
      out->ids.insert(out->ids.end(), b->begin(), b->end());
      out->type_ids.resize(out->ids.size(), 1);
    }
    return;
  }
  for (const TemplateItem& item : items) {
    const std::vector<int32_t>& ids = item.sequence == 0 ? a : item.sequence == 1 ? *b : item.ids;
    out->ids.insert(out->ids.end(), ids.begin(), ids.end());
    out->type_ids.insert(out->type_ids.end(), ids.size(), item.type_id);
  }
}

void truncate_longest_first(size_t max_length, size_t* n_a, size_t* n_b) {
  if (*n_a + *n_b <= max_length) return;
  // Transcribed from tokenizers' truncate_encodings (utils/truncation.rs).
  size_t n1 = *n_a, n2 = *n_b;
  const bool swap = n1 > n2;
  if (swap) std::swap(n1, n2);
  if (n1 > max_length) {
    n2 = n1;
  } else {
    n2 = std::max(n1, max_length - n1);
  }
  if (n1 + n2 > max_length) {
    n1 = max_length / 2;
    n2 = n1 + max_length % 2;
  }
  if (swap) std::swap(n1, n2);
  *n_a = std::min(*n_a, n1);
  *n_b = std::min(*n_b, n2);
}

}  // namespace fourbrain::formats::tokenizer
