// Parsing "2,3,224,224" style shape options.
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "litevit/error.h"

namespace litevit::cli {

inline std::vector<int64_t> parse_shape_option(const std::string& option, const std::string& text) {
  std::vector<int64_t> shape;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find_first_of(",x", pos);
    const std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != part.size() || part.empty() || value <= 0) {
      throw Error(fmt::format("reading {} '{}': expected positive integers separated by commas, like 1,3,224,224",
                              option, text));
    }
    shape.push_back(value);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return shape;
}

}  // namespace litevit::cli
