// litevit::Error: the one exception litevit throws for anything the user gave
// it (files, names, configs, shapes). Its message names the action, the thing
// and the reason, e.g.
//   loading weights 'x.safetensors': tensor 'blocks.0.attn.qkv.weight' has
//   shape [576,192], expected [576,96]
// The CLI prints it as one line on stderr and exits with code 1.
#pragma once

#include <stdexcept>
#include <string>

namespace litevit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace litevit
