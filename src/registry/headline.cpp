// A handler's headline count and its result in words (headline.hpp).
#include "registry/headline.hpp"

#include <fmt/format.h>

#include <cmath>

namespace maintd::registry {
namespace {

using nlohmann::json;

// The value of a member as a count: numbers, booleans (1/0), arrays (their length).
std::optional<double> as_count(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (value.is_array()) return static_cast<double>(value.size());
  return std::nullopt;
}

std::string replace_value(const std::string& text, const std::string& value) {
  const auto at = text.find("{}");
  if (at == std::string::npos) return text;
  std::string out = text.substr(0, at) + value + text.substr(at + 2);
  // "released {} the claim" with true: no double space where the value was.
  if (value.empty()) {
    for (std::size_t i = out.find("  "); i != std::string::npos; i = out.find("  ")) {
      out.erase(i, 1);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  }
  return out;
}

// One phrase for `result`, or nothing when it does not apply.
std::optional<std::string> phrase(const ResultPhrase& spec, const json& result) {
  const auto member = result.find(spec.key);
  if (member == result.end() || member->is_null()) return std::nullopt;
  const json& value = *member;
  const std::string& many = spec.many.empty() ? spec.one : spec.many;
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty() && !spec.when_zero) return std::nullopt;
    return replace_value(spec.one, text);
  }
  if (value.is_boolean()) {
    if (!value.get<bool>()) {
      if (!spec.when_zero) return std::nullopt;
      return replace_value(many, "0");
    }
    return replace_value(spec.one, "");
  }
  const auto count = as_count(value);
  if (!count) return std::nullopt;
  if (*count == 0 && !spec.when_zero) return std::nullopt;
  return replace_value(*count == 1 ? spec.one : many, count_text(*count));
}

}  // namespace

std::string count_text(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  if (value != std::floor(value) || std::fabs(value) >= 1e15) {
    return fmt::format("{:.1f}", value);
  }
  const long long whole = static_cast<long long>(value);
  std::string digits = std::to_string(whole < 0 ? -whole : whole);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return whole < 0 ? "-" + out : out;
}

std::optional<double> headline_count(const Headline& headline, const nlohmann::json& result,
                                     bool dry_run) {
  if (!result.is_object()) return std::nullopt;
  if (dry_run && !headline.dry_run_key.empty()) {
    if (auto it = result.find(headline.dry_run_key); it != result.end()) return as_count(*it);
  }
  const auto it = result.find(headline.key);
  return it == result.end() ? std::nullopt : as_count(*it);
}

std::string result_in_words(const Headline& headline, const nlohmann::json& result, bool dry_run) {
  if (!result.is_object()) return {};
  std::string out;
  const auto add = [&](const std::vector<ResultPhrase>& phrases) {
    for (const auto& spec : phrases) {
      if (auto text = phrase(spec, result)) {
        if (!out.empty()) out += ", ";
        out += *text;
      }
    }
  };
  if (dry_run) {
    if (headline.dry_run_words.empty()) {
      add({{headline.dry_run_key, "would change {} row", "would change {} rows", true}});
    } else {
      add(headline.dry_run_words);
    }
  } else {
    add(headline.words);
  }
  return out.empty() ? headline.none : out;
}

}  // namespace maintd::registry
