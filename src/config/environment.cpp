#include "config/environment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace maintd::config {

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Expected<std::string, std::string> expand_variables(std::string_view text, const Environment& env,
                                                    std::size_t max_size) {
  std::string out;
  out.reserve(std::min(text.size(), max_size));
  // The length of the whole result; `out` holds it while it is within max_size.
  std::size_t size = 0;
  const auto append = [&](std::string_view piece) {
    size += piece.size();
    if (size <= max_size) out.append(piece);
  };
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] != '$' || pos + 1 == text.size()) {
      append(text.substr(pos, 1));
      continue;
    }
    if (text[pos + 1] == '$') {
      append("$");
      ++pos;
      continue;
    }
    if (text[pos + 1] != '{') {
      append("$");
      continue;
    }
    const std::size_t close = text.find('}', pos + 2);
    if (close == std::string_view::npos) {
      return Unexpected{
          fmt::format("unterminated '${{' in '{}' (write ${{NAME}}, or $$ for a "
                      "literal '$')",
                      text)};
    }
    const std::string_view inner = text.substr(pos + 2, close - pos - 2);
    const std::size_t dash = inner.find(":-");
    const std::string name(inner.substr(0, dash));
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') ||
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
            std::string::npos) {
      return Unexpected{
          fmt::format("'${{{}}}' is not a variable reference (names are letters, "
                      "digits and '_')",
                      inner)};
    }
    const auto value = env(name);
    if (dash != std::string_view::npos) {
      append(value && !value->empty() ? std::string_view(*value) : inner.substr(dash + 2));
    } else if (value) {
      append(*value);
    } else {
      return Unexpected{
          fmt::format("environment variable {} is not set (give a default with "
                      "${{{}:-value}})",
                      name, name)};
    }
    pos = close;
  }
  if (size > max_size) {
    return Unexpected{fmt::format(
        "value is {} bytes after ${{VAR}} expansion, more than the limit of {} (config values): "
        "shorten it, or the variables it uses",
        size, max_size)};
  }
  return out;
}

}  // namespace maintd::config
