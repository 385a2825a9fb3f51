#include "io/safetensors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "litevit/error.h"
#include "util/check.h"

namespace litevit::io {
namespace {

using Json = nlohmann::json;

// The data is little-endian on disk and read with memcpy.
static_assert(std::endian::native == std::endian::little, "litevit assumes a little-endian host");

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's cap
constexpr const char* kMetadataKey = "__metadata__";

// Names come from a possibly hostile file; keep error messages on one line.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

template <typename... Args>
[[noreturn]] void fail(const std::string& path, fmt::format_string<Args...> reason, Args&&... args) {
  throw Error(
      fmt::format("reading safetensors '{}': {}", path, fmt::format(reason, std::forward<Args>(args)...)));
}

template <typename... Args>
[[noreturn]] void fail_tensor(const std::string& path, std::string_view name,
                              fmt::format_string<Args...> reason, Args&&... args) {
  throw Error(fmt::format("reading safetensors '{}': tensor '{}': {}", path, printable(name),
                          fmt::format(reason, std::forward<Args>(args)...)));
}

bool parse_dtype(std::string_view name, DType* dtype) {
  for (DType d : {DType::F32, DType::F16, DType::BF16, DType::I64}) {
    if (name == dtype_name(d)) {
      *dtype = d;
      return true;
    }
  }
  return false;
}

// A non-negative JSON integer, or nullopt (floats, negatives, non-numbers).
std::optional<uint64_t> as_non_negative(const Json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<uint64_t>();
  return std::nullopt;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

struct ParsedHeader {
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

ParsedHeader parse_header(const std::string& path, const std::byte* base, uint64_t file_size) {
  uint64_t header_len = 0;
  std::memcpy(&header_len, base, 8);
  if (header_len > kMaxHeaderBytes) {
    fail(path, "header length is above the sane cap (expected at most {}, got {})", kMaxHeaderBytes,
         header_len);
  }
  if (header_len > file_size - 8) {
    fail(path, "header length is larger than the file (expected at most {}, got {})", file_size - 8,
         header_len);
  }
  const uint64_t data_size = file_size - 8 - header_len;
  const std::byte* data_start = base + 8 + header_len;

  // The callback sees every key, which the parsed object does not: nlohmann
  // keeps one value per repeated key, and its std::map loses the header order
  // (ordered_json would keep it, but its linear key lookup is quadratic on a
  // hostile header). It also stops nesting that no valid header has.
  std::vector<std::set<std::string>> open_objects;  // keys seen, per open object
  std::vector<std::string> order;                   // top-level keys as written
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    using Event = Json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth >= 3) {
      fail(path, "header nests deeper than a safetensors header (expected at most 3 levels, got more)");
    }
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end) open_objects.pop_back();
    if (event == Event::key) {
      auto key = parsed.get<std::string>();
      if (!open_objects.back().insert(key).second) {
        if (depth == 1) fail_tensor(path, key, "appears more than once in the header");
        fail(path, "header repeats the key '{}' inside an object", printable(key));
      }
      if (depth == 1) order.push_back(std::move(key));
    }
    return true;
  };
  Json header;
  try {
    std::string_view text(reinterpret_cast<const char*>(base + 8), header_len);
    header = Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::exception& e) {
    fail(path, "header is not valid JSON: {}", printable(e.what()));
  }
  if (!header.is_object()) {
    fail(path, "header is not a JSON object (expected object, got {})", header.type_name());
  }

