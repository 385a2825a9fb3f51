// Reading and writing safetensors files (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length N, N bytes of JSON mapping each tensor
// name to {dtype, shape, data_offsets:[begin,end]} (offsets relative to the
// data section), an optional "__metadata__" string map, then the raw data.
//
// The reader memory-maps the file and validates everything a hostile file
// could lie about before any tensor is handed out: header length against the
// file size and a sane cap, JSON syntax, known dtypes, shape products without
// overflow, offsets inside the data section and equal to dtype x shape, no
// overlaps. Every failure throws litevit::Error naming the file, the tensor
// and what is wrong. Offsets need not be aligned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace litevit::io {

enum class DType { F32, F16, BF16, I64 };

const char* dtype_name(DType dtype);     // "F32", "F16", "BF16", "I64"
std::size_t dtype_size(DType dtype);     // bytes per element

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;   // [] for a 0-d tensor
  int64_t numel;                // product of shape (1 for 0-d)
  const std::byte* data;        // inside the mapping; may be unaligned
  std::size_t nbytes;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; throws litevit::Error on any problem.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }   // header order
  const TensorInfo* find(std::string_view name) const;                 // nullptr if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The tensor's values as fp32 (F32 copied, F16/BF16 upcast exactly).
  // Throws litevit::Error for integer tensors. The tensor's pages of the
  // mapping are then given back (madvise DONTNEED: a later read maps them
  // from the file again), so a converted checkpoint is not resident twice.
  std::vector<float> read_f32(const TensorInfo& tensor) const;
  // The tensor's values as int64 (I64 only); throws litevit::Error otherwise.
  std::vector<int64_t> read_i64(const TensorInfo& tensor) const;

 private:
  SafetensorsFile() = default;
  void release_pages(const TensorInfo& tensor) const;
  std::string path_;
  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;              // numel * dtype_size(dtype) bytes, little-endian
};

// Writes tensors in the given order, contiguous, header padded with spaces to a
// multiple of 8. Names must be unique. Writes to a temporary file in the same
// directory and renames it, so a failed write never leaves a half file behind.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// fp16/bf16 <-> fp32 conversions (round to nearest even when narrowing).
float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);

}  // namespace litevit::io
