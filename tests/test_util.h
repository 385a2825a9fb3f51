// Helpers shared by the tests.
#pragma once

#include <functional>
#include <string>

#include "litevit/error.h"

namespace litevit::testing_util {

// The message of the litevit::Error `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const litevit::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace litevit::testing_util
