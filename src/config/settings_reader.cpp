// maintd.yaml: databases, defaults, daemon settings, logging, HTTP, aliases and types.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <set>

#include "common/duration.hpp"
#include "common/json_text.hpp"
#include "common/suggest.hpp"
#include "config/readers.hpp"
#include "cron/time_zone.hpp"
#include "outbound/headers.hpp"
#include "outbound/url.hpp"

namespace maintd::config {
namespace {

using nlohmann::json;

bool is_database_name(const std::string& name) {
  if (name.empty() || !std::islower(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

// A database is a URL string, or a map with `url` and `password` (usually `password_file`).
std::optional<connection::DatabaseUrl> read_database(const json& value, const std::string& pointer,
                                                     const std::string& name, const SourceMap& map,
                                                     const std::filesystem::path& base_dir,
                                                     const connection::DatabaseTimeouts& timeouts,
                                                     connection::DatabaseRole role,
                                                     Diagnostics& diagnostics) {
  std::optional<std::string> url;
  std::optional<std::string> password;
  if (map.failed(pointer)) return std::nullopt;
  if (value.is_string()) {
    url = value.get<std::string>();
  } else if (value.is_object()) {
    Fields fields(value, pointer, map, diagnostics, name + ".");
    fields.allow_only({"url", "password"});
    url = fields.string("url", true);
    password = fields.string("password");
    if (!url || fields.failed("password")) return std::nullopt;
  } else {
    diagnostics.error(map.value(pointer),
                      fmt::format("{}: expected a database URL or a map with 'url', got {}", name,
                                  describe_value(value)));
    return std::nullopt;
  }
  const std::string at = value.is_object() ? child_pointer(pointer, "url") : pointer;
  auto parsed = connection::parse_database_url(*url, password, base_dir, map.from_file(at));
  if (!parsed) {
    diagnostics.error(map.value(at), fmt::format("{}: {}", name, parsed.error()));
    return std::nullopt;
  }
  connection::apply_database_timeouts(*parsed, timeouts, role);
  return *parsed;
}

// `database_timeouts:` (Config::database_timeouts, a connection::DatabaseTimeouts). Every value
// must be positive: a limit of 0 would be no limit, and the point is that no wait is without one. A
// URL that really wants none says so itself (connect_timeout=0).
void read_database_timeouts(Fields& fields, connection::DatabaseTimeouts& out) {
  fields.allow_only({"connect", "statement", "keepalives_idle", "keepalives_interval",
                     "keepalives_count", "tcp_user_timeout"});
  const auto positive = [&](const std::string& key, std::chrono::seconds& target,
                            std::chrono::seconds least, const std::string& why) {
    const auto value = fields.duration(key);
    if (!value) return;
    if (*value < least) {
      fields.error(key, fmt::format("{} is too short: at least {}{}", format_duration(*value),
                                    format_duration(least), why));
      return;
    }
    target = *value;
  };
  // libpq waits at least 2 s whatever it is told; a shorter value would be a promise not kept.
  positive("connect", out.connect, std::chrono::seconds(2), " (libpq's shortest connect_timeout)");
  positive("statement", out.statement, std::chrono::seconds(1), "");
  positive("keepalives_idle", out.keepalives_idle, std::chrono::seconds(1), "");
  positive("keepalives_interval", out.keepalives_interval, std::chrono::seconds(1), "");
  if (auto count = fields.integer("keepalives_count", 1, 100)) {
    out.keepalives_count = static_cast<int>(*count);
  }
  positive("tcp_user_timeout", out.tcp_user_timeout, std::chrono::seconds(1), "");
}

// Where the admin API listens when an `http:` section does not say.
constexpr std::string_view kDefaultHttpListen = "127.0.0.1:8089";

// Whether HOST of "HOST:PORT" can only be reached from this machine: without a token, the admin
// API must not be open to the network.
bool is_loopback_listen(const std::string& listen) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void read_http(Fields& http, HttpSettings& out) {
  http.allow_only({"listen", "token", "read_only_token", "metrics_public", "probes_public"});
  if (auto listen = http.string("listen")) {
    const auto colon = listen->rfind(':');
    int port = 0;
    const bool port_ok = colon != std::string::npos &&
                         std::sscanf(listen->c_str() + colon + 1, "%d", &port) == 1 && port >= 0 &&
                         port < 65536;
    // Port 0: the system picks a free port, which the daemon logs (tests, several instances).
    if (!port_ok) {
      http.error("listen", fmt::format("'{}' is not HOST:PORT with a port from 0 to 65535 (e.g. "
                                       "127.0.0.1:8089)",
                                       *listen));
    } else {
      out.listen = listen;
    }
  } else if (!http.failed("listen")) {
    // An `http:` section turns the API on; without `listen` it serves this machine only.
    out.listen = std::string(kDefaultHttpListen);
  }
  out.token = http.string("token");
  out.read_only_token = http.string("read_only_token");
  out.metrics_public = http.boolean("metrics_public").value_or(true);
  out.probes_public = http.boolean("probes_public").value_or(true);
  if (out.listen && !out.token && !http.failed("token") && !is_loopback_listen(*out.listen)) {
    http.error("listen", fmt::format("'{}' is not a loopback address and http.token is not set: "
                                     "the admin API would be open to the network; set "
                                     "http.token or listen on 127.0.0.1",
                                     *out.listen));
  }
}

void read_types(const json& types, const std::string& pointer, const SourceMap& map,
                const std::set<std::string>& databases, registry::Registry& registry,
                Diagnostics& diagnostics) {
  if (!types.is_object()) {
    diagnostics.error(map.value(pointer),
                      fmt::format("types: expected a map of type name to definition, got {}",
                                  describe_value(types)));
    return;
  }
  for (const auto& [type, definition] : types.items()) {
    const std::string type_pointer = child_pointer(pointer, type);
    Fields fields(definition, type_pointer, map, diagnostics, "types." + type + ".");
    if (!definition.is_object()) {
      diagnostics.error(map.value(type_pointer),
                        fmt::format("types.{}: expected a map with 'handler', got {}", type,
                                    describe_value(definition)));
      continue;
    }
    fields.allow_only({"handler", "description", "config"});
    auto handler = fields.string("handler", true);
    auto description = fields.string("description").value_or("");
    json preset = definition.value("config", json::object());
    if (!handler) continue;
    if (!preset.is_object()) {
      fields.error("config", fmt::format("expected a map, got {}", describe_value(preset)));
      continue;
    }
    auto resolved = registry.resolve(*handler);
    if (!resolved) {
      fields.error("handler", resolved.error());
      continue;
    }
    // The preset must make sense for its handler; the task supplies the rest.
    bool preset_ok = true;
    for (const auto& issue : resolved->handler->schema.check(preset, databases, false)) {
      preset_ok = false;
      const std::string at = child_pointer(child_pointer(type_pointer, "config"), issue.key);
      diagnostics.error(issue.key.empty() ? map.value(type_pointer) : map.key(at),
                        fmt::format("types.{}.config: {}", type, issue.message));
    }
    if (!preset_ok) continue;
    if (auto problem = registry.add_type(type, resolved->handler->type, preset, description)) {
      diagnostics.error(map.key(type_pointer), fmt::format("types.{}: {}", type, *problem));
    }
  }
}

void read_aliases(const json& aliases, const std::string& pointer, const SourceMap& map,
                  registry::Registry& registry, Diagnostics& diagnostics) {
  if (!aliases.is_object()) {
    diagnostics.error(map.value(pointer),
                      fmt::format("aliases: expected a map of legacy name to type, got {}",
                                  describe_value(aliases)));
    return;
  }
  for (const auto& [legacy, target] : aliases.items()) {
    const std::string at = child_pointer(pointer, legacy);
    if (!target.is_string()) {
      diagnostics.error(map.value(at), fmt::format("aliases.{}: expected a type name, got {}",
                                                   legacy, describe_value(target)));
      continue;
    }
    if (auto problem = registry.add_alias(legacy, target.get<std::string>())) {
      diagnostics.error(map.key(at), fmt::format("aliases.{}: {}", legacy, *problem));
    }
  }
}

// At least this long: overdue tasks are looked for every 30s (scheduler/daemon.hpp).
constexpr std::chrono::seconds kShortestExpectSuccessWithin{60};
// pause_after_failures beyond this is a typo rather than a policy.
constexpr std::int64_t kMostFailuresBeforePause = 1000;
// A delivery attempt holds up shutdown for up to its timeout.
constexpr std::chrono::seconds kLongestAlertTimeout{60};

// RFC 9110 token characters: what a header name may be made of.
// Header values are secrets (an Authorization token): no message shows one.
void read_headers(const json& headers, const std::string& pointer, const std::string& name,
                  const SourceMap& map, std::map<std::string, std::string>& out,
                  Diagnostics& diagnostics) {
  if (!headers.is_object()) {
    diagnostics.error(map.value(pointer), fmt::format("{}: expected a map of header name to value, "
                                                      "got {}",
                                                      name, describe_value(headers)));
    return;
  }
  for (const auto& [header, value] : headers.items()) {
    const std::string at = child_pointer(pointer, header);
    if (map.failed(at)) continue;  // an unreadable *_file, reported already
    if (!outbound::is_header_name(header)) {
      diagnostics.error(map.key(at),
                        fmt::format("{}: '{}' is not a valid header name", name, header));
      continue;
    }
    if (outbound::is_reserved_header(header)) {
      diagnostics.error(map.key(at),
                        fmt::format("{}.{}: maintd sets this header itself", name, header));
      continue;
    }
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      text = json_text(value);
    } else {
      diagnostics.error(
          map.value(at),
          fmt::format("{}.{}: expected a string (or {}_file: a file holding it), "
                      "got {}",
                      name, header, header, value.is_null() ? "nothing" : describe_value(value)));
      continue;
    }
    if (!outbound::is_header_value(text)) {
      diagnostics.error(map.value(at),
                        fmt::format("{}.{}: the value holds a line break or a NUL byte (not "
                                    "shown: header values may be secrets)",
                                    name, header));
      continue;
    }
    out[header] = std::move(text);
  }
}

std::optional<WebhookSettings> read_webhook(const json& entry, const std::string& pointer,
                                            const std::string& name, const SourceMap& map,
                                            Diagnostics& diagnostics) {
  if (!entry.is_object()) {
    diagnostics.error(map.value(pointer), fmt::format("{}: expected a map with 'url', got {}", name,
                                                      describe_value(entry)));
    return std::nullopt;
  }
  const std::size_t errors_before = diagnostics.error_count();
  Fields fields(entry, pointer, map, diagnostics, name + ".");
  fields.allow_only({"url", "timeout", "retries", "headers", "ca_file"});
  WebhookSettings out;
  if (auto url = fields.string("url", true)) {
    if (auto problem = webhook_url_problem(*url)) {
      fields.error("url", *problem);
    } else {
      out.url = *url;
    }
  }
  if (auto ca_file = fields.string("ca_file")) {
    // Read by TLS at each delivery, not beside maintd.yaml: absolute.
    if (ca_file->empty() || ca_file->front() != '/') {
      fields.error("ca_file", fmt::format("'{}' is not an absolute path (the PEM file of the CAs "
                                          "to trust, e.g. /etc/maintd/hooks-ca.pem)",
                                          *ca_file));
    } else {
      out.ca_file = *ca_file;
    }
  }
  if (auto v = fields.duration("timeout")) {
    if (v->count() == 0) {
      fields.error("timeout", "must be longer than 0s");
    } else if (*v > kLongestAlertTimeout) {
      fields.error("timeout",
                   fmt::format("{} is too long: at most {} (a delivery in progress "
                               "holds up shutdown for up to this long)",
                               format_duration(*v), format_duration(kLongestAlertTimeout)));
    } else {
      out.timeout = *v;
    }
  }
  if (auto v = fields.integer("retries", 0, 10)) out.retries = static_cast<int>(*v);
  if (const json* headers = fields.raw("headers")) {
    read_headers(*headers, fields.pointer_of("headers"), name + ".headers", map, out.headers,
                 diagnostics);
  }
  if (diagnostics.error_count() != errors_before) return std::nullopt;
  return out;
}

void read_notify(const json& notify, const std::string& pointer, const SourceMap& map,
                 NotifySettings& out, Diagnostics& diagnostics) {
  if (!notify.is_object()) {
    diagnostics.error(map.value(pointer),
                      fmt::format("notify: expected a map with 'webhooks' and/or 'command', got {}",
                                  describe_value(notify)));
    return;
  }
  Fields fields(notify, pointer, map, diagnostics, "notify.");
  fields.allow_only({"webhooks", "command", "command_timeout", "on", "min_interval"});
  if (const json* webhooks = fields.raw("webhooks")) {
    if (!webhooks->is_array()) {
      fields.error("webhooks", fmt::format("expected a list of webhooks (each a map with 'url'), "
                                           "got {}",
                                           describe_value(*webhooks)));
    } else {
      for (std::size_t i = 0; i < webhooks->size(); ++i) {
        if (auto webhook =
                read_webhook((*webhooks)[i], child_pointer(fields.pointer_of("webhooks"), i),
                             fmt::format("notify.webhooks[{}]", i), map, diagnostics)) {
          out.webhooks.push_back(std::move(*webhook));
        }
      }
    }
  }
  if (const json* command = fields.raw("command")) {
    if (!command->is_array()) {
      // A string would be one program name, spaces and all: say how to write a command.
      fields.error("command",
                   fmt::format("expected a list: the program and its arguments, run without a "
                               "shell (e.g. [/usr/local/bin/page-oncall, --team, ops]), got {}",
                               describe_value(*command)));
    } else if (auto argv = fields.string_list("command")) {
      if (argv->empty() || argv->front().empty()) {
        fields.error("command", "the list is empty: give the program and its arguments");
      } else {
        out.command = std::move(*argv);
      }
    }
  }
  if (auto v = fields.duration("command_timeout")) {
    if (v->count() == 0) {
      fields.error("command_timeout", "must be longer than 0s");
    } else if (*v > kLongestAlertTimeout) {
      fields.error("command_timeout",
                   fmt::format("{} is too long: at most {} (a delivery in progress holds up "
                               "shutdown for up to this long)",
                               format_duration(*v), format_duration(kLongestAlertTimeout)));
    } else {
      out.command_timeout = *v;
    }
  }
  if (fields.has("on")) {
    if (auto kinds = fields.string_list("on")) {
      const json& written = *fields.raw("on");
      std::vector<std::string> on;
      bool ok = true;
      for (std::size_t i = 0; i < kinds->size(); ++i) {
        const std::string& kind = (*kinds)[i];
        const auto& known = alert_kinds();
        if (std::find(known.begin(), known.end(), kind) == known.end()) {
          const std::string at = written.is_array() ? child_pointer(fields.pointer_of("on"), i)
                                                    : fields.pointer_of("on");
          diagnostics.error(map.value(at),
                            fmt::format("notify.on: unknown alert kind '{}'{} (kinds: {})", kind,
                                        did_you_mean(kind, known), fmt::join(known, ", ")));
          ok = false;
        } else if (std::find(on.begin(), on.end(), kind) == on.end()) {
          on.push_back(kind);
        }
      }
      if (ok) out.on = std::move(on);
    }
  }
  if (auto v = fields.duration("min_interval")) out.min_interval = *v;
  if (!fields.has("webhooks") && !fields.has("command")) {
    diagnostics.warning(fields.here(),
                        "notify: no webhooks and no command: alerts are only logged");
  }
}

}  // namespace

std::optional<std::string> webhook_url_problem(std::string_view url) {
  const auto parsed = outbound::parse_url(url);
  if (!parsed) return parsed.error();
  if (parsed->has_user_info) {
    // Not repeated: what is before '@' is a password, most likely.
    return std::string(
        "the URL has credentials before '@' (not shown): send them in a header instead (e.g. "
        "headers: {Authorization_file: webhook-token})");
  }
  return std::nullopt;
}

void read_policies(Fields& fields, Policies& policies) {
  if (auto v = fields.duration("timeout")) {
    if (v->count() == 0) {
      fields.error("timeout", "must be longer than 0s");
    } else {
      policies.timeout = *v;
    }
  }
  if (auto v = fields.choice("concurrency", {"forbid", "allow", "replace"})) {
    policies.concurrency = *v == "forbid"  ? Concurrency::forbid
                           : *v == "allow" ? Concurrency::allow
                                           : Concurrency::replace;
  }
  if (auto v = fields.duration("catchup")) policies.catchup = *v;
  if (auto v = fields.integer("retries", 0, 100)) policies.retries = static_cast<int>(*v);
  if (auto v = fields.duration("retry_backoff")) policies.retry_backoff = *v;
  if (auto v = fields.duration("jitter")) policies.jitter = *v;
  if (auto v = fields.duration("expect_success_within")) {
    if (v->count() == 0) {
      policies.expect_success_within.reset();  // 0s: not watched (even with a default)
    } else if (*v < kShortestExpectSuccessWithin) {
      fields.error("expect_success_within",
                   fmt::format("{} is too short: give at least {} (overdue tasks are looked for "
                               "every 30s), or 0s to not watch the task",
                               format_duration(*v), format_duration(kShortestExpectSuccessWithin)));
    } else {
      policies.expect_success_within = *v;
    }
  }
  // 0 switches a default off for one task, as expect_success_within's 0s does.
  if (auto v = fields.integer("pause_after_failures", 0, kMostFailuresBeforePause)) {
    policies.pause_after_failures = static_cast<int>(*v);
  }
}

namespace {

// `state_schema:` (PostgreSQL): a plain identifier, for a state database that is not SQLite.
void read_state_schema(Fields& top, Config& config, Diagnostics& diagnostics) {
  auto schema = top.string("state_schema");
  if (!schema) return;
  if (!connection::valid_identifier(*schema, false)) {
    top.error("state_schema",
              fmt::format("'{}' is not a schema name (letters, digits and '_', not starting with "
                          "a digit, at most 63 bytes)",
                          *schema));
    return;
  }
  if (config.state_database.backend == connection::DatabaseUrl::Backend::sqlite3) {
    diagnostics.error(top.at("state_schema"),
                      "state_schema applies to a PostgreSQL state database; an SQLite file "
                      "has no schemas (remove the key, or point state_database at PostgreSQL)");
    return;
  }
  config.state_schema = *schema;
}

// `task_table: {database, table, columns}` (connection/task_table_spec.hpp).
void read_task_table(const json& value, const SourceMap& map,
                     const std::set<std::string>& database_names, Config& config,
                     Diagnostics& diagnostics) {
  Fields fields(value, "/task_table", map, diagnostics, "task_table.");
  if (!value.is_object()) {
    diagnostics.error(map.value("/task_table"),
                      fmt::format("task_table: expected a map (database, table, columns), got {}",
                                  describe_value(value)));
    return;
  }
  fields.allow_only({"database", "table", "columns"});
  if (auto database = fields.string("database")) {
    if (database_names.count(*database) == 0) {
      fields.error(
          "database",
          fmt::format("'{}' is not one of databases: ({})", *database,
                      database_names.empty() ? std::string("none declared")
                                             : fmt::format("{}", fmt::join(database_names, ", "))));
    } else {
      config.task_table.database = *database;
    }
  }
  if (auto table = fields.string("table")) {
    if (!connection::valid_identifier(*table, true)) {
      fields.error("table", fmt::format("'{}' is not a table name (letters, digits and '_', "
                                        "optionally schema.table)",
                                        *table));
    } else {
      config.task_table.spec.table = *table;
    }
  }
  const json* columns = fields.raw("columns");
  if (columns == nullptr) return;
  if (!columns->is_object()) {
    fields.error("columns", fmt::format("expected a map of the guide's column names to the "
                                        "table's, got {}",
                                        describe_value(*columns)));
    return;
  }
  Fields mapping(*columns, "/task_table/columns", map, diagnostics, "task_table.columns.");
  std::vector<std::string_view> known(connection::guide_task_columns().begin(),
                                      connection::guide_task_columns().end());
  for (const auto& [guide, column] : columns->items()) {
    if (std::find(known.begin(), known.end(), guide) == known.end()) {
      mapping.error(guide, fmt::format("'{}' is not one of the guide's columns ({})", guide,
                                       fmt::join(connection::guide_task_columns(), ", ")));
      continue;
    }
    auto name = mapping.string(guide);
    if (!name) continue;
    if (!connection::valid_identifier(*name, false)) {
      mapping.error(guide,
                    fmt::format("'{}' is not a column name (letters, digits and '_')", *name));
      continue;
    }
    config.task_table.spec.columns[guide] = *name;
  }
}

}  // namespace

void read_settings(const json& root, const SourceMap& map, const std::filesystem::path& base_dir,
                   Config& config, registry::Registry& registry,
                   std::vector<ScheduleEntry>& schedules, Diagnostics& diagnostics) {
  if (root.is_null()) return;  // an empty maintd.yaml: every default
  if (!root.is_object()) {
    diagnostics.error(map.value(""), fmt::format("expected a map of settings at the top, got {}",
                                                 describe_value(root)));
    return;
  }
  Fields top(root, "", map, diagnostics);
  top.allow_only({"state_database", "state_schema", "task_table", "databases", "database_timeouts",
                  "schedules", "defaults", "workers", "heartbeat_interval", "lease",
                  "poll_interval", "shutdown_grace", "log", "http", "notify", "aliases", "types"});

  // Before the databases, which they are applied to.
  if (const json* timeouts = top.raw("database_timeouts")) {
    if (!timeouts->is_object()) {
      top.error("database_timeouts",
                fmt::format("expected a map, got {}", describe_value(*timeouts)));
    } else {
      Fields fields(*timeouts, "/database_timeouts", map, diagnostics, "database_timeouts.");
      read_database_timeouts(fields, config.database_timeouts);
    }
  }
  if (const json* state = top.raw("state_database")) {
    if (auto url =
            read_database(*state, "/state_database", "state_database", map, base_dir,
                          config.database_timeouts, connection::DatabaseRole::state, diagnostics)) {
      config.state_database = *url;
    }
  }
  std::set<std::string> database_names;
  if (const json* databases = top.raw("databases")) {
    if (!databases->is_object()) {
      top.error("databases",
                fmt::format("expected a map of name to URL, got {}", describe_value(*databases)));
    } else {
      for (const auto& [name, value] : databases->items()) {
        const std::string pointer = child_pointer("/databases", name);
        database_names.insert(name);
        if (!is_database_name(name)) {
          diagnostics.error(map.key(pointer),
                            fmt::format("databases: '{}' is not a valid name (lowercase letters, "
                                        "digits and '_', starting with a letter)",
                                        name));
          continue;
        }
        if (auto url = read_database(value, pointer, "databases." + name, map, base_dir,
                                     config.database_timeouts, connection::DatabaseRole::target,
                                     diagnostics)) {
          config.databases.emplace(name, *url);
        }
      }
    }
  }
  read_state_schema(top, config, diagnostics);
  if (const json* table = top.raw("task_table")) {
    read_task_table(*table, map, database_names, config, diagnostics);
  }
  if (top.has("schedules")) {
    if (auto entries = top.string_list("schedules")) {
      for (std::size_t i = 0; i < entries->size(); ++i) {
        const std::string pointer = root.at("schedules").is_array() ? child_pointer("/schedules", i)
                                                                    : std::string("/schedules");
        schedules.push_back({(*entries)[i], map.value(pointer)});
      }
    }
  }
  if (const json* defaults = top.raw("defaults")) {
    Fields fields(*defaults, "/defaults", map, diagnostics, "defaults.");
    if (!defaults->is_object()) {
      top.error("defaults", fmt::format("expected a map, got {}", describe_value(*defaults)));
    } else {
      fields.allow_only({"timezone", "timeout", "concurrency", "catchup", "retries",
                         "retry_backoff", "jitter", "expect_success_within",
                         "pause_after_failures"});
      if (auto zone = fields.string("timezone")) {
        if (auto loaded = cron::load_zone(*zone); !loaded) {
          fields.error("timezone", loaded.error());
        } else {
          config.default_timezone = *zone;
        }
      }
      read_policies(fields, config.default_policies);
    }
  }
  if (auto v = top.integer("workers", 1, 256)) config.daemon.workers = static_cast<int>(*v);
  for (auto [key, target] : {std::pair{"heartbeat_interval", &config.daemon.heartbeat_interval},
                             std::pair{"lease", &config.daemon.lease},
                             std::pair{"poll_interval", &config.daemon.poll_interval},
                             std::pair{"shutdown_grace", &config.daemon.shutdown_grace}}) {
    if (auto v = top.duration(key)) *target = *v;
  }
  if (config.daemon.lease <= config.daemon.heartbeat_interval) {
    diagnostics.error(
        top.has("lease") ? top.at("lease") : top.at("heartbeat_interval"),
        fmt::format("lease ({}s) must be longer than heartbeat_interval ({}s), or "
                    "every running run would look abandoned",
                    config.daemon.lease.count(), config.daemon.heartbeat_interval.count()));
  }
  if (const json* log = top.raw("log")) {
    Fields fields(*log, "/log", map, diagnostics, "log.");
    fields.allow_only({"level", "format"});
    if (auto v = fields.choice("level", {"trace", "debug", "info", "warning", "error"})) {
      config.log.level = *v;
    }
    if (auto v = fields.choice("format", {"text", "json"})) config.log.format = *v;
  }
  if (const json* http = top.raw("http")) {
    Fields fields(*http, "/http", map, diagnostics, "http.");
    read_http(fields, config.http);
  }
  if (const json* notify = top.raw("notify")) {
    read_notify(*notify, "/notify", map, config.notify, diagnostics);
  }
  // Aliases before types: a type may not reuse an alias's name, and the reverse is checked by
  // add_alias against handlers (types are read after, so add_type checks aliases).
  if (const json* aliases = top.raw("aliases")) {
    read_aliases(*aliases, "/aliases", map, registry, diagnostics);
  }
  if (const json* types = top.raw("types")) {
    read_types(*types, "/types", map, database_names, registry, diagnostics);
  }
}

}  // namespace maintd::config
