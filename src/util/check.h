// Internal invariants. LITEVIT_ASSERT is for programmer mistakes only: it
// aborts with file:line. Anything a user can cause throws litevit::Error.
#pragma once

#include <cstdio>
#include <cstdlib>

#define LITEVIT_ASSERT(cond, msg)                                                        \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "litevit internal error at %s:%d: %s (%s)\n", __FILE__,       \
                   __LINE__, msg, #cond);                                                \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
