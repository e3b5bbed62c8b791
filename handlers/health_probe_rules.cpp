#include "handlers/health_probe_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include "common/duration.hpp"
#include "common/json_kind.hpp"
#include "common/json_text.hpp"
#include "common/suggest.hpp"
#include "handlers/support/http_config.hpp"
#include "handlers/support/statement_text.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;

const std::vector<std::string> kKinds = {"sql", "tcp", "http"};
const std::vector<std::string> kSqlKeys = {"name",       "kind",       "database",   "query",
                                           "warn_above", "fail_above", "warn_below", "fail_below"};
const std::vector<std::string> kTcpKeys = {"name",           "kind",       "host",
                                           "port",           "timeout",    "redis_ping",
                                           "redis_password", "warn_above", "fail_above"};
const std::vector<std::string> kHttpKeys = {"name",       "kind",       "url",
                                            "timeout",    "ca_file",    "expect_status",
                                            "warn_above", "fail_above", "secret_query_params"};

const std::vector<std::string>& keys_of(const std::string& kind) {
  return kind == "sql" ? kSqlKeys : kind == "tcp" ? kTcpKeys : kHttpKeys;
}

// The thresholds in the order their values must rise.
constexpr std::array<const char*, 4> kThresholdOrder = {"fail_below", "warn_below", "warn_above",
                                                        "fail_above"};

constexpr std::chrono::seconds kMinTimeout{1};
constexpr std::chrono::seconds kMaxTimeout{300};
constexpr std::size_t kShownLength = 40;

// What a value is, without the value: for keys whose value must never be printed.
std::string kind_of(const json& value) {
  return json_value_kind(value);
}

// What a value is, and the value: "a string ('lots')", as the schema's own messages say it.
std::string described(const json& value) {
  if (value.is_array() || value.is_object() || value.is_null()) return kind_of(value);
  std::string shown = value.is_string() ? value.get<std::string>() : json_text(value);
  if (shown.size() > kShownLength) shown = shown.substr(0, kShownLength - 3) + "...";
  return fmt::format("{} ('{}')", kind_of(value), shown);
}

std::string expected(std::string_view what, const json& value) {
  return fmt::format("expected {}, got {}", what, described(value));
}

// The checks of one probe, each problem prefixed with the probe's label.
class ProbeCheck {
 public:
  ProbeCheck(const json& probe, std::size_t number, const std::set<std::string>& databases,
             std::map<std::string, std::size_t>& names, std::vector<std::string>& problems)
      : probe_(probe),
        number_(number),
        databases_(databases),
        names_(names),
        problems_(problems),
        label_(fmt::format("probe {}", number)) {}

  void run() {
    check_name();
    const auto kind = check_kind();
    if (!kind) return;
    check_unknown_keys(*kind, keys_of(*kind));
    if (*kind == "sql") {
      check_database();
      check_query();
      check_thresholds({"fail_below", "warn_below", "warn_above", "fail_above"});
    } else if (*kind == "tcp") {
      check_host();
      check_port();
      check_timeout();
      check_redis();
      check_thresholds({"warn_above", "fail_above"});
    } else {
      check_url();
      check_timeout();
      check_http_options();
      check_thresholds({"warn_above", "fail_above"});
    }
  }

 private:
  void problem(std::string_view key, const std::string& message) {
    problems_.push_back(key.empty() ? fmt::format("{}: {}", label_, message)
                                    : fmt::format("{}: {}: {}", label_, key, message));
  }

  const json* find(const char* key) const {
    const auto it = probe_.find(key);
    return it == probe_.end() ? nullptr : &*it;
  }

  void check_name() {
    const json* name = find("name");
    if (name == nullptr) {
      problem("", "missing 'name' (each probe has one: its result and its alerts carry it)");
      return;
    }
    if (!name->is_string() || name->get_ref<const std::string&>().empty()) {
      problem("name", expected("a name", *name));
      return;
    }
    const auto& text = name->get_ref<const std::string&>();
    label_ = fmt::format("probe {} ('{}')", number_, text);
    if (const auto it = names_.find(text); it != names_.end()) {
      problem("name", fmt::format("probe {} is named '{}' too: each probe has a name of its own",
                                  it->second, text));
    } else {
      names_.emplace(text, number_);
    }
  }

  std::optional<std::string> check_kind() {
    const json* kind = find("kind");
    if (kind == nullptr) {
      problem("", "missing 'kind' (sql, tcp or http)");
      return std::nullopt;
    }
    if (!kind->is_string()) {
      problem("kind", expected("sql, tcp or http", *kind));
      return std::nullopt;
    }
    const auto& text = kind->get_ref<const std::string&>();
    if (std::find(kKinds.begin(), kKinds.end(), text) == kKinds.end()) {
      problem("kind", fmt::format("'{}' is not one of: sql, tcp, http{}", text,
                                  did_you_mean(text, kKinds)));
      return std::nullopt;
    }
    return text;
  }

