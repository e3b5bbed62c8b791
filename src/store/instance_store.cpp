#include "store/instance_store.hpp"

#include <fmt/format.h>

namespace maintd::store {

InstanceStore::InstanceStore(std::shared_ptr<Database> database) : database_(std::move(database)) {}

void InstanceStore::announce(const Worker& worker, const std::string& status) {
  database_->with_session("announcing this instance", [&](soci::session& sql) {
    const std::string now = database_->now_expression();
    soci::transaction transaction(sql);
    sql << "DELETE FROM maintd_instances WHERE instance_id = :id", soci::use(worker.instance_id);
    sql << fmt::format(
        "INSERT INTO maintd_instances (instance_id, host, pid, started_at, "
        "heartbeat_at, status) VALUES (:id, :host, :pid, {}, {}, :status)",
        now, now),
        soci::use(worker.instance_id), soci::use(worker.host), soci::use(worker.pid),
        soci::use(status);
    transaction.commit();
    return 0;
  });
}

void InstanceStore::renew(const Worker& worker, const std::string& status) {
  const bool renewed = database_->with_session("renewing this instance", [&](soci::session& sql) {
    soci::statement update =
        (sql.prepare << fmt::format("UPDATE maintd_instances SET heartbeat_at = {}, "
                                    "status = :status WHERE instance_id = :id",
                                    database_->now_expression()),
         soci::use(status), soci::use(worker.instance_id));
    update.execute(true);
    return update.get_affected_rows() == 1;
  });
  // Someone cleaned the table (or the database was restored): say we are here again.
  if (!renewed) announce(worker, status);
}

void InstanceStore::withdraw(const std::string& instance_id) {
  database_->with_session("withdrawing this instance", [&](soci::session& sql) {
    sql << "DELETE FROM maintd_instances WHERE instance_id = :id", soci::use(instance_id);
    return 0;
  });
}

std::vector<InstanceRecord> InstanceStore::list(std::chrono::seconds lease) {
  return database_->with_session("listing instances", [&](soci::session& sql) {
    std::vector<InstanceRecord> out;
    InstanceRecord record;
    std::string started, heartbeat;
    int alive = 0;
    // Typed into() bindings: each backend converts to these types itself.
    soci::statement st =
        (sql.prepare << fmt::format("SELECT instance_id, host, pid, started_at, heartbeat_at, "
                                    "status, CASE WHEN heartbeat_at >= {} THEN 1 ELSE 0 END "
                                    "FROM maintd_instances ORDER BY heartbeat_at DESC",
                                    database_->now_minus_expression(lease)),
         soci::into(record.instance_id), soci::into(record.host), soci::into(record.pid),
         soci::into(started), soci::into(heartbeat), soci::into(record.status), soci::into(alive));
    st.execute();
    while (st.fetch()) {
      record.started_at = parse_timestamp(started).value_or(Timestamp{});
      record.heartbeat_at = parse_timestamp(heartbeat).value_or(Timestamp{});
      record.alive = alive == 1;
      out.push_back(record);
    }
    return out;
  });
}

}  // namespace maintd::store
