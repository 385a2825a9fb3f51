#include "io/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "litevit/error.h"

namespace litevit::io {
namespace {

namespace fs = std::filesystem;

// gmock is not linked into litevit tests, so a plain substring check.
::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "litevit_safetensors_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write_bytes(const std::string& name, const std::string& bytes) const {
    std::ofstream out(path(name), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }

  // A raw safetensors file: 8-byte little-endian length (the header's own
  // length unless `header_len` lies), the header text, then the data bytes.
  std::string write_raw(const std::string& name, const std::string& header, const std::string& data,
                        uint64_t header_len = kTrueLength) const {
    if (header_len == kTrueLength) header_len = header.size();
    std::string bytes(8, '\0');
    std::memcpy(bytes.data(), &header_len, 8);
    return write_bytes(name, bytes + header + data);
  }

  static std::string read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // open() must throw litevit::Error whose one-line message names the file and
  // contains every keyword.
  static void expect_open_error(const std::string& file, std::initializer_list<const char*> keywords) {
    try {
      SafetensorsFile::open(file);
      ADD_FAILURE() << "expected litevit::Error for " << file;
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_TRUE(contains(message, "reading safetensors '" + file + "'"));
      for (const char* keyword : keywords) EXPECT_TRUE(contains(message, keyword));
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }

  static constexpr uint64_t kTrueLength = std::numeric_limits<uint64_t>::max() - 1;
  fs::path dir_;
};

std::string zeros(std::size_t n) { return std::string(n, '\0'); }

TEST_F(SafetensorsTest, RoundTripsAllDtypesIncludingScalarAndUnalignedOffsets) {
  std::vector<float> f32 = {1.5f, -2.0f, 0.0f, 3.25f, 1e-30f, -7.0f};
  std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x0001};           // 1, -2, smallest subnormal: 6 bytes
  std::vector<int64_t> i64 = {-5, int64_t{1} << 40};              // lands at offset 30: unaligned
  std::vector<uint16_t> bf16 = {0x3f80, 0xbfc0, 0x7f80, 0x0000};  // 1, -1.5, inf, 0
  float scalar = 42.0f;
  write_safetensors(path("a.safetensors"), {{"w.f32", DType::F32, {2, 3}, f32.data()},
                                            {"w.f16", DType::F16, {3}, f16.data()},
                                            {"w.i64", DType::I64, {2}, i64.data()},
                                            {"w.bf16", DType::BF16, {2, 1, 2}, bf16.data()},
                                            {"scalar", DType::F32, {}, &scalar}});

  auto file = SafetensorsFile::open(path("a.safetensors"));
  ASSERT_EQ(file->tensors().size(), 5u);
  std::vector<std::string> names;
  for (const TensorInfo& t : file->tensors()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"w.f32", "w.f16", "w.i64", "w.bf16", "scalar"}));
  EXPECT_TRUE(file->metadata().empty());
  EXPECT_EQ(file->find("nope"), nullptr);

  const TensorInfo* t = file->find("w.f32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::F32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->numel, 6);
  EXPECT_EQ(t->nbytes, 24u);
  EXPECT_EQ(file->read_f32(*t), f32);

  t = file->find("w.f16");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->nbytes, 6u);
  EXPECT_EQ(file->read_f32(*t), (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24)}));

  t = file->find("w.i64");
  ASSERT_NE(t, nullptr);
  EXPECT_NE(reinterpret_cast<uintptr_t>(t->data) % 8, 0u);
  EXPECT_EQ(file->read_i64(*t), i64);

  t = file->find("w.bf16");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 1, 2}));
  EXPECT_EQ(file->read_f32(*t),
            (std::vector<float>{1.0f, -1.5f, std::numeric_limits<float>::infinity(), 0.0f}));

  t = file->find("scalar");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->shape.empty());
  EXPECT_EQ(t->numel, 1);
  EXPECT_EQ(file->read_f32(*t), std::vector<float>{42.0f});
}

