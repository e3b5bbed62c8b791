#include "config/shared_json.hpp"

namespace maintd::config {
namespace {

// Every default-constructed SharedJson points here: a task built field by field (tests, table
// rows) costs no allocation until its config is set. Immutable, so sharing it is safe.
const std::shared_ptr<const nlohmann::json>& shared_null() {
  static const auto null = std::make_shared<const nlohmann::json>();
  return null;
}

}  // namespace

SharedJson::SharedJson() : value_(shared_null()) {}

SharedJson::SharedJson(nlohmann::json value)
    : value_(std::make_shared<const nlohmann::json>(std::move(value))) {}

SharedJson JsonInterner::intern(nlohmann::json value) {
  SharedJson candidate(std::move(value));
  return *seen_.insert(std::move(candidate)).first;
}

}  // namespace maintd::config