  ParsedHeader out;
  for (const std::string& name : order) {
    const Json& entry = header.at(name);
    if (name == kMetadataKey) {
      if (!entry.is_object()) {
        fail(path, "__metadata__ is not an object (expected object, got {})", entry.type_name());
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          fail(path, "__metadata__ value for '{}' is not a string (expected string, got {})", printable(key),
               value.type_name());
        }
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) {
      fail_tensor(path, name, "entry is not an object (expected object, got {})", entry.type_name());
    }
    auto field = [&](const char* key, bool (Json::*has_type)() const noexcept,
                     const char* type) -> const Json& {
      auto it = entry.find(key);
      if (it == entry.end()) fail_tensor(path, name, "missing field '{}'", key);
      if (!((*it).*has_type)()) {
        fail_tensor(path, name, "{} has the wrong type (expected {}, got {})", key, type, it->type_name());
      }
      return *it;
    };

    TensorInfo info{name, DType::F32, {}, 1, nullptr, 0};
    const auto dtype_text = field("dtype", &Json::is_string, "string").get<std::string>();
    if (!parse_dtype(dtype_text, &info.dtype)) {
      fail_tensor(path, name, "dtype is not supported (expected F32, F16, BF16 or I64, got {})",
                  printable(dtype_text));
    }
    for (const Json& dim_json : field("shape", &Json::is_array, "array")) {
      auto dim = as_non_negative(dim_json);
      if (!dim || *dim > uint64_t{std::numeric_limits<int64_t>::max()}) {
        fail_tensor(path, name, "shape entry is not a non-negative integer (expected >= 0, got {})",
                    dim_json.dump());
      }
      info.shape.push_back(static_cast<int64_t>(*dim));
      if (__builtin_mul_overflow(info.numel, info.shape.back(), &info.numel)) {
        fail_tensor(path, name, "shape element count overflows int64 (expected at most {}, got {})",
                    std::numeric_limits<int64_t>::max(), entry.at("shape").dump());
      }
    }
    // Elements take at least 2 bytes, so a count above the data size can never
    // fit; rejecting it here also keeps numel * dtype_size from overflowing.
    if (static_cast<uint64_t>(info.numel) > data_size) {
      fail_tensor(path, name,
                  "shape {} has more elements than the data section has bytes (expected at most {}, got {})",
                  shape_string(info.shape), data_size, info.numel);
    }

    const Json& offsets = field("data_offsets", &Json::is_array, "array");
    auto begin = offsets.size() == 2 ? as_non_negative(offsets[0]) : std::nullopt;
    auto end = offsets.size() == 2 ? as_non_negative(offsets[1]) : std::nullopt;
    if (!begin || !end) {
      fail_tensor(path, name, "data_offsets is not two non-negative integers (expected [begin,end], got {})",
                  offsets.dump());
    }
    if (*begin > *end) {
      fail_tensor(path, name, "data_offsets begin is after end (expected begin <= end, got [{},{}])", *begin,
                  *end);
    }
    if (*end > data_size) {
      fail_tensor(path, name, "data_offsets run past the data section (expected end <= {}, got [{},{}])",
                  data_size, *begin, *end);
    }
    info.nbytes = static_cast<std::size_t>(info.numel) * dtype_size(info.dtype);
    if (*end - *begin != info.nbytes) {
      fail_tensor(path, name, "data_offsets span does not match {} {} (expected {} bytes, got {})",
                  dtype_text, shape_string(info.shape), info.nbytes, *end - *begin);
    }
    info.data = data_start + *begin;
    out.tensors.push_back(std::move(info));
  }

  // Gaps and trailing padding are allowed; shared bytes are not. Empty tensors
  // occupy no bytes, so they cannot overlap anything.
  std::vector<const TensorInfo*> by_begin;
  for (const TensorInfo& t : out.tensors) {
    if (t.nbytes > 0) by_begin.push_back(&t);
  }
  std::sort(by_begin.begin(), by_begin.end(), [](auto* a, auto* b) { return a->data < b->data; });
  for (std::size_t i = 1; i < by_begin.size(); ++i) {
    const TensorInfo& prev = *by_begin[i - 1];
    const TensorInfo& cur = *by_begin[i];
    if (prev.data + prev.nbytes > cur.data) {
      fail_tensor(path, cur.name, "data overlaps tensor '{}' (expected begin >= {}, got {})",
                  printable(prev.name), prev.data + prev.nbytes - data_start, cur.data - data_start);
    }
  }
  return out;
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
  }
  LITEVIT_ASSERT(false, "unknown DType");
}

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I64: return 8;
  }
  LITEVIT_ASSERT(false, "unknown DType");
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open: {}", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail(path, "cannot stat: {}", std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "not a regular file");
  }
  auto size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    fail(path, "file is {} (expected at least 8 bytes for the header length, got {})",
         size == 0 ? "empty" : "too short", size);
  }
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (mapping == MAP_FAILED) fail(path, "cannot mmap: {}", std::strerror(map_errno));

  // Owned from here on, so a validation error below unmaps via the destructor.
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->mapping_ = mapping;
  file->mapping_size_ = size;
  ParsedHeader parsed = parse_header(path, static_cast<const std::byte*>(mapping), size);
  file->tensors_ = std::move(parsed.tensors);
  file->metadata_ = std::move(parsed.metadata);
  for (std::size_t i = 0; i < file->tensors_.size(); ++i) file->index_.emplace(file->tensors_[i].name, i);
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<float> SafetensorsFile::read_f32(const TensorInfo& tensor) const {
  LITEVIT_ASSERT(find(tensor.name) == &tensor, "read_f32: tensor does not belong to this file");
  std::vector<float> out(static_cast<std::size_t>(tensor.numel));
  if (tensor.dtype == DType::F32) {
    if (tensor.nbytes > 0) std::memcpy(out.data(), tensor.data, tensor.nbytes);  // empty: data() may be null
  } else if (tensor.dtype == DType::F16 || tensor.dtype == DType::BF16) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      uint16_t bits = 0;
      std::memcpy(&bits, tensor.data + 2 * i, 2);
      out[i] = tensor.dtype == DType::F16 ? f16_to_f32(bits) : bf16_to_f32(bits);
    }
  } else {
    fail_tensor(path_, tensor.name, "cannot read as floats (expected F32, F16 or BF16, got {})",
                dtype_name(tensor.dtype));
  }
  release_pages(tensor);
  return out;
}

