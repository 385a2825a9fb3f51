// The litevit command: one file per subcommand, each registering its options
// on the CLI11 app and returning the function that runs it. Commands use only
// the public API (include/litevit/).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace litevit::cli {

using Command = std::function<void()>;

Command add_list_command(CLI::App& app);
Command add_info_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_profile_command(CLI::App& app);

}  // namespace litevit::cli
