// End-to-end runs of the litevit command: outputs, and one-line errors with
// exit code 1 for bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli_util.h"
#include "litevit/litevit.h"

namespace {

namespace fs = std::filesystem;

using Result = litevit::testing_util::CliResult;
using litevit::testing_util::expect_one_line_error;
using litevit::testing_util::litevit_cli;

std::string data(const std::string& case_name, const std::string& file) {
  return litevit::testing_util::test_data(case_name, file);
}

fs::path temp_dir() { return litevit::testing_util::cli_temp_dir(); }
std::string run_args(const std::string& model, const std::string& weights, const std::string& input) {
  return model + " --weights " + weights + " --input " + input + " --output " + (temp_dir() / "out.safetensors").string();
}


TEST(Cli, RunWritesFeaturesAndLogits) {
  const Result r = litevit_cli("run " + run_args(data("vit_micro", "case.json"), data("vit_micro", "weights.safetensors"),
                                                 data("vit_micro", "io.safetensors")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"features", "logits"}) {
    const litevit::Tensor out = litevit::load_tensor((temp_dir() / "out.safetensors").string(), name);
    const litevit::Tensor ref = litevit::load_tensor(data("vit_micro", "io.safetensors"), name);
    ASSERT_EQ(out.shape, ref.shape);
    EXPECT_LE(litevit::relative_error(out, ref), 1e-4) << name;
  }
}

TEST(Cli, RunCheckWithoutOutput) {
  const std::string io = data("vit_micro", "io.safetensors");
  const Result r = litevit_cli("run " + data("vit_micro", "case.json") + " --weights " +
                               data("vit_micro", "weights.safetensors") + " --input " + io + " --check " + io);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("logits: max|out - ref| / max|ref| = "), std::string::npos) << r.out;
}

TEST(Cli, RunWithNeitherOutputNorCheck) {
  const Result r = litevit_cli("run " + data("vit_micro", "case.json") + " --weights " +
                               data("vit_micro", "weights.safetensors") + " --input " + data("vit_micro", "io.safetensors"));
  expect_one_line_error(r, "give --output FILE to write them, or --check REF to compare them");
}

TEST(Cli, WrongInputShape) {
  const Result r = litevit_cli("run " + run_args(data("deit_micro", "case.json"), data("deit_micro", "weights.safetensors"),
                                                 data("vit_micro", "io.safetensors")));
  expect_one_line_error(r, "input [2,3,40,40] does not fit the model, which takes [N,3,32,32]");
}

TEST(Cli, UnknownModelSuggestsNames) {
  const Result r = litevit_cli("info mobilevit_xxxs");
  expect_one_line_error(r, "unknown model 'mobilevit_xxxs' (did you mean: mobilevit_xxs");
}

TEST(Cli, WeightsOfAnotherModel) {
  const Result r = litevit_cli("run " + run_args(data("vit_micro", "case.json"), data("deit_micro", "weights.safetensors"),
                                                 data("vit_micro", "io.safetensors")));
  expect_one_line_error(r, "does not fit the model");
  EXPECT_NE(r.err.find("'pos_embed' has shape [1,17,32], expected [1,26,32]"), std::string::npos) << r.err;
}

TEST(Cli, TruncatedWeights) {
  const std::string weights = data("vit_micro", "weights.safetensors");
  for (const double fraction : {0.0, 0.001, 0.01, 0.5, 0.999}) {
    const fs::path cut = temp_dir() / "cut.safetensors";
    fs::copy_file(weights, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, static_cast<uintmax_t>(static_cast<double>(fs::file_size(weights)) * fraction));
    const Result r = litevit_cli("run " + run_args(data("vit_micro", "case.json"), cut.string(), data("vit_micro", "io.safetensors")));
    expect_one_line_error(r, cut.string());
  }
}

TEST(Cli, LyingHeaderLength) {
  const fs::path bad = temp_dir() / "lying.safetensors";
  fs::copy_file(data("vit_micro", "weights.safetensors"), bad, fs::copy_options::overwrite_existing);
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    const uint64_t huge = 1ull << 40;
    f.write(reinterpret_cast<const char*>(&huge), 8);
  }
  const Result r = litevit_cli("run " + run_args(data("vit_micro", "case.json"), bad.string(), data("vit_micro", "io.safetensors")));
  expect_one_line_error(r, bad.string());
}