  void check_unknown_keys(const std::string& kind, const std::vector<std::string>& keys) {
    const auto taken = fmt::format("{}", fmt::join(keys, ", "));
    const auto a_probe = fmt::format("{} {} probe", kind == "http" ? "an" : "a", kind);
    for (const auto& [key, value] : probe_.items()) {
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
      // A key of another kind is no typo: say whose it is rather than guess a neighbour.
      std::vector<std::string> owners;
      for (const auto& other : kKinds) {
        const auto& other_keys = keys_of(other);
        if (std::find(other_keys.begin(), other_keys.end(), key) != other_keys.end()) {
          owners.push_back(other);
        }
      }
      std::string hint;
      if (!owners.empty()) {
        hint = fmt::format(" (only {} probes take it; {} takes: {})", fmt::join(owners, " and "),
                           a_probe, taken);
      } else {
        hint = did_you_mean(key, keys);
        if (hint.empty()) hint = fmt::format(" (it takes: {})", taken);
      }
      problem("", fmt::format("unknown key '{}' for {}{}", key, a_probe, hint));
    }
  }

  // A key every probe of its kind gives, as a non-empty string.
  const std::string* required_text(const char* key, std::string_view what) {
    const json* value = find(key);
    if (value == nullptr) {
      problem("", fmt::format("missing '{}' ({})", key, what));
      return nullptr;
    }
    if (!value->is_string() || value->get_ref<const std::string&>().empty()) {
      problem(key, expected(what, *value));
      return nullptr;
    }
    return &value->get_ref<const std::string&>();
  }

  void check_database() {
    const auto* name = required_text("database", "the name of a database under 'databases:'");
    if (name == nullptr || databases_.contains(*name)) return;
    if (databases_.empty()) {
      problem("database", fmt::format("unknown database '{}': no databases are declared (add it "
                                      "under 'databases:' in maintd.yaml)",
                                      *name));
      return;
    }
    const std::vector<std::string> declared(databases_.begin(), databases_.end());
    problem("database", fmt::format("unknown database '{}'{} (declared: {})", *name,
                                    did_you_mean(*name, declared), fmt::join(declared, ", ")));
  }

  void check_query() {
    const auto* query = required_text("query", "an SQL query returning one number");
    if (query == nullptr) return;
    const auto text = without_comments(*query);
    if (statement_summary(text).empty()) {
      problem("query", "is only comments: give a query returning one number");
      return;
    }
    const auto scan = scan_parameters(text);
    if (!scan.names.empty()) {
      problem("query", fmt::format("uses :{}, but a probe's query takes no parameters (write the "
                                   "value in the query)",
                                   scan.names.front()));
    }
  }

  void check_host() { required_text("host", "a host name or address"); }

  std::vector<std::string> secret_params() const {
    std::vector<std::string> names;
    const json* listed = find("secret_query_params");
    if (listed == nullptr || !listed->is_array()) return names;
    for (const auto& name : *listed) {
      if (name.is_string()) names.push_back(name.get<std::string>());
    }
    return names;
  }

  void check_url() {
    const json* url = find("url");
    if (url == nullptr) {
      problem("", "missing 'url' (http:// or https://, the endpoint to call)");
      return;
    }
    if (auto trouble = http_url_problem(*url, secret_params())) problem("url", *trouble);
  }

  void check_http_options() {
    if (const json* statuses = find("expect_status")) {
      const bool ok = statuses->is_array() && !statuses->empty() &&
                      std::all_of(statuses->begin(), statuses->end(), [](const json& status) {
                        return status.is_number_integer() && status.get<long long>() >= 100 &&
                               status.get<long long>() <= 599;
                      });
      if (!ok) problem("expect_status", expected("a list of statuses from 100 to 599", *statuses));
    }
    if (const json* ca_file = find("ca_file")) {
      if (auto trouble = file_path_problem(*ca_file)) problem("ca_file", *trouble);
    }
    if (const json* params = find("secret_query_params")) {
      const bool ok =
          params->is_array() && std::all_of(params->begin(), params->end(),
                                            [](const json& name) { return name.is_string(); });
      if (!ok) problem("secret_query_params", expected("a list of parameter names", *params));
    }
  }

  void check_port() {
    const json* port = find("port");
    if (port == nullptr) {
      problem("", "missing 'port' (1 to 65535)");
      return;
    }
    if (!port->is_number_integer() || port->get<long long>() < 1 ||
        port->get<long long>() > 65535) {
      problem("port", expected("an integer from 1 to 65535", *port));
    }
  }