void SafetensorsFile::release_pages(const TensorInfo& tensor) const {
  if (tensor.nbytes == 0) return;
  // Whole pages around the tensor: a neighbour's share of a boundary page is
  // simply read from the file again (the mapping is private and read-only).
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(tensor.data) / page * page;
  const auto end = (reinterpret_cast<uintptr_t>(tensor.data) + tensor.nbytes + page - 1) / page * page;
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);   // advice: failure changes nothing
}

std::vector<int64_t> SafetensorsFile::read_i64(const TensorInfo& tensor) const {
  LITEVIT_ASSERT(find(tensor.name) == &tensor, "read_i64: tensor does not belong to this file");
  if (tensor.dtype != DType::I64) {
    fail_tensor(path_, tensor.name, "cannot read as integers (expected I64, got {})",
                dtype_name(tensor.dtype));
  }
  std::vector<int64_t> out(static_cast<std::size_t>(tensor.numel));
  if (tensor.nbytes > 0) std::memcpy(out.data(), tensor.data, tensor.nbytes);
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  auto fail_write = [&](const std::string& reason) {
    throw Error(fmt::format("writing safetensors '{}': {}", path, reason));
  };
  // ordered_json writes the tensors in the caller's order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::set<std::string_view> names;
  std::vector<std::size_t> sizes;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    if (t.name == kMetadataKey || !names.insert(t.name).second) {
      fail_write(fmt::format("tensor '{}': name is {}", printable(t.name),
                             t.name == kMetadataKey ? "reserved" : "used more than once"));
    }
    int64_t numel = 1;
    std::size_t nbytes = 0;
    for (int64_t dim : t.shape) {
      if (dim < 0 || __builtin_mul_overflow(numel, dim, &numel)) {
        fail_write(fmt::format("tensor '{}': invalid shape {}", printable(t.name), shape_string(t.shape)));
      }
    }
    if (__builtin_mul_overflow(static_cast<std::size_t>(numel), dtype_size(t.dtype), &nbytes)) {
      fail_write(fmt::format("tensor '{}': shape {} is too large", printable(t.name), shape_string(t.shape)));
    }
    LITEVIT_ASSERT(t.data != nullptr || nbytes == 0, "write_safetensors: tensor data is null");
    header[t.name] = {
        {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + nbytes}}};
    sizes.push_back(nbytes);
    offset += nbytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // e.g. a name that is not UTF-8
    fail_write(fmt::format("cannot encode the header: {}", printable(e.what())));
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  uint64_t header_len = text.size();

  // A temporary in the same directory, renamed at the end: rename() is atomic,
  // so readers never see a half-written file.
  std::string tmp_path = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp_path.data());
  if (fd < 0) fail_write(fmt::format("cannot create '{}': {}", tmp_path, std::strerror(errno)));
  auto fail_cleanup = [&](const char* action) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp_path.c_str());
    fail_write(fmt::format("cannot {} '{}': {}", action, tmp_path, std::strerror(err)));
  };
  auto write_all = [&](const void* bytes, std::size_t n) {
    for (const char* p = static_cast<const char*>(bytes); n > 0;) {
      ssize_t written = ::write(fd, p, n);
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) fail_cleanup("write");
      p += written;
      n -= static_cast<std::size_t>(written);
    }
  };
  if (::fchmod(fd, 0644) != 0) fail_cleanup("chmod");  // mkstemp creates 0600
  write_all(&header_len, 8);
  write_all(text.data(), text.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) write_all(tensors[i].data, sizes[i]);
  if (::fsync(fd) != 0) fail_cleanup("sync");
  int close_result = ::close(fd);
  fd = -1;
  if (close_result != 0) fail_cleanup("close");
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) fail_cleanup("rename");
}

float f16_to_f32(uint16_t bits) {
  uint32_t sign = uint32_t{bits & 0x8000u} << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in fp32
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(magnitude));
  }
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));  // inf, nan
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

uint16_t f32_to_f16(float value) {
  uint32_t x = std::bit_cast<uint32_t>(value);
  auto sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t abs = x & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00 | ((abs >> 13) & 0x3ff);  // nan stays nan (quiet)
  if (abs >= 0x477ff000) return sign | 0x7c00;                         // >= 65520 rounds past 65504: inf
  // Shift the 24-bit significand right, rounding to nearest even.
  auto round_shift = [](uint32_t m, uint32_t shift) {
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    return q + ((rem > half || (rem == half && (q & 1))) ? 1 : 0);
  };
  uint32_t exponent = abs >> 23;
  uint32_t significand = (abs & 0x7fffff) | 0x800000;
  if (exponent < 113) {  // below 2^-14: an f16 subnormal, in units of 2^-24
    uint32_t shift = 126 - exponent;
    if (shift > 24) return sign;  // below 2^-25 (half the smallest subnormal): zero
    return static_cast<uint16_t>(sign | round_shift(significand, shift));
  }
  // A carry out of the mantissa correctly bumps the exponent.
  return static_cast<uint16_t>(sign | (((exponent - 112) << 10) + round_shift(significand & 0x7fffff, 13)));
}

}  // namespace litevit::io
