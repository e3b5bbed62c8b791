#pragma once
// An immutable JSON value whose copies share one allocation, and the interner that makes equal
// values share it. A task's handler config is held this way: at 100,000 tasks nearly all of
// them hold the same few configs (a handler's defaults under a type's preset), and one JSON
// object per task was a quarter of the daemon's memory (about 370 of 1,366 bytes per task, by
// bench/task_memory).
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

namespace maintd::config {

class SharedJson {
 public:
  SharedJson();                      // null
  SharedJson(nlohmann::json value);  // NOLINT(google-explicit-constructor): reads as a json

  const nlohmann::json& get() const { return *value_; }
  operator const nlohmann::json&() const { return *value_; }  // NOLINT: read where a json is
  const nlohmann::json& operator*() const { return *value_; }
  const nlohmann::json* operator->() const { return value_.get(); }

  friend bool operator==(const SharedJson& a, const SharedJson& b) {
    return a.value_ == b.value_ || *a.value_ == *b.value_;
  }
  // Whether both share one allocation (the interner's doing).
  bool shares_with(const SharedJson& other) const { return value_ == other.value_; }

 private:
  std::shared_ptr<const nlohmann::json> value_;
};

// Hands out one SharedJson per distinct value seen. Lives as long as one load of the
// configuration: what it has handed out stays valid after it is gone.
class JsonInterner {
 public:
  SharedJson intern(nlohmann::json value);

 private:
  struct ByValue {
    bool operator()(const SharedJson& a, const SharedJson& b) const { return *a < *b; }
  };
  std::set<SharedJson, ByValue> seen_;
};

}  // namespace maintd::config