  void check_timeout() {
    const json* timeout = find("timeout");
    if (timeout == nullptr) return;
    if (!timeout->is_string()) {
      problem("timeout", expected("a duration such as 5s or 1m", *timeout));
      return;
    }
    const auto& text = timeout->get_ref<const std::string&>();
    const auto parsed = parse_duration(text);
    if (!parsed) {
      problem("timeout", parsed.error());
    } else if (*parsed < kMinTimeout || *parsed > kMaxTimeout) {
      problem("timeout", fmt::format("'{}' is outside {} to {}", text, format_duration(kMinTimeout),
                                     format_duration(kMaxTimeout)));
    }
  }

  void check_redis() {
    const json* ping = find("redis_ping");
    if (ping != nullptr && !ping->is_boolean()) {
      problem("redis_ping", expected("true or false", *ping));
    }
    const json* password = find("redis_password");
    if (password == nullptr) return;
    // Never the value: it is a secret, whatever its type.
    if (!password->is_string()) {
      problem("redis_password", fmt::format("expected a string, got {}", kind_of(*password)));
    } else if (password->get_ref<const std::string&>().empty()) {
      problem("redis_password", "is empty (leave it out for a server without a password)");
    } else if (ping == nullptr || !ping->is_boolean() || !ping->get<bool>()) {
      problem("redis_password", "is sent only with redis_ping: true");
    }
  }

  void check_thresholds(const std::vector<std::string>& taken) {
    std::vector<std::pair<const char*, const json*>> set;
    bool all_numbers = true;
    for (const char* key : kThresholdOrder) {
      const json* value = find(key);
      if (value == nullptr) continue;
      if (std::find(taken.begin(), taken.end(), key) == taken.end()) continue;  // unknown key
      if (!value->is_number()) {
        problem(key, expected("a number", *value));
        all_numbers = false;
        continue;
      }
      set.emplace_back(key, value);
    }
    if (!all_numbers) return;
    for (std::size_t i = 1; i < set.size(); ++i) {
      const auto& [low_key, low] = set[i - 1];
      const auto& [high_key, high] = set[i];
      if (low->get<double>() < high->get<double>()) continue;
      problem("", fmt::format("{} ({}) must be below {} ({}): the thresholds rise in the order "
                              "fail_below, warn_below, warn_above, fail_above",
                              low_key, json_text(*low), high_key, json_text(*high)));
      return;
    }
  }

  const json& probe_;
  std::size_t number_;
  const std::set<std::string>& databases_;
  std::map<std::string, std::size_t>& names_;
  std::vector<std::string>& problems_;
  std::string label_;
};

std::optional<double> number_at(const json& probe, const char* key) {
  const auto it = probe.find(key);
  if (it == probe.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

std::vector<std::string> check_probes(const json& probes,
                                      const std::set<std::string>& declared_databases) {
  std::vector<std::string> problems;
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (!probes[i].is_object()) continue;  // the schema said so
    ProbeCheck(probes[i], i + 1, declared_databases, names, problems).run();
  }
  return problems;
}

std::chrono::seconds probe_timeout(const json& probe) {
  const auto it = probe.find("timeout");
  if (it == probe.end() || !it->is_string()) return kDefaultProbeTimeout;
  const auto parsed = parse_duration(it->get_ref<const std::string&>());
  return parsed ? *parsed : kDefaultProbeTimeout;
}

const char* to_string(ProbeStatus status) {
  switch (status) {
    case ProbeStatus::ok:
      return "ok";
    case ProbeStatus::warn:
      return "warn";
    case ProbeStatus::fail:
      return "fail";
  }
  return "?";
}

Thresholds Thresholds::of(const json& probe) {
  return {number_at(probe, "fail_below"), number_at(probe, "warn_below"),
          number_at(probe, "warn_above"), number_at(probe, "fail_above")};
}

Thresholds::Verdict Thresholds::judge(double value, const std::string& shown) const {
  const auto verdict = [&](ProbeStatus status, const char* key, double limit, const char* side) {
    return Verdict{status, fmt::format("{} is {} {} {}", shown, side, key, limit)};
  };
  if (fail_below && value < *fail_below) {
    return verdict(ProbeStatus::fail, "fail_below", *fail_below, "below");
  }
  if (fail_above && value > *fail_above) {
    return verdict(ProbeStatus::fail, "fail_above", *fail_above, "above");
  }
  if (warn_below && value < *warn_below) {
    return verdict(ProbeStatus::warn, "warn_below", *warn_below, "below");
  }
  if (warn_above && value > *warn_above) {
    return verdict(ProbeStatus::warn, "warn_above", *warn_above, "above");
  }
  return {};
}

}  // namespace maintd::handlers