TEST_F(SafetensorsTest, WriterPadsHeaderAndPacksDataContiguously) {
  std::vector<uint16_t> f16 = {1, 2, 3};
  std::vector<int64_t> i64 = {7};
  write_safetensors(path("b.safetensors"),
                    {{"x", DType::F16, {3}, f16.data()}, {"y", DType::I64, {1}, i64.data()}});
  std::string bytes = read_bytes(path("b.safetensors"));
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_len + 6 + 8);
  std::string header = bytes.substr(8, header_len);
  EXPECT_EQ(header.front(), '{');
  EXPECT_TRUE(contains(header, "\"data_offsets\":[0,6]"));
  EXPECT_TRUE(contains(header, "\"data_offsets\":[6,14]"));
  EXPECT_EQ(header.find("__metadata__"), std::string::npos);
  // The temporary file was renamed away.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(SafetensorsTest, MetadataRoundTrips) {
  float value = 1.0f;
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "héllo \"quoted\""}};
  write_safetensors(path("m.safetensors"), {{"v", DType::F32, {1}, &value}}, metadata);
  auto file = SafetensorsFile::open(path("m.safetensors"));
  EXPECT_EQ(file->metadata(), metadata);
  ASSERT_EQ(file->tensors().size(), 1u);  // __metadata__ is not a tensor
  EXPECT_EQ(file->tensors()[0].name, "v");
}

TEST_F(SafetensorsTest, EmptyFileAndEmptyTensorsRoundTrip) {
  write_safetensors(path("none.safetensors"), {});
  EXPECT_TRUE(SafetensorsFile::open(path("none.safetensors"))->tensors().empty());

  write_safetensors(path("zero.safetensors"),
                    {{"z", DType::F32, {0, 3}, nullptr}, {"i", DType::I64, {0}, nullptr}});
  auto file = SafetensorsFile::open(path("zero.safetensors"));
  ASSERT_EQ(file->tensors().size(), 2u);
  EXPECT_EQ(file->tensors()[0].numel, 0);
  EXPECT_TRUE(file->read_f32(file->tensors()[0]).empty());
  EXPECT_TRUE(file->read_i64(file->tensors()[1]).empty());
}

TEST_F(SafetensorsTest, WriterOverwritesExistingFile) {
  float a = 1.0f, b = 2.0f;
  write_safetensors(path("o.safetensors"), {{"a", DType::F32, {}, &a}});
  write_safetensors(path("o.safetensors"), {{"b", DType::F32, {}, &b}});
  auto file = SafetensorsFile::open(path("o.safetensors"));
  ASSERT_EQ(file->tensors().size(), 1u);
  EXPECT_EQ(file->read_f32(*file->find("b")), std::vector<float>{2.0f});
}

TEST_F(SafetensorsTest, ReadingWithTheWrongDtypeNamesTheTensor) {
  int64_t i = 3;
  float f = 1.0f;
  write_safetensors(path("d.safetensors"), {{"ints", DType::I64, {}, &i}, {"floats", DType::F32, {}, &f}});
  auto file = SafetensorsFile::open(path("d.safetensors"));
  try {
    file->read_f32(*file->find("ints"));
    ADD_FAILURE() << "read_f32 of I64 must throw";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "tensor 'ints'"));
    EXPECT_TRUE(contains(e.what(), "I64"));
  }
  try {
    file->read_i64(*file->find("floats"));
    ADD_FAILURE() << "read_i64 of F32 must throw";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "tensor 'floats'"));
    EXPECT_TRUE(contains(e.what(), "F32"));
  }
}

TEST_F(SafetensorsTest, WriterRefusesDuplicateAndReservedNames) {
  float v = 0.0f;
  std::string file = path("dup.safetensors");
  try {
    write_safetensors(file, {{"w", DType::F32, {}, &v}, {"w", DType::F32, {}, &v}});
    ADD_FAILURE() << "duplicate names must throw";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), file));
    EXPECT_TRUE(contains(e.what(), "tensor 'w'"));
    EXPECT_TRUE(contains(e.what(), "more than once"));
  }
  EXPECT_THROW(write_safetensors(file, {{"__metadata__", DType::F32, {}, &v}}), Error);
  EXPECT_THROW(write_safetensors(file, {{"neg", DType::F32, {-1}, &v}}), Error);
  EXPECT_THROW(write_safetensors(file, {{"huge", DType::I64, {int64_t{1} << 62}, &v}}), Error);
  EXPECT_THROW(write_safetensors(file, {{"bad\xff utf8", DType::F32, {}, &v}}), Error);
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(SafetensorsTest, WriterReportsUnwritablePathsAndLeavesNoTemporaryFile) {
  float v = 0.0f;
  std::string missing = path("no/such/dir/x.safetensors");
  try {
    write_safetensors(missing, {{"w", DType::F32, {}, &v}});
    ADD_FAILURE() << "writing into a missing directory must throw";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), missing));
    EXPECT_TRUE(contains(e.what(), std::strerror(ENOENT)));
  }
  // The target is a non-empty directory: the temporary gets written, the rename fails.
  fs::create_directories(path("occupied/child"));
  try {
    write_safetensors(path("occupied"), {{"w", DType::F32, {}, &v}});
    ADD_FAILURE() << "renaming onto a directory must throw";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), path("occupied")));
    EXPECT_TRUE(contains(e.what(), "rename"));
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

