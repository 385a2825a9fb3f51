// litevit list: every registered variant with its family, parameters and default input.
#include <fmt/format.h>

#include "commands.h"
#include "litevit/litevit.h"

namespace litevit::cli {

Command add_list_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List the registered model variants");
  auto family = std::make_shared<std::string>();
  cmd->add_option("--family", *family, "Only this family");
  return [family] {
    fmt::print("{:<36} {:<12} {:>10} {:>14}\n", "variant", "family", "params (M)", "default input");
    for (const VariantInfo& v : list_variants()) {
      if (!family->empty() && v.family != *family) continue;
      const Model model = Model::load(v.name);
      const ModelInfo info = model.info(model.default_input_shape());
      fmt::print("{:<36} {:<12} {:>10.2f} {:>14}\n", v.name, v.family, static_cast<double>(info.params) / 1e6,
                 fmt::format("{}x{}x{}", v.default_input[0], v.default_input[1], v.default_input[2]));
    }
  };
}

}  // namespace litevit::cli
