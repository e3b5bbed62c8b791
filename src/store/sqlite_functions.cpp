#include "store/sqlite_functions.hpp"

#include <soci/sqlite3/soci-sqlite3.h>

#include <cstdint>
#include <stdexcept>

namespace maintd::store {
namespace {

// SOCI declares SQLite's API inside this namespace (soci-sqlite3.h includes sqlite3.h there).
using namespace sqlite_api;

void maintd_hash(sqlite3_context* context, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = sqlite3_value_text(argv[0]);
  const int size = sqlite3_value_bytes(argv[0]);
  std::uint32_t hash = 2166136261u;
  for (int i = 0; i < size; ++i) {
    hash ^= text[i];
    hash *= 16777619u;
  }
  // Signed, as hashtext's: a sum of 32-bit values never overflows SQLite's 64-bit SUM.
  sqlite3_result_int64(context, static_cast<std::int32_t>(hash));
}

}  // namespace

void register_sqlite_functions(soci::session& sql) {
  using namespace sqlite_api;
  // By name, not dynamic_cast: Debian's SOCI backends do not export their type information.
  if (sql.get_backend() == nullptr || sql.get_backend_name() != "sqlite3") return;
  auto* backend = static_cast<soci::sqlite3_session_backend*>(sql.get_backend());
  const int result = sqlite3_create_function_v2(
      backend->conn_, "maintd_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
      nullptr, maintd_hash, nullptr, nullptr, nullptr);
  if (result != SQLITE_OK) {
    throw std::runtime_error(std::string("registering maintd_hash: ") + sqlite3_errstr(result));
  }
}

}  // namespace maintd::store
