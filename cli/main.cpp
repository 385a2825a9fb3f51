#include <cstdio>
#include <exception>

#include "commands.h"
#include "litevit/error.h"

int main(int argc, char** argv) {
  CLI::App app{"litevit: lightweight vision transformers from timm checkpoints, in C++"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every command");
  struct Entry {
    CLI::App* sub;
    litevit::cli::Command run;
  };
  std::vector<Entry> commands;
  for (auto add : {litevit::cli::add_list_command, litevit::cli::add_info_command, litevit::cli::add_run_command,
                    litevit::cli::add_bench_command, litevit::cli::add_profile_command}) {
    const size_t before = app.get_subcommands({}).size();
    litevit::cli::Command run = add(app);
    commands.push_back({app.get_subcommands({})[before], std::move(run)});
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (const Entry& entry : commands) {
      if (entry.sub->parsed()) entry.run();
    }
  } catch (const litevit::Error& e) {
    std::fprintf(stderr, "litevit: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "litevit: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
