// The post-processor of the WordPiece and Unigram pipelines: where the template tokens go
// around one text or a text pair, with type ids, as HF's TemplateProcessing, BertProcessing
// ([CLS] A [SEP] / [CLS] A [SEP] B:1 [SEP]:1) and RobertaProcessing (<s> A </s> /
// <s> A </s> </s> B </s>, all type ids 0) lay them out; plus HF's longest-first truncation
// of a pair.
//
// A plain value, immutable once built: thread-safe to share. Nothing here fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::formats::tokenizer {

struct TemplateItem {
  int sequence = -1;         // 0: $A, 1: $B, -1: special token(s)
  std::vector<int32_t> ids;  // the special token's ids (empty for a sequence)
  int32_t type_id = 0;
};

struct PostTemplate {
  std::vector<TemplateItem> single;  // empty: nothing is added
  std::vector<TemplateItem> pair;    // empty: no pair template

  static PostTemplate bert(int32_t cls, int32_t sep);
  static PostTemplate roberta(int32_t cls, int32_t sep);

  // Ids the template adds (HF's added_tokens(is_pair)).
  size_t n_added(bool is_pair) const;
  // Ids before and after $A in the single template.
  std::vector<int32_t> single_prefix() const;
  std::vector<int32_t> single_suffix() const;
  // Lays out a (and b when not null) with the single (pair) template into *out.
  void apply(const std::vector<int32_t>& a, const std::vector<int32_t>* b, Encoding* out) const;
};

// HF's truncate_encodings with strategy longest_first and no stride: the lengths of a and
// b once their sum is at most max_length (the template's ids already taken off).
void truncate_longest_first(size_t max_length, size_t* n_a, size_t* n_b);

}  // namespace fourbrain::formats::tokenizer
