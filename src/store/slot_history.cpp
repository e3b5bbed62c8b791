#include "store/slot_history.hpp"

#include "store/timestamp.hpp"

namespace maintd::store {

std::map<std::string, Instant> last_scheduled_slots(Database& database) {
  return database.with_session("reading the last slots of each task", [](soci::session& sql) {
    std::map<std::string, Instant> out;
    const soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT task_name, MAX(scheduled_for) FROM maintd_runs "
                        "WHERE scheduled_for IS NOT NULL AND trigger_type IN "
                        "('schedule', 'catchup') GROUP BY task_name");
    for (const auto& row : rows) {
      if (row.get_indicator(1) != soci::i_ok) continue;
      if (auto at = parse_timestamp(row.get<std::string>(1))) {
        out[row.get<std::string>(0)] = std::chrono::time_point_cast<std::chrono::seconds>(*at);
      }
    }
    return out;
  });
}

}  // namespace maintd::store