// ---- fp16 / bf16 conversions ----

TEST(Float16Test, UpcastsSpecialValuesExactly) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(std::bit_cast<uint32_t>(f16_to_f32(0x0000)), 0x00000000u);
  EXPECT_EQ(std::bit_cast<uint32_t>(f16_to_f32(0x8000)), 0x80000000u);  // -0
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));                 // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x83ff), -std::ldexp(1023.0f, -24));             // largest subnormal
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));                 // smallest normal
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x7c00), inf);
  EXPECT_EQ(f16_to_f32(0xfc00), -inf);
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7c01)));  // signalling payload stays nan
  EXPECT_TRUE(std::signbit(f16_to_f32(0xfe00)));
}

TEST(Float16Test, NarrowingRoundsToNearestEven) {
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie -> even (down)
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie -> even (up)
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // tie past max -> inf
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-1e6f), 0xfc00);
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  uint16_t nan = f32_to_f16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
  // Subnormals, in units of 2^-24.
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);        // tie -> even (zero)
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0000001f, -25)), 0x0001);  // just above the tie
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);        // 1.5 units: tie -> 2
  EXPECT_EQ(f32_to_f16(std::ldexp(2047.0f, -25)), 0x0400);     // 1023.5 units -> smallest normal
  EXPECT_EQ(f32_to_f16(-std::ldexp(5.0f, -24)), 0x8005);
  EXPECT_EQ(f32_to_f16(1e-10f), 0x0000);
  EXPECT_EQ(f32_to_f16(-1e-40f), 0x8000);  // fp32 subnormal
}

TEST(Float16Test, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    float value = f16_to_f32(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(value)))) << bits;
    } else {
      ASSERT_EQ(f32_to_f16(value), bits) << bits;
    }
  }
}

#ifdef __FLT16_MAX__
TEST(Float16Test, NarrowingMatchesCompilerFloat16) {
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 4093) {  // a prime stride over all floats
    float value = std::bit_cast<float>(static_cast<uint32_t>(bits));
    if (std::isnan(value)) continue;
    auto expected = std::bit_cast<uint16_t>(static_cast<_Float16>(value));
    ASSERT_EQ(f32_to_f16(value), expected) << "float bits " << bits;
  }
}
#endif

TEST(BFloat16Test, UpcastsByWidening) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(std::bit_cast<uint32_t>(bf16_to_f32(0x8000)), 0x80000000u);
  EXPECT_EQ(bf16_to_f32(0x0001), std::bit_cast<float>(0x00010000u));  // subnormal
  EXPECT_EQ(bf16_to_f32(0x7f7f), std::bit_cast<float>(0x7f7f0000u));  // max
  EXPECT_EQ(bf16_to_f32(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_EQ(bf16_to_f32(0xff80), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7fc0)));
}

TEST(DTypeTest, NamesAndSizes) {
  EXPECT_STREQ(dtype_name(DType::F32), "F32");
  EXPECT_STREQ(dtype_name(DType::F16), "F16");
  EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
  EXPECT_STREQ(dtype_name(DType::I64), "I64");
  EXPECT_EQ(dtype_size(DType::F32), 4u);
  EXPECT_EQ(dtype_size(DType::F16), 2u);
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(dtype_size(DType::I64), 8u);
}

// ---- hand-built valid files ----

TEST_F(SafetensorsTest, AcceptsGapsTrailingBytesAndHeaderPadding) {
  std::string header = R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},)"
                       R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}}   )";
  std::string data = zeros(20);
  float one = 1.0f;
  std::memcpy(data.data() + 12, &one, 4);
  auto file = SafetensorsFile::open(write_raw("gaps.safetensors", header, data));
  ASSERT_EQ(file->tensors().size(), 3u);
  EXPECT_EQ(file->tensors()[0].name, "b");  // header order, not sorted
  EXPECT_EQ(file->read_f32(*file->find("b")), std::vector<float>{1.0f});
}

