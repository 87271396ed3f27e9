#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace pl {

void assert_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace pl
