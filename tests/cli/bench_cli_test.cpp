// End-to-end runs of `litevit bench`: the JSON report has every field with
// sensible values, weights files work, bad input gives a one-line error.
// Timings are read, never asserted on (no timed unit tests).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "cli_util.h"

namespace {

using Result = litevit::testing_util::CliResult;
using litevit::testing_util::expect_one_line_error;
using litevit::testing_util::litevit_cli;

std::string data(const std::string& case_name, const std::string& file) {
  return litevit::testing_util::test_data(case_name, file);
}


const char* kTinyVit =
    R"('{"timm_name":"vit_tiny_patch16_224","kwargs":{"img_size":32,"patch_size":8,"embed_dim":32,"depth":1,)"
    R"("num_heads":2,"num_classes":10}}')";

// stdout must be exactly one JSON object with the documented keys.
nlohmann::json parse_report(const Result& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j;
  EXPECT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_TRUE(j.is_object()) << r.out;
  for (const char* key : {"model", "batch", "threads", "median_ms", "min_ms", "max_ms", "images_per_s", "load_ms",
                          "compile_ms", "peak_rss_mb", "params", "gmacs", "runs"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing in " << r.out;
  }
  return j;
}

TEST(BenchCli, JsonReportOfAConfig) {
  const nlohmann::json j = parse_report(litevit_cli(std::string("bench ") + kTinyVit + " --json --runs 2 --warmup 0"));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["model"], "vit_tiny_patch16_224");
  EXPECT_EQ(j["batch"], 1);
  EXPECT_EQ(j["runs"], 2);
  EXPECT_EQ(j["input_shape"], nlohmann::json::array({1, 3, 32, 32}));
  EXPECT_GE(j["threads"].get<int>(), 1);
  for (const char* key : {"median_ms", "min_ms", "max_ms", "images_per_s", "load_ms", "compile_ms", "peak_rss_mb",
                          "gmacs"}) {
    EXPECT_GT(j[key].get<double>(), 0.0) << key;
  }
  EXPECT_LE(j["min_ms"].get<double>(), j["median_ms"].get<double>());
  EXPECT_LE(j["median_ms"].get<double>(), j["max_ms"].get<double>());
  // timm: sum(p.numel() for p in model.parameters()) of this config.
  EXPECT_EQ(j["params"], 19850);
}

TEST(BenchCli, WeightsBatchAndThreads) {
  const std::string weights = data("vit_micro", "weights.safetensors");
  const nlohmann::json j = parse_report(litevit_cli("bench " + data("vit_micro", "case.json") + " --weights " + weights +
                                                    " --batch 3 --threads 1 --json --runs 2 --warmup 1"));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["weights"], weights);
  EXPECT_EQ(j["batch"], 3);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["runs"], 2);
  EXPECT_GT(j["images_per_s"].get<double>(), 0.0);
}

TEST(BenchCli, ReferenceKernelsAndInputShape) {
  const nlohmann::json j = parse_report(litevit_cli(std::string("bench ") + kTinyVit +
                                                    " --input-shape 2,3,32,32 --reference --json --runs 1 --warmup 0"));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["batch"], 2);
  EXPECT_EQ(j["reference_kernels"], true);
}

TEST(BenchCli, HumanReadableBlock) {
  const Result r = litevit_cli(std::string("bench ") + kTinyVit + " --runs 2 --warmup 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* needle : {"model:", "params:", "GMACs:", "load:", "compile:", "latency:", "images/s", "peak RSS:"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << " in\n" << r.out;
  }
}

// Lines of stdout, each parsed as JSON.
std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  size_t begin = 0;
  for (size_t end; (end = out.find('\n', begin)) != std::string::npos; begin = end + 1) {
    EXPECT_NO_THROW(lines.push_back(nlohmann::json::parse(out.substr(begin, end - begin)))) << out;
  }
  EXPECT_EQ(begin, out.size()) << "last line not ended: " << out;
  return lines;
}

// Runs `litevit bench ARGS` with `stdin_text` on its standard input.
Result bench_with_stdin(const std::string& args, const std::string& stdin_text) {
  const std::string path = (litevit::testing_util::cli_temp_dir() / "stdin.txt").string();
  {
    std::ofstream f(path);
    f << stdin_text;
  }
  return litevit_cli("bench " + args + " <" + path);
}

