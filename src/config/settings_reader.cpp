// maintd.yaml: databases, defaults, daemon settings, logging, HTTP, aliases and types.
#include <fmt/format.h>

#include <cctype>

#include "config/readers.hpp"
#include "cron/time_zone.hpp"

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
std::optional<DatabaseUrl> read_database(const json& value, const std::string& pointer,
                                         const std::string& name, const SourceMap& map,
                                         const std::filesystem::path& base_dir,
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
  auto parsed = parse_database_url(*url, password, base_dir);
  if (!parsed) {
    const std::string at = value.is_object() ? child_pointer(pointer, "url") : pointer;
    diagnostics.error(map.value(at), fmt::format("{}: {}", name, parsed.error()));
    return std::nullopt;
  }
  return *parsed;
}

void read_http(Fields& http, HttpSettings& out) {
  http.allow_only({"listen", "token", "read_only_token"});
  if (auto listen = http.string("listen")) {
    const auto colon = listen->rfind(':');
    int port = 0;
    const bool port_ok = colon != std::string::npos &&
                         std::sscanf(listen->c_str() + colon + 1, "%d", &port) == 1 && port > 0 &&
                         port < 65536;
    if (!port_ok) {
      http.error("listen", fmt::format("'{}' is not HOST:PORT (e.g. 127.0.0.1:8089)", *listen));
    } else {
      out.listen = listen;
    }
  }
  out.token = http.string("token");
  out.read_only_token = http.string("read_only_token");
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

}  // namespace

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
}

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
  top.allow_only({"state_database", "databases", "schedules", "defaults", "workers",
                  "heartbeat_interval", "lease", "poll_interval", "shutdown_grace", "log", "http",
                  "aliases", "types"});

  if (const json* state = top.raw("state_database")) {
    if (auto url = read_database(*state, "/state_database", "state_database", map, base_dir,
                                 diagnostics)) {
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
        if (auto url =
                read_database(value, pointer, "databases." + name, map, base_dir, diagnostics)) {
          config.databases.emplace(name, *url);
        }
      }
    }
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
      fields.allow_only(
          {"timezone", "timeout", "concurrency", "catchup", "retries", "retry_backoff", "jitter"});
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
