#include "handlers/support/http_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/json_kind.hpp"
#include "outbound/headers.hpp"
#include "outbound/url.hpp"

namespace maintd::handlers {

using nlohmann::json;

std::optional<std::string> http_url_problem(const json& url,
                                            const std::vector<std::string>& secret_query_params) {
  if (!url.is_string()) return fmt::format("expected a URL, got {}", json_value_kind(url));
  const auto parsed = outbound::parse_url(url.get_ref<const std::string&>(), secret_query_params);
  if (parsed) return std::nullopt;
  return parsed.error();
}

std::vector<std::string> http_header_problems(const json& headers) {
  std::vector<std::string> problems;
  for (const auto& [name, value] : headers.items()) {
    if (!outbound::is_header_name(name)) {
      problems.push_back(fmt::format("'{}' is not a valid header name", name));
    } else if (outbound::is_reserved_header(name)) {
      problems.push_back(fmt::format("{}: maintd sets this header itself", name));
    } else if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
      problems.push_back(
          fmt::format("{}: expected a string (or {}_file: a file holding it), got {}", name, name,
                      json_value_kind(value)));
    } else if (value.is_string() &&
               !outbound::is_header_value(value.get_ref<const std::string&>())) {
      problems.push_back(fmt::format(
          "{}: the value holds a line break or a NUL byte (not shown: header values may be "
          "secrets)",
          name));
    }
  }
  return problems;
}

std::optional<std::string> file_path_problem(const json& path) {
  if (!path.is_string()) return fmt::format("expected a file path, got {}", json_value_kind(path));
  const auto& text = path.get_ref<const std::string&>();
  if (text.starts_with('/')) return std::nullopt;
  return fmt::format(
      "'{}' is not an absolute path (the file is read when the request is made, "
      "not beside the configuration)",
      text);
}

std::string expected_statuses(const std::vector<long>& expect_status) {
  if (expect_status.empty()) return "2xx";
  if (expect_status.size() == 1) return std::to_string(expect_status.front());
  std::vector<long> first(expect_status.begin(), expect_status.end() - 1);
  return fmt::format("{} or {}", fmt::join(first, ", "), expect_status.back());
}

std::string failure_text(const outbound::Failure& failure, bool with_request) {
  std::string text = with_request ? failure.message : failure.reason;
  if (failure.kind == outbound::Failure::Kind::tls &&
      failure.message.find("certificate problem") != std::string::npos) {
    text += " (ca_file names the CA that issued the server's certificate)";
  } else if (failure.kind == outbound::Failure::Kind::tls &&
             (failure.message.find("alert certificate required") != std::string::npos ||
              failure.message.find("alert handshake failure") != std::string::npos)) {
    text += " (the server wants a client certificate: client_cert and client_key)";
  }
  return text;
}

std::vector<std::string> secret_query_params(const json& config) {
  std::vector<std::string> names;
  const auto it = config.find("secret_query_params");
  if (it == config.end() || !it->is_array()) return names;
  for (const auto& name : *it) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return names;
}

}  // namespace maintd::handlers
