#include "handlers/health_scalar.hpp"

#include <fmt/format.h>
#include <soci/soci.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <exception>
#include <optional>
#include <string_view>

#include "handlers/support/database_errors.hpp"
#include "handlers/support/statement_text.hpp"
#include "handlers/support/target_sql.hpp"

namespace maintd::handlers {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

// How much of a text value a message quotes.
constexpr std::size_t kShownText = 40;

double milliseconds_since(Steady::time_point start) {
  const std::chrono::duration<double, std::milli> took = Steady::now() - start;
  return std::round(took.count() * 10.0) / 10.0;
}

// A text value that is all number ("42", "1.5e3"): SQLite hands back what a column holds, and
// a count kept in a TEXT column is still a count.
std::optional<json> number_in_text(const std::string& text) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  long long integer = 0;
  if (auto [end, error] = std::from_chars(first, last, integer);
      error == std::errc() && end == last && !text.empty()) {
    return json(integer);
  }
  double real = 0;
  if (auto [end, error] = std::from_chars(first, last, real);
      error == std::errc() && end == last && !text.empty() && std::isfinite(real)) {
    return json(real);
  }
  return std::nullopt;
}

// The number in a row's only column, or why there is none.
bool read_number(const soci::row& row, ScalarReading& reading) {
  const auto not_a_number = [&](const std::string& what, std::string_view hint = {}) {
    reading.error = "not_a_number";
    reading.reason = fmt::format("the query returned {}, not a number{}", what, hint);
    return false;
  };
  if (row.get_indicator(0) == soci::i_null) {
    return not_a_number("NULL", " (COALESCE(..., 0) reads an empty result as 0)");
  }
  switch (row.get_properties(0).get_data_type()) {
    case soci::dt_integer:
      reading.value = row.get<int>(0);
      return true;
    case soci::dt_long_long:
      reading.value = row.get<long long>(0);
      return true;
    case soci::dt_unsigned_long_long:
      reading.value = row.get<unsigned long long>(0);
      return true;
    case soci::dt_double: {
      const double value = row.get<double>(0);
      if (!std::isfinite(value)) return not_a_number(fmt::format("{}", value));
      reading.value = value;
      return true;
    }
    case soci::dt_string: {
      auto text = row.get<std::string>(0);
      if (auto number = number_in_text(text)) {
        reading.value = std::move(*number);
        return true;
      }
      if (text.size() > kShownText) text = text.substr(0, kShownText) + "...";
      return not_a_number(fmt::format("text ('{}')", text));
    }
    case soci::dt_date:
      return not_a_number("a date and time");
    case soci::dt_blob:
    case soci::dt_xml:
      break;
  }
  return not_a_number("binary data");
}

// Nothing the probe runs can write: the query is the operator's, but a health check that
// changes data by mistake would be a cleanup nobody scheduled.
void make_read_only(soci::session& session, Dialect dialect) {
  if (dialect == Dialect::sqlite) {
    session << "PRAGMA query_only = ON";
  } else {
    session.begin();
    session << "SET TRANSACTION READ ONLY";
  }
}

}  // namespace

ScalarReading read_scalar(const std::function<std::unique_ptr<soci::session>()>& open,
                          const std::string& query) {
  ScalarReading reading;
  const auto fail = [&](const char* error, std::string reason) {
    reading.error = error;
    reading.reason = std::move(reason);
    return reading;
  };
  const auto start = Steady::now();
  std::unique_ptr<soci::session> session;
  try {
    session = open();
  } catch (const std::exception& e) {
    return fail("connect", database_error_text(e));
  }
  reading.connect_ms = milliseconds_since(start);

  const std::string text = without_comments(query);
  try {
    const auto dialect = dialect_of(*session);
    if (dialect == Dialect::postgresql && scan_parameters(text).bare_colon) {
      return fail("query",
                  "the query has a ':' that starts no name outside a string literal; on "
                  "PostgreSQL every such ':' is read as a parameter, and a probe has none");
    }
    make_read_only(*session, dialect);
    const auto started = Steady::now();
    // At most two rows are read: the second says there are too many. A failure returns at once;
    // the session, closed with the reading, takes its transaction with it.
    std::size_t seen = 0;
    {
      soci::rowset<soci::row> rows = (session->prepare << text);
      for (const auto& row : rows) {
        if (++seen > 1) break;
        if (row.size() != 1) {
          return fail("columns", fmt::format("the query returned {} columns; a probe's query "
                                             "returns one number",
                                             row.size()));
        }
        if (!read_number(row, reading)) return reading;
      }
    }  // the statement ends before its transaction
    reading.query_ms = milliseconds_since(started);
    if (seen == 0) {
      return fail("no_row",
                  "the query returned no row; a probe's query returns one row with one number "
                  "(SELECT count(*) ... always does)");
    }
    if (seen > 1) {
      reading.value = nullptr;
      return fail("rows",
                  "the query returned more than one row; a probe's query returns one row with "
                  "one number");
    }
    if (dialect == Dialect::postgresql) session->rollback();
  } catch (const std::exception& e) {
    reading.value = nullptr;
    return fail("query", fmt::format("the query failed: {}", database_error_text(e)));
  }
  return reading;
}

}  // namespace maintd::handlers