TEST(Cli, MissingFiles) {
  expect_one_line_error(litevit_cli("run " + run_args("vit_tiny_patch16_224", "/nonexistent/w.safetensors", "x")),
                        "/nonexistent/w.safetensors");
  expect_one_line_error(litevit_cli("run " + run_args(data("vit_micro", "case.json"), data("vit_micro", "weights.safetensors"),
                                                      "/nonexistent/in.safetensors")),
                        "/nonexistent/in.safetensors");
  expect_one_line_error(litevit_cli("info /nonexistent/config.json"), "/nonexistent/config.json");
}

TEST(Cli, InputTensorMissing) {
  const Result r = litevit_cli("run " + run_args(data("vit_micro", "case.json"), data("vit_micro", "weights.safetensors"),
                                                 data("vit_micro", "weights.safetensors")));
  expect_one_line_error(r, "reading tensor 'input'");
}

TEST(Cli, ListAndInfo) {
  const Result list = litevit_cli("list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("mobilevit_xxs"), std::string::npos);
  EXPECT_NE(list.out.find("deit_tiny_distilled_patch16_224"), std::string::npos);
  const Result info = litevit_cli("info deit_tiny_patch16_224");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("params:  5717416"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("output:  logits [1,1000]"), std::string::npos) << info.out;
  const Result graph = litevit_cli("info mobilevit_xxs --input-shape 2,3,128,160 --graph");
  ASSERT_EQ(graph.exit_code, 0) << graph.err;
  EXPECT_NE(graph.out.find("stages.2.1.transformer.0.attn.qkv"), std::string::npos);
}

TEST(Cli, ProfileTimesEveryNode) {
  const std::string model = "profile mobilevit_xxs --input-shape 1,3,64,64 --threads 1";
  const Result fixed = litevit_cli(model + " --runs 3 --min-time 0 --warmup 0 --top 2");
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_NE(fixed.out.find("over 3 runs (after 0 warmup)"), std::string::npos) << fixed.out;
  EXPECT_NE(fixed.out.find("inverted_residual_hwy"), std::string::npos) << fixed.out;
  EXPECT_NE(fixed.out.find("conv2d_winograd_hwy"), std::string::npos) << fixed.out;
  // --min-time keeps timing past --runs: a 64x64 run takes about a millisecond.
  const Result timed = litevit_cli(model + " --runs 1 --min-time 0.2 --top 0");
  ASSERT_EQ(timed.exit_code, 0) << timed.err;
  const size_t over = timed.out.find(" over ");
  ASSERT_NE(over, std::string::npos) << timed.out;
  EXPECT_GT(std::stoi(timed.out.substr(over + 6)), 10) << timed.out;
  EXPECT_NE(litevit_cli(model + " --min-time -1").exit_code, 0);
}

TEST(Cli, HelpForEveryCommand) {
  for (const char* command : {"", "list", "info", "run", "bench", "profile"}) {
    const Result r = litevit_cli(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << command << r.out;
  }
}

}  // namespace

namespace {

TEST(Cli, CheckComparesWithReference) {
  const std::string case_args = run_args(data("mobilevit_micro_odd", "case.json"),
                                         data("mobilevit_micro_odd", "weights.safetensors"),
                                         data("mobilevit_micro_odd", "io.safetensors"));
  const Result ok = litevit_cli("run " + case_args + " --check " + data("mobilevit_micro_odd", "io.safetensors"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("features: max|out - ref| / max|ref| = "), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("logits: max|out - ref| / max|ref| = "), std::string::npos) << ok.out;
  // A reference from another case of the same shapes must fail the check.
  const Result bad = litevit_cli("run " + run_args(data("mobilevit_micro", "case.json"),
                                                   data("mobilevit_micro", "weights.safetensors"),
                                                   data("mobilevit_micro", "io.safetensors")) +
                                 " --check " + data("mobilevit_micro", "io.safetensors") + " --tolerance 1e-12");
  expect_one_line_error(bad, "exceed the tolerance 1e-12");
}

}  // namespace