TEST_F(SafetensorsTest, ReadF32UpcastsHalfBitsExactly) {
  std::vector<uint16_t> bits = {0x0000, 0x8000, 0x0001, 0x03ff, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x3555};
  std::string data(reinterpret_cast<const char*>(bits.data()), bits.size() * 2);
  std::string header = R"({"h":{"dtype":"F16","shape":[9],"data_offsets":[0,18]}})";
  auto file = SafetensorsFile::open(write_raw("h.safetensors", header, data));
  std::vector<float> values = file->read_f32(file->tensors()[0]);
  ASSERT_EQ(values.size(), bits.size());
  for (std::size_t i = 0; i < bits.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(values[i]), std::bit_cast<uint32_t>(f16_to_f32(bits[i]))) << i;
  }
}

// ---- malformed files: each must throw a clear Error ----

TEST_F(SafetensorsTest, RejectsMissingEmptyAndTinyFiles) {
  expect_open_error(path("missing.safetensors"), {"cannot open", std::strerror(ENOENT)});
  expect_open_error(write_bytes("empty.safetensors", ""), {"empty", "got 0"});
  expect_open_error(write_bytes("tiny.safetensors", "abcde"), {"too short", "expected at least 8", "got 5"});
  fs::create_directory(path("dir.safetensors"));
  expect_open_error(path("dir.safetensors"), {"not a regular file"});
}

TEST_F(SafetensorsTest, RejectsTruncatedFiles) {
  std::vector<float> values = {1, 2, 3, 4};
  write_safetensors(path("full.safetensors"), {{"w", DType::F32, {4}, values.data()}});
  std::string bytes = read_bytes(path("full.safetensors"));
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);

  std::string in_header = write_bytes("cut_header.safetensors", bytes.substr(0, 8 + header_len / 2));
  std::string numbers =
      "expected at most " + std::to_string(header_len / 2) + ", got " + std::to_string(header_len);
  expect_open_error(in_header, {"header length is larger than the file", numbers.c_str()});
  std::string in_data = write_bytes("cut_data.safetensors", bytes.substr(0, bytes.size() - 5));
  expect_open_error(in_data, {"tensor 'w'", "past the data section", "expected end <= 11", "[0,16]"});
}

TEST_F(SafetensorsTest, RejectsLyingHeaderLengths) {
  std::string header = R"({})";
  expect_open_error(write_raw("huge.safetensors", header, "", uint64_t{1} << 62),
                    {"sane cap", "expected at most 100000000", "got 4611686018427387904"});
  expect_open_error(write_raw("max.safetensors", header, "", std::numeric_limits<uint64_t>::max()),
                    {"sane cap", "got 18446744073709551615"});
  expect_open_error(write_raw("long.safetensors", header, "", 3),
                    {"header length is larger than the file", "expected at most 2, got 3"});
  expect_open_error(write_raw("short.safetensors", header, "", 1), {"not valid JSON"});
  expect_open_error(write_raw("zero_len.safetensors", header, "", 0), {"not valid JSON"});
}

TEST_F(SafetensorsTest, RejectsInvalidJsonAndNonObjectHeaders) {
  expect_open_error(write_raw("bad.safetensors", R"({"w": {"dtype": )", ""), {"not valid JSON"});
  expect_open_error(write_raw("arr.safetensors", "[1,2]", ""), {"not a JSON object", "got array"});
  expect_open_error(write_raw("num.safetensors", "17", ""), {"not a JSON object", "got number"});
  expect_open_error(write_raw("deep.safetensors", std::string(5000, '[') + std::string(5000, ']'), ""),
                    {"nests deeper"});
  expect_open_error(write_raw("entry.safetensors", R"({"w": 5})", ""),
                    {"tensor 'w'", "entry is not an object", "got number"});
}

