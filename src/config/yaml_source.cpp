#include "config/yaml_source.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/display_path.hpp"

namespace maintd::config {
namespace {

using nlohmann::json;

Location location_of(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

class Converter {
 public:
  Converter(SourceMap& map, const YamlReadOptions& options, Diagnostics& diagnostics)
      : map_(map), options_(options), diagnostics_(diagnostics) {}

  json convert(const YAML::Node& node, const std::string& pointer, const Location& key) {
    const Location here = location_of(map_.file(), node.Mark());
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        map_.set(pointer, here, key, 0);
        return nullptr;
      case YAML::NodeType::Scalar: {
        const bool quoted = node.Tag() == "!";
        map_.set(pointer, here, key, quoted ? 1 : 0);
        auto expanded = expand_variables(node.Scalar(), options_.env);
        if (!expanded) {
          diagnostics_.error(here, expanded.error());
          map_.set_failed(pointer);
          return nullptr;
        }
        return quoted ? json(*expanded) : yaml_scalar(*expanded);
      }
      case YAML::NodeType::Sequence: {
        map_.set(pointer, here, key, 0);
        json out = json::array();
        std::size_t index = 0;
        for (const auto& element : node) {
          const std::string child = child_pointer(pointer, index++);
          out.push_back(convert(element, child, location_of(map_.file(), element.Mark())));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        map_.set(pointer, here, key, 0);
        return convert_map(node, pointer);
      }
    }
    return nullptr;
  }

 private:
  json convert_map(const YAML::Node& node, const std::string& pointer) {
    json out = json::object();
    std::unordered_map<std::string, Location> seen;
    for (const auto& entry : node) {
      const Location key_at = location_of(map_.file(), entry.first.Mark());
      if (!entry.first.IsScalar()) {
        diagnostics_.error(key_at, "a map key must be a plain name");
        continue;
      }
      std::string name = entry.first.Scalar();
      if (auto first = seen.find(name); first != seen.end()) {
        diagnostics_.error(key_at, fmt::format("duplicate key '{}' (first written at line {})",
                                               name, first->second.line));
        continue;
      }
      seen.emplace(name, key_at);
      constexpr std::string_view kFileSuffix = "_file";
      if (name.size() > kFileSuffix.size() && name.ends_with(kFileSuffix)) {
        // `password_file: path` stands for `password: <content of path>`.
        const std::string target = name.substr(0, name.size() - kFileSuffix.size());
        const std::string child = child_pointer(pointer, target);
        const json path = convert(entry.second, child, key_at);
        if (seen.count(target) || node[target]) {
          diagnostics_.error(key_at,
                             fmt::format("both '{}' and '{}' are set; keep one", target, name));
          continue;
        }
        seen.emplace(target, key_at);
        out[target] = read_value_file(path, name, map_.value(child));
        if (out[target].is_null()) map_.set_failed(child);
        continue;
      }
      const std::string child = child_pointer(pointer, name);
      out[name] = convert(entry.second, child, key_at);
    }
    return out;
  }

  json read_value_file(const json& path_value, const std::string& key, const Location& where) {
    if (!path_value.is_string() || path_value.get<std::string>().empty()) {
      diagnostics_.error(where, fmt::format("{} must be a file path", key));
      return nullptr;
    }
    std::filesystem::path path(path_value.get<std::string>());
    if (path.is_relative()) {
      // systemd LoadCredential= puts secrets in $CREDENTIALS_DIRECTORY; look there first.
      std::error_code unreadable;  // then the file beside the config is tried, and its error shown
      if (options_.credentials_dir &&
          std::filesystem::exists(*options_.credentials_dir / path, unreadable)) {
        path = *options_.credentials_dir / path;
      } else {
        path = options_.base_dir / path;
      }
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      diagnostics_.error(where, fmt::format("cannot read {} '{}': {}", key, display_path(path),
                                            std::strerror(errno)));
      return nullptr;
    }
    std::ostringstream content;
    content << in.rdbuf();
    std::string text = content.str();
    if (text.ends_with("\r\n")) {
      text.resize(text.size() - 2);
    } else if (text.ends_with('\n')) {
      text.pop_back();
    }
    return text;
  }

  SourceMap& map_;
  const YamlReadOptions& options_;
  Diagnostics& diagnostics_;
};

}  // namespace

json yaml_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  // Numbers: digits with an optional sign, '.', and exponent; nothing else ("inf", "1_000",
  // "0x10" and "15m" stay strings).
  const std::size_t start = text[0] == '+' || text[0] == '-' ? 1 : 0;
  if (start == text.size() ||
      text.find_first_not_of("0123456789.eE+-", start) != std::string::npos) {
    return text;
  }
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  const char* last = text.data() + text.size();
  std::int64_t integer = 0;
  if (auto [end, ec] = std::from_chars(first, last, integer); ec == std::errc{} && end == last) {
    return integer;
  }
  double number = 0;
  if (auto [end, ec] = std::from_chars(first, last, number); ec == std::errc{} && end == last) {
    return number;
  }
  return text;
}

Location SourceMap::value(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    if (auto it = entries_.find(p); it != entries_.end()) return it->second.value;
    if (p.empty()) return {file_, 0, 0};
    p = p.substr(0, p.rfind('/'));
  }
}

Location SourceMap::key(const std::string& pointer) const {
  if (auto it = entries_.find(pointer); it != entries_.end()) return it->second.key;
  return value(pointer);
}

int SourceMap::content_offset(const std::string& pointer) const {
  auto it = entries_.find(pointer);
  return it == entries_.end() ? 0 : it->second.content_offset;
}

void SourceMap::set(const std::string& pointer, Location value, Location key, int content_offset) {
  entries_[pointer] = Entry{std::move(value), std::move(key), content_offset};
}

std::string child_pointer(const std::string& parent, const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return parent + "/" + escaped;
}

std::string child_pointer(const std::string& parent, std::size_t index) {
  return parent + "/" + std::to_string(index);
}

std::optional<json> read_yaml(const std::string& text, SourceMap& map,
                              const YamlReadOptions& options, Diagnostics& diagnostics) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diagnostics.error(location_of(map.file(), e.mark), fmt::format("malformed YAML: {}", e.msg));
    return std::nullopt;
  }
  return Converter(map, options, diagnostics).convert(root, "", {map.file(), 1, 1});
}

std::optional<json> read_yaml_file(const std::filesystem::path& path,
                                   const std::string& display_name, SourceMap& map,
                                   const YamlReadOptions& options, Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error({display_name, 0, 0},
                      fmt::format("cannot read the file: {}", std::strerror(errno)));
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  return read_yaml(content.str(), map, options, diagnostics);
}

}  // namespace maintd::config
