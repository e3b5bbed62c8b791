#pragma once
// Reading an operator's SQL statement before it is run: its comments, its `:name` parameters as
// SOCI will see them, and a one-line excerpt for messages. sql.exec and health.report's sql
// probes share these, so that both read a statement the same way.
#include <string>
#include <string_view>
#include <vector>

namespace maintd::handlers {

// The characters of a parameter name: a letter or '_' first, then letters, digits and '_'.
bool parameter_name_start(char c);
bool parameter_name_char(char c);

// The statement without its comments. SOCI's PostgreSQL backend reads every ':' outside a
// string literal as a parameter, comments included, and SQLite refuses to bind a name that only
// a comment mentions; without comments both backends agree with what we bind.
std::string without_comments(std::string_view sql);

struct ParameterScan {
  std::vector<std::string> names;  // in order of first use
  bool bare_colon = false;         // a ':' that starts no name, outside string literals
};

// The `:name` parameters of a (comment-free) statement, read as SOCI reads them: outside string
// literals, skipping PostgreSQL's `::` casts and PL/pgSQL's `:=`.
ParameterScan scan_parameters(std::string_view sql);

// A statement as people recognise it in a message: its start, on one line.
std::string statement_summary(std::string_view sql);

}  // namespace maintd::handlers