TEST(BenchCli, ServeTimesBurstsOnRequest) {
  const Result r = bench_with_stdin(std::string(kTinyVit) + " --serve --warmup 0", "2\n\n3\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;   // ready, two bursts, the report
  EXPECT_EQ(lines[0]["ready"], true);
  EXPECT_GT(lines[0]["compile_ms"].get<double>(), 0.0);
  ASSERT_EQ(lines[1]["latencies_ms"].size(), 2u);
  ASSERT_EQ(lines[2]["latencies_ms"].size(), 3u);
  double min_ms = 1e30;
  for (int i : {1, 2}) {
    for (const auto& ms : lines[static_cast<size_t>(i)]["latencies_ms"]) {
      EXPECT_GT(ms.get<double>(), 0.0);
      min_ms = std::min(min_ms, ms.get<double>());
    }
  }
  const nlohmann::json& report = lines[3];
  EXPECT_EQ(report["runs"], 5);   // over all bursts
  EXPECT_EQ(report["min_ms"].get<double>(), min_ms);
  EXPECT_GT(report["peak_rss_mb"].get<double>(), 0.0);
}

TEST(BenchCli, ServeWithoutBurstsReportsNoLatency) {
  const Result r = bench_with_stdin(std::string(kTinyVit) + " --serve --warmup 0", "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[1]["runs"], 0);
  EXPECT_FALSE(lines[1].contains("median_ms")) << r.out;
}

TEST(BenchCli, ServeRejectsALineThatIsNotARunCount) {
  for (const char* bad : {"x", "0", "2 3", "-1", "1e3"}) {
    const Result r = bench_with_stdin(std::string(kTinyVit) + " --serve --warmup 0", std::string("1\n") + bad + "\n");
    expect_one_line_error(r, std::string("stdin line 2 is '") + bad + "', not a run count");
    EXPECT_EQ(json_lines(r.out).size(), 2u) << r.out;   // the ready line and the first burst came out
  }
  // --serve times on request, so a run count or time of its own is a usage error.
  for (const char* args : {" --serve --runs 2", " --serve --min-time 1", " --serve --all"}) {
    const Result r = litevit_cli(std::string("bench ") + kTinyVit + args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.exit_code, 1) << args;
  }
}

TEST(BenchCli, UnknownModel) {
  expect_one_line_error(litevit_cli("bench mobilevit_xxxs --json"), "unknown model 'mobilevit_xxxs'");
}

TEST(BenchCli, WeightsOfAnotherModel) {
  expect_one_line_error(litevit_cli("bench " + data("vit_micro", "case.json") + " --weights " +
                                    data("deit_micro", "weights.safetensors") + " --runs 1"),
                        "does not fit the model");
}

TEST(BenchCli, MissingWeightsFile) {
  expect_one_line_error(litevit_cli("bench vit_tiny_patch16_224 --weights /nonexistent/w.safetensors"),
                        "/nonexistent/w.safetensors");
}

TEST(BenchCli, UnknownFamily) {
  expect_one_line_error(litevit_cli("bench --all --family nosuch"), "no such family (known: ");
}

TEST(BenchCli, NoModel) { expect_one_line_error(litevit_cli("bench"), "give a MODEL, or --all"); }

TEST(BenchCli, BadOptionsAreRejectedByTheParser) {
  for (const char* args : {"bench vit_tiny_patch16_224 --runs 0", "bench vit_tiny_patch16_224 --threads x",
                           "bench vit_tiny_patch16_224 --batch 2 --input-shape 1,3,224,224",
                           "bench vit_tiny_patch16_224 --all", "bench vit_tiny_patch16_224 --family vit"}) {
    const Result r = litevit_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.exit_code, 1) << args;   // CLI11's own exit codes, not a litevit::Error
    EXPECT_FALSE(r.err.empty()) << args;
    EXPECT_TRUE(r.out.empty()) << args << r.out;
  }
  expect_one_line_error(litevit_cli("bench vit_tiny_patch16_224 --input-shape 1,3,x"), "--input-shape");
  expect_one_line_error(litevit_cli("bench vit_tiny_patch16_224 --disable-pass nosuch"), "nosuch");
  expect_one_line_error(litevit_cli("bench vit_tiny_patch16_224 --disable-kernel nosuch_hwy"), "nosuch_hwy");
}

TEST(BenchCli, Help) {
  const Result r = litevit_cli("bench --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--all"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
}

}  // namespace
