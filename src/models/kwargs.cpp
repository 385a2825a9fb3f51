#include "models/kwargs.h"

#include <fmt/format.h>

#include "litevit/error.h"

namespace litevit::models {

KwargsReader::KwargsReader(const nlohmann::json& kwargs, std::string what) : kwargs_(kwargs), what_(std::move(what)) {
  if (!kwargs_.is_object()) {
    throw Error(fmt::format("configuring {}: kwargs must be a JSON object, got {}", what_, kwargs_.dump()));
  }
}

void KwargsReader::fail(const char* key, const std::string& reason) const {
  throw Error(fmt::format("configuring {}: kwarg '{}' {}", what_, key, reason));
}

const nlohmann::json* KwargsReader::lookup(const char* key) {
  known_.insert(key);
  auto it = kwargs_.find(key);
  return it == kwargs_.end() ? nullptr : &*it;
}

void KwargsReader::read(const char* key, int64_t& value) {
  if (const auto* j = lookup(key)) {
    if (!j->is_number_integer()) fail(key, fmt::format("must be an integer, got {}", j->dump()));
    value = j->get<int64_t>();
  }
}

void KwargsReader::read(const char* key, double& value) {
  if (const auto* j = lookup(key)) {
    if (!j->is_number()) fail(key, fmt::format("must be a number, got {}", j->dump()));
    value = j->get<double>();
  }
}

void KwargsReader::read(const char* key, float& value) {
  double v = value;
  read(key, v);
  value = static_cast<float>(v);
}

void KwargsReader::read(const char* key, bool& value) {
  if (const auto* j = lookup(key)) {
    if (!j->is_boolean()) fail(key, fmt::format("must be true or false, got {}", j->dump()));
    value = j->get<bool>();
  }
}

void KwargsReader::read(const char* key, std::string& value) {
  if (const auto* j = lookup(key)) {
    if (j->is_null()) value.clear();
    else if (j->is_string()) value = j->get<std::string>();
    else fail(key, fmt::format("must be a string, got {}", j->dump()));
  }
}

void KwargsReader::read(const char* key, std::vector<int64_t>& value) {
  if (const auto* j = lookup(key)) {
    if (!j->is_array()) fail(key, fmt::format("must be a list of integers, got {}", j->dump()));
    value.clear();
    for (const auto& item : *j) {
      if (!item.is_number_integer()) fail(key, fmt::format("must be a list of integers, got {}", j->dump()));
      value.push_back(item.get<int64_t>());
    }
  }
}

void KwargsReader::read_size(const char* key, int64_t& height, int64_t& width) {
  if (const auto* j = lookup(key)) {
    if (j->is_number_integer()) {
      height = width = j->get<int64_t>();
    } else if (j->is_array() && j->size() == 2 && (*j)[0].is_number_integer() && (*j)[1].is_number_integer()) {
      height = (*j)[0].get<int64_t>();
      width = (*j)[1].get<int64_t>();
    } else {
      fail(key, fmt::format("must be an integer or a pair [height, width], got {}", j->dump()));
    }
    if (height <= 0 || width <= 0) fail(key, fmt::format("must be positive, got {}", j->dump()));
  }
}

const nlohmann::json* KwargsReader::raw(const char* key) { return lookup(key); }

void KwargsReader::ignore(std::initializer_list<const char*> keys) {
  for (const char* key : keys) known_.insert(key);
}

void KwargsReader::finish() const {
  for (const auto& [key, value] : kwargs_.items()) {
    if (!known_.contains(key)) {
      throw Error(fmt::format("configuring {}: unknown kwarg '{}' (known: {})", what_, key, fmt::join(known_, ", ")));
    }
  }
}

}  // namespace litevit::models
