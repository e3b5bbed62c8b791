#include "common/json_kind.hpp"

namespace maintd {

std::string json_value_kind(const nlohmann::json& value) {
  using nlohmann::json;
  switch (value.type()) {
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    case json::value_t::array:
      return "a list";
    case json::value_t::object:
      return "a map";
    case json::value_t::null:
      return "nothing";
    default:
      return "a value";
  }
}

}  // namespace maintd
