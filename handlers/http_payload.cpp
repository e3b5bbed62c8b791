#include "handlers/http_payload.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "common/ascii.hpp"
#include "common/instant.hpp"
#include "common/json_parse.hpp"
#include "common/utf8.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;

// The placeholders and their values, as text and as JSON.
std::array<std::pair<std::string_view, json>, 4> placeholders(const RunValues& values) {
  return {{{"{run_id}", values.run_id},
           {"{task}", values.task},
           {"{slot}", values.slot ? json(*values.slot) : json(nullptr)},
           {"{dry_run}", values.dry_run}}};
}

std::string as_text(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

bool says_json(const std::string& content_type) {
  const auto type = ascii_lower(content_type.substr(0, content_type.find(';')));
  return type == "application/json" || type.ends_with("+json");
}

}  // namespace

RunValues run_values(const registry::HandlerContext& context) {
  RunValues values;
  values.run_id = context.run_id;
  values.task = context.task_name;
  if (context.slot) {
    values.slot = format_utc(std::chrono::floor<std::chrono::seconds>(*context.slot));
  }
  values.dry_run = context.dry_run;
  return values;
}

std::string fill_placeholders(std::string_view text, const RunValues& values) {
  const auto known = placeholders(values);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto found = std::find_if(known.begin(), known.end(), [&](const auto& placeholder) {
      return text.substr(i).starts_with(placeholder.first);
    });
    if (found == known.end()) {
      out += text[i++];
    } else {
      out += as_text(found->second);
      i += found->first.size();
    }
  }
  return out;
}

json fill_placeholders(const json& value, const RunValues& values) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    for (const auto& [name, typed] : placeholders(values)) {
      if (text == name) return typed;
    }
    return fill_placeholders(std::string_view(text), values);
  }
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, child] : value.items()) out[key] = fill_placeholders(child, values);
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const auto& child : value) out.push_back(fill_placeholders(child, values));
    return out;
  }
  return value;
}

json response_body(const std::string& body, const std::string& content_type, bool truncated) {
  const auto start = body.find_first_not_of(" \t\r\n");
  const bool looks_like_json =
      start != std::string::npos && (body[start] == '{' || body[start] == '[');
  if (!truncated && (says_json(content_type) || (content_type.empty() && looks_like_json))) {
    if (auto parsed = parse_json(body)) return std::move(parsed).value();
  }
  return valid_utf8(body);
}

std::string body_excerpt(std::string_view body, std::size_t limit) {
  std::string out;
  for (const char c : body.substr(0, limit)) {
    out += c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
  }
  out = valid_utf8(out);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (body.size() > limit) out += "...";
  return out;
}

}  // namespace maintd::handlers
