#pragma once
// YAML documents as JSON values plus a map of where each value was written, so validation can
// work on plain JSON and still report file:line:col.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "config/diagnostics.hpp"
#include "config/environment.hpp"

namespace maintd::config {

// Positions by JSON pointer ("/tasks/3/schedule").
class SourceMap {
 public:
  // A line and column (1-based) in this map's file; 0 when unknown.
  struct Position {
    int line = 0;
    int column = 0;
  };

  explicit SourceMap(std::string file = {}) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  // Where the value at `pointer` starts; the nearest enclosing value when it has no entry
  // (a key that was never written, say).
  Location value(const std::string& pointer) const;
  // Where the key of `pointer` is written (for "unknown key" and "duplicate" messages).
  Location key(const std::string& pointer) const;
  // 1 when the scalar at `pointer` was quoted (its text starts one column after the value).
  int content_offset(const std::string& pointer) const;

  void set(std::string pointer, Position value, Position key, int content_offset);
  // Room for about `values` entries (a schedule file of 5,000 tasks has 25,000).
  void reserve(std::size_t values) { entries_.reserve(values); }

  // A value that could not be read (unset variable, unreadable file) was already reported;
  // validators skip it rather than pile a second error on the same spot.
  void set_failed(const std::string& pointer) { failed_.insert(pointer); }
  bool failed(const std::string& pointer) const { return failed_.count(pointer) > 0; }
  // A value read from a `*_file`: kept out of the config, so never shown in an error where its
  // kind may hold a secret (a database URL).
  void set_from_file(const std::string& pointer) { from_file_.insert(pointer); }
  bool from_file(const std::string& pointer) const { return from_file_.count(pointer) > 0; }

 private:
  // Positions only: every entry is in file_ (a copy of the file name in each of a large
  // file's entries was a third of what reading it allocated).
  struct Entry {
    Position value;
    Position key;
    int content_offset = 0;
  };
  Location at(Position position) const { return {file_, position.line, position.column}; }

  std::string file_;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_set<std::string> failed_;
  std::unordered_set<std::string> from_file_;
};

// A plain (unquoted) scalar typed as YAML 1.2's core schema types it: null, true/false,
// integers and numbers; anything else ("15m", "0x10", "inf") stays a string.
nlohmann::json yaml_scalar(const std::string& text);

std::string child_pointer(const std::string& parent, const std::string& key);
std::string child_pointer(const std::string& parent, std::size_t index);

struct YamlReadOptions {
  Environment env;
  std::filesystem::path base_dir;  // relative *_file paths resolve here...
  std::optional<std::filesystem::path>
      credentials_dir;  // ...or first here ($CREDENTIALS_DIRECTORY)
};

// Parses YAML text: scalars typed as YAML 1.2 core schema (quoted ones stay strings), ${VAR}
// expanded, and `name_file: path` replaced by `name: <the file's content>` (one trailing newline
// removed). Malformed YAML, duplicate keys, unset variables and unreadable files are reported
// into `diagnostics`. Empty when the text is not YAML at all; null for an empty document.
std::optional<nlohmann::json> read_yaml(const std::string& text, SourceMap& map,
                                        const YamlReadOptions& options, Diagnostics& diagnostics);

// Reads and parses a file; an unreadable file is reported with its path and the reason.
std::optional<nlohmann::json> read_yaml_file(const std::filesystem::path& path,
                                             const std::string& display_name, SourceMap& map,
                                             const YamlReadOptions& options,
                                             Diagnostics& diagnostics);

}  // namespace maintd::config
