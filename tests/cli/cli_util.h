// Running the litevit command from tests: exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace litevit::testing_util {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code;
  std::string out, err;
};

// A temporary directory for this test process.
inline fs::path cli_temp_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("litevit_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::string read_text_file(const fs::path& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Runs `litevit ARGS` (a shell command line) and captures its output.
inline CliResult litevit_cli(const std::string& args) {
  const fs::path out = cli_temp_dir() / "stdout.txt", err = cli_temp_dir() / "stderr.txt";
  const std::string command = std::string(LITEVIT_CLI_PATH) + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text_file(out), read_text_file(err)};
}

// A file of a test case in tests/data.
inline std::string test_data(const std::string& case_name, const std::string& file) {
  return (fs::path(LITEVIT_TEST_DATA_DIR) / case_name / file).string();
}

// Exit code 1 and exactly one line on stderr, "litevit: error: ...", containing `needle`.
inline void expect_one_line_error(const CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("litevit: error: "), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

}  // namespace litevit::testing_util
