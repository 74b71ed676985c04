#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace fourbrain::detail {

void check_failed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "fourbrain: check failed at %s:%d: %s\n", file, line, condition);
  std::abort();
}

}  // namespace fourbrain::detail
