// Reading a family's typed config from JSON kwargs named like the reference
// constructor's arguments. Every key must be read; finish() reports the
// keys nobody read as unknown, listing the known ones.
//
//   KwargsReader r(kwargs, "vit 'vit_tiny_patch16_224'");
//   r.read("embed_dim", config.embed_dim);
//   r.ignore({"drop_rate", "drop_path_rate"});   // training-only arguments
//   r.finish();
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace litevit::models {

class KwargsReader {
 public:
  KwargsReader(const nlohmann::json& kwargs, std::string what);

  void read(const char* key, int64_t& value);
  void read(const char* key, double& value);
  void read(const char* key, float& value);
  void read(const char* key, bool& value);
  void read(const char* key, std::string& value);
  void read(const char* key, std::vector<int64_t>& value);
  // An int or a pair [h, w] (img_size, patch_size): both entries must be equal
  // unless `allow_rect`.
  void read_size(const char* key, int64_t& height, int64_t& width);
  // Raw JSON (nested block lists); null if absent.
  const nlohmann::json* raw(const char* key);
  // Accepted and not used (dropout rates and other training-only arguments).
  void ignore(std::initializer_list<const char*> keys);
  // Throws litevit::Error if a key was never read.
  void finish() const;

  [[noreturn]] void fail(const char* key, const std::string& reason) const;

 private:
  const nlohmann::json* lookup(const char* key);
  const nlohmann::json& kwargs_;
  std::string what_;
  std::set<std::string> known_;
};

}  // namespace litevit::models
