// Pre-tokenizers of the WordPiece and Unigram pipelines: they cut a normalised text segment
// into the pieces the model encodes one by one, as HF's BertPreTokenizer (white space
// removed, each punctuation character its own piece), WhitespaceSplit, Metaspace (spaces
// become "▁", a "▁" prepended always / on the text's first piece / never, then split before
// each "▁") and Sequence do.
//
// Immutable after construction: split() is thread-safe. Pieces are valid UTF-8 and never
// empty; split() never fails.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace fourbrain::formats::tokenizer {

struct Piece {
  std::string text;
  bool at_start = false;  // begins at offset 0 of the original text (Metaspace "first")
};

class PieceSplitter {
 public:
  virtual ~PieceSplitter() = default;
  // Replaces *pieces by the pieces each of them splits into, in order.
  virtual void split(std::vector<Piece>* pieces) const = 0;
  // Whether split() looks at Piece::at_start (Metaspace "first"); if not, callers need not
  // work it out.
  virtual bool uses_at_start() const { return false; }
};

enum class PrependScheme { kAlways, kFirst, kNever };

std::unique_ptr<PieceSplitter> make_bert_pre_tokenizer();
std::unique_ptr<PieceSplitter> make_whitespace_split();
// `replacement` is one character (UTF-8).
std::unique_ptr<PieceSplitter> make_metaspace(std::string replacement, PrependScheme scheme,
                                              bool split);
std::unique_ptr<PieceSplitter> make_splitter_sequence(
    std::vector<std::unique_ptr<PieceSplitter>> steps);

}  // namespace fourbrain::formats::tokenizer
