#pragma once
// Errors and warnings about input, each with the place it came from.
#include <string>
#include <vector>

namespace maintd::config {

struct Location {
  std::string file;
  int line = 0;                   // 1-based; 0 when unknown
  int column = 0;                 // 1-based; 0 when unknown
  std::string to_string() const;  // "schedules/claims.yaml:12:15"
};

struct Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  Location where;
  std::string message;
  // "schedules/claims.yaml:12:15: unknown key 'timout' (did you mean 'timeout'?)"; warnings say
  // "warning: " after the place.
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(Location where, std::string message);
  void warning(Location where, std::string message);
  bool has_errors() const;
  std::size_t error_count() const;
  // Sorted by file, line and column, so output is stable and reads top to bottom.
  std::vector<Diagnostic> errors() const;
  std::vector<Diagnostic> warnings() const;
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> all_;
};

}  // namespace maintd::config
