#include "formats/tokenizer/form_alignment.h"

#include <utf8proc.h>

#include <algorithm>
#include <vector>

#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/hf_unicode.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

struct Entry {
  char32_t cp;
  int change;  // HF's: 0 replaces a source character, 1 is inserted, -k also removes k
  int ccc;
};

// Composition never reaches further back than a few starters: a window of this many source
// characters past the first n (then on to the next starter) decides the leading run.
constexpr size_t kWindow = 4;

bool unknown_to_hf(char32_t cp, bool compat) {
  return (CharClasses::get().of(cp) & kHfNfcUnknown) ||
         (compat && (HfUnicode::get().of(cp) & kCompatUnknown));
}

int ccc_of(char32_t cp) {
  if (CharClasses::get().of(cp) & kHfNfcUnknown) return 0;  // HF's tables don't know it
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class;
}

// Decomposes the start of `text` into entries, canonically reordered.
std::vector<Entry> decompose_start(std::string_view text, size_t n, bool compat) {
  std::vector<Entry> entries;
  utf8proc_int32_t buffer[32];
  const auto options =
      static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0));
  size_t i = 0;
  for (size_t p = 0; p < text.size(); ++i) {
    int len;
    const char32_t cp = decode_utf8(text.data() + p, &len);
    utf8proc_ssize_t count = 1;
    buffer[0] = static_cast<utf8proc_int32_t>(cp);
    if (!unknown_to_hf(cp, compat)) {
      count = utf8proc_decompose_char(buffer[0], buffer, 32, options, nullptr);
      if (count < 1 || count > 32) count = 1, buffer[0] = static_cast<utf8proc_int32_t>(cp);
    }
    const int first_ccc = ccc_of(static_cast<char32_t>(buffer[0]));
    if (i >= n + kWindow && first_ccc == 0) break;  // reordering can't cross a starter
    for (utf8proc_ssize_t k = 0; k < count; ++k) {
      const auto d = static_cast<char32_t>(buffer[k]);
      entries.push_back({d, k == 0 ? 0 : 1, ccc_of(d)});
    }
    p += len;
  }
  // Canonical ordering: a stable sort of each run of non-starters by combining class.
  for (size_t a = 0; a < entries.size();) {
    size_t b = a;
    while (b < entries.size() && entries[b].ccc != 0) ++b;
    std::stable_sort(entries.begin() + a, entries.begin() + b,
                     [](const Entry& x, const Entry& y) { return x.ccc < y.ccc; });
    a = b + 1;
  }
  return entries;
}

// Replays the composition that turned `entries` into `out`: a composed character takes its
// starter's place and absorbs the marks of its decomposition. False if out does not fit.
bool compose(std::string_view out, std::vector<Entry>* entries) {
  std::vector<Entry> result;
  size_t pos = 0;
  utf8proc_int32_t parts[32];
  for (size_t p = 0; p < out.size() && pos < entries->size();) {
    int len;
    const char32_t o = decode_utf8(out.data() + p, &len);
    p += len;
    Entry e = (*entries)[pos++];
    if (e.cp != o) {
      const utf8proc_ssize_t count = utf8proc_decompose_char(
          static_cast<utf8proc_int32_t>(o), parts, 32, UTF8PROC_DECOMPOSE, nullptr);
      if (count < 2 || count > 32 || static_cast<char32_t>(parts[0]) != e.cp) return false;
      for (utf8proc_ssize_t k = 1; k < count; ++k) {
        auto it = std::find_if(entries->begin() + pos, entries->end(), [&](const Entry& x) {
          return x.cp == static_cast<char32_t>(parts[k]);
        });
        if (it == entries->end()) return false;
        e.change += it->change - 1;
        entries->erase(it);
      }
      e.cp = o;
    }
    result.push_back(e);
  }
  entries->swap(result);
  return true;
}

}  // namespace

size_t leading_run_after_form(std::string_view text, size_t n, UnicodeForm form,
                              std::string_view out) {
  const bool compat = form == UnicodeForm::kNfkc || form == UnicodeForm::kNfkd;
  std::vector<Entry> entries = decompose_start(text, n, compat);
  if ((form == UnicodeForm::kNfc || form == UnicodeForm::kNfkc) && !compose(out, &entries)) {
    return out.empty() ? 0 : 1;  // the first character always keeps the first origin
  }
  // NormalizedString's positional alignment.
  size_t consumed = 0, run = 0;
  for (const Entry& e : entries) {
    bool from_prefix;
    if (e.change <= 0) {
      from_prefix = consumed < n;
      consumed += static_cast<size_t>(1 - e.change);
    } else {
      from_prefix = consumed == 0 || consumed - 1 < n;
    }
    if (!from_prefix) break;
    ++run;
  }
  return run;
}

}  // namespace fourbrain::formats::tokenizer