TEST_F(SafetensorsTest, RejectsMissingAndIllTypedFields) {
  expect_open_error(write_raw("f1.safetensors", R"({"w":{"dtype":"F32","shape":[1]}})", zeros(4)),
                    {"tensor 'w'", "missing field 'data_offsets'"});
  expect_open_error(
      write_raw("f2.safetensors", R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", zeros(4)),
      {"tensor 'w'", "dtype has the wrong type", "got number"});
  expect_open_error(
      write_raw("f3.safetensors", R"({"w":{"dtype":"F32","shape":4,"data_offsets":[0,4]}})", zeros(4)),
      {"tensor 'w'", "shape has the wrong type", "expected array, got number"});
  expect_open_error(
      write_raw("f4.safetensors", R"({"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", zeros(4)),
      {"tensor 'w'", "shape entry is not a non-negative integer", "got 1.0"});
  expect_open_error(
      write_raw("f5.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", zeros(8)),
      {"tensor 'w'", "data_offsets is not two non-negative integers", "[0,4,8]"});
  expect_open_error(
      write_raw("f6.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", zeros(4)),
      {"tensor 'w'", "non-negative", "[-4,0]"});
}

TEST_F(SafetensorsTest, RejectsUnsupportedDtypes) {
  for (const char* dtype : {"F64", "I32", "U8", "BOOL", "f32"}) {
    std::string header =
        std::string(R"({"w":{"dtype":")") + dtype + R"(","shape":[1],"data_offsets":[0,8]}})";
    std::string file = write_raw(std::string(dtype) + ".safetensors", header, zeros(8));
    expect_open_error(file, {"tensor 'w'", "dtype is not supported", (std::string("got ") + dtype).c_str()});
  }
}

TEST_F(SafetensorsTest, RejectsBadShapes) {
  expect_open_error(
      write_raw("neg.safetensors", R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}})", zeros(8)),
      {"tensor 'w'", "shape entry is not a non-negative integer", "got -1"});
  expect_open_error(
      write_raw("ovf.safetensors",
                R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", zeros(8)),
      {"tensor 'w'", "overflows int64", "[4294967296,4294967296]"});
  expect_open_error(
      write_raw("big.safetensors", R"({"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}})",
                zeros(8)),
      {"tensor 'w'", "more elements than the data section", "expected at most 8, got 1000000000000"});
  // 2^61 elements of 8 bytes would wrap a 64-bit byte count to 0.
  expect_open_error(
      write_raw("wrap.safetensors",
                R"({"w":{"dtype":"I64","shape":[2305843009213693952],"data_offsets":[0,0]}})", ""),
      {"tensor 'w'", "more elements than the data section"});
}

TEST_F(SafetensorsTest, RejectsBadOffsets) {
  expect_open_error(
      write_raw("past.safetensors", R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", zeros(8)),
      {"tensor 'w'", "past the data section", "expected end <= 8, got [0,16]"});
  expect_open_error(
      write_raw("mis.safetensors", R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", zeros(16)),
      {"tensor 'w'", "does not match F32 [2,2]", "expected 16 bytes, got 12"});
  expect_open_error(
      write_raw("rev.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", zeros(8)),
      {"tensor 'w'", "begin is after end", "[8,4]"});
}

TEST_F(SafetensorsTest, RejectsOverlappingTensorsInAnyHeaderOrder) {
  std::string a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  std::string b = R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})";
  expect_open_error(write_raw("ab.safetensors", "{" + a + "," + b + "}", zeros(12)),
                    {"tensor 'b'", "overlaps tensor 'a'", "expected begin >= 8, got 4"});
  expect_open_error(write_raw("ba.safetensors", "{" + b + "," + a + "}", zeros(12)),
                    {"tensor 'b'", "overlaps tensor 'a'"});
  std::string same = R"("c":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  expect_open_error(write_raw("same.safetensors", "{" + a + "," + same + "}", zeros(12)),
                    {"overlaps tensor"});
}

TEST_F(SafetensorsTest, RejectsDuplicateKeys) {
  std::string w = R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  expect_open_error(write_raw("dup.safetensors", "{" + w + "," + w + "}", zeros(4)),
                    {"tensor 'w'", "more than once"});
  expect_open_error(
      write_raw("dupfield.safetensors",
                R"({"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", zeros(4)),
      {"repeats the key 'dtype'"});
}

TEST_F(SafetensorsTest, RejectsBadMetadata) {
  expect_open_error(write_raw("meta1.safetensors", R"({"__metadata__":{"format":"pt","epoch":3}})", ""),
                    {"__metadata__", "'epoch'", "not a string", "got number"});
  expect_open_error(write_raw("meta2.safetensors", R"({"__metadata__":"pt"})", ""),
                    {"__metadata__", "not an object", "got string"});
}

TEST_F(SafetensorsTest, KeepsHostileNamesOnOneLine) {
  std::string header = R"({"evil\nname":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  expect_open_error(write_raw("evil.safetensors", header, zeros(8)), {"tensor 'evil?name'", "not supported"});
}

}  // namespace
}  // namespace litevit::io
