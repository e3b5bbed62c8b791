#pragma once
// Running daemons, as they announce themselves in the state database (maintd_instances): who
// they are (host, pid), since when, a heartbeat, and a one-line status. `maintd reload` finds
// the daemons of this host here; `maintd status` shows what they are doing.
#include <memory>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/run_store.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

struct InstanceRecord {
  std::string instance_id;
  std::string host;
  long long pid = 0;
  Timestamp started_at{};
  Timestamp heartbeat_at{};  // the state database's clock
  std::string status;        // "12 tasks, 1 running, next: nightly at ..."
  bool alive = false;        // heartbeat within the lease when it was read
};

class InstanceStore {
 public:
  explicit InstanceStore(std::shared_ptr<Database> database);

  // Announces (or re-announces) `worker` as running, with its status.
  void announce(const Worker& worker, const std::string& status);
  // Renews the heartbeat and the status. Re-announces when the row was removed meanwhile.
  void renew(const Worker& worker, const std::string& status);
  // A clean stop: the row goes.
  void withdraw(const std::string& instance_id);
  // Every announced instance, newest heartbeat first; `alive` compares with `lease`.
  std::vector<InstanceRecord> list(std::chrono::seconds lease);

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace maintd::store
