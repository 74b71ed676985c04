// FB_CHECK: our own invariants. A failed check is a programming error, not an input
// error, so it aborts with file and line instead of returning a Status.
#pragma once

namespace fourbrain::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition);
}  // namespace fourbrain::detail

#define FB_CHECK(cond)                                                        \
  do {                                                                        \
    if (!(cond)) ::fourbrain::detail::check_failed(__FILE__, __LINE__, #cond); \
  } while (0)
