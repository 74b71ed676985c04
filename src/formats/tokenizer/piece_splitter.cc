#include "formats/tokenizer/piece_splitter.h"

#include <utility>

#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/hf_unicode.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

bool is_space(char32_t c) { return CharClasses::get().of(c) & kSpace; }

// Splits each piece at characters where kind(c) is not kKeep: kRemove drops the character,
// kIsolate makes it a piece of its own (HF's SplitDelimiterBehavior Removed / Isolated).
enum class Cut { kKeep, kRemove, kIsolate };

template <typename Kind>
void split_chars(std::vector<Piece>* pieces, Kind kind) {
  std::vector<Piece> out;
  out.reserve(pieces->size() * 2);
  for (Piece& piece : *pieces) {
    const std::string& s = piece.text;
    size_t start = 0;  // start of the pending run of kept characters
    auto emit = [&](size_t begin, size_t end) {
      if (end > begin) out.push_back({s.substr(begin, end - begin), piece.at_start && begin == 0});
    };
    for (size_t p = 0; p < s.size();) {
      int len;
      const Cut cut = kind(decode_utf8(s.data() + p, &len));
      if (cut != Cut::kKeep) {
        emit(start, p);
        if (cut == Cut::kIsolate) emit(p, p + len);
        start = p + len;
      }
      p += len;
    }
    if (start == 0) {
      out.push_back(std::move(piece));  // nothing cut: keep the string as it is
    } else {
      emit(start, s.size());
    }
  }
  pieces->swap(out);
}

class BertPreTokenizer final : public PieceSplitter {
 public:
  void split(std::vector<Piece>* pieces) const override {
    split_chars(pieces, [](char32_t c) { return is_space(c) ? Cut::kRemove : Cut::kKeep; });
    const HfUnicode& hf = HfUnicode::get();
    split_chars(pieces,
                [&](char32_t c) { return (hf.of(c) & kBertPunct) ? Cut::kIsolate : Cut::kKeep; });
  }
};

class WhitespaceSplit final : public PieceSplitter {
 public:
  void split(std::vector<Piece>* pieces) const override {
    split_chars(pieces, [](char32_t c) { return is_space(c) ? Cut::kRemove : Cut::kKeep; });
  }
};

class Metaspace final : public PieceSplitter {
 public:
  Metaspace(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}

  bool uses_at_start() const override { return scheme_ == PrependScheme::kFirst; }

  void split(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    out.reserve(pieces->size() * 2);
    std::string text;
    for (Piece& piece : *pieces) {
      text.clear();
      for (char c : piece.text) {
        if (c == ' ') {
          text += replacement_;
        } else {
          text.push_back(c);
        }
      }
      const bool prepend =
          scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && piece.at_start);
      if (prepend && !text.starts_with(replacement_)) text.insert(0, replacement_);
      if (!split_) {
        out.push_back({text, piece.at_start});
        continue;
      }
      // Split before every replacement character (HF's MergedWithNext).
      size_t begin = 0;
      for (size_t p = text.find(replacement_, 1); p != std::string::npos;
           p = text.find(replacement_, p + replacement_.size())) {
        out.push_back({text.substr(begin, p - begin), piece.at_start && begin == 0});
        begin = p;
      }
      out.push_back({text.substr(begin), piece.at_start && begin == 0});
    }
    pieces->swap(out);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

class SplitterSequence final : public PieceSplitter {
 public:
  explicit SplitterSequence(std::vector<std::unique_ptr<PieceSplitter>> steps)
      : steps_(std::move(steps)) {}
  void split(std::vector<Piece>* pieces) const override {
    for (const auto& step : steps_) step->split(pieces);
  }
  bool uses_at_start() const override {
    for (const auto& step : steps_) {
      if (step->uses_at_start()) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<PieceSplitter>> steps_;
};

}  // namespace

std::unique_ptr<PieceSplitter> make_bert_pre_tokenizer() {
  return std::make_unique<BertPreTokenizer>();
}
std::unique_ptr<PieceSplitter> make_whitespace_split() {
  return std::make_unique<WhitespaceSplit>();
}
std::unique_ptr<PieceSplitter> make_metaspace(std::string replacement, PrependScheme scheme,
                                              bool split) {
  return std::make_unique<Metaspace>(std::move(replacement), scheme, split);
}
std::unique_ptr<PieceSplitter> make_splitter_sequence(
    std::vector<std::unique_ptr<PieceSplitter>> steps) {
  return std::make_unique<SplitterSequence>(std::move(steps));
}

}  // namespace fourbrain::formats::tokenizer
