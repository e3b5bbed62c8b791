#pragma once
// Group commit for the records of runs in progress.
//
// Every run writes a start, a few events and a finish. Written one statement and one commit
// each, by every worker on a session of its own, 10,000 runs due in the same second made 40,000
// commits queue for SQLite's single write lock, each writer sleeping in the busy handler while
// another held it: the burst ran at the speed of the lock, not of the work. The journal has one
// thread that writes whatever is queued, in the order it was queued, in one transaction: the
// records of a burst share their commits, and nobody waits for anybody's lock but the journal's.
//
// Ordering: records are written in the order they were queued, so a run's start comes before
// its events and its finish. Callers of start() and finish() wait for the commit that holds
// their record (they need to know whether they won the transition, DESIGN.md); events are
// queued and committed with the next batch, and a lost event is reported, never thrown (a run's
// own log is best effort; its outcome is what must be recorded).
//
// Failures: a batch that fails because the database is unavailable fails every record in it
// (start() and finish() throw the StoreError, as RunStore's would). A batch that fails for any
// other reason is written again one record per transaction, so one bad record (an event of a run
// deleted meanwhile) fails alone.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "store/database.hpp"
#include "store/run_status.hpp"
#include "store/run_store.hpp"
#include "store/run_writes.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

// An event the journal could not write (the run's other records are unaffected).
struct LostEvent {
  RunId run = 0;
  std::string task;
  std::string event;
  std::string reason;
};

struct JournalSettings {
  // The most records in one transaction: a long burst is cut into transactions that hold the
  // write lock for milliseconds, so the daemon's claims and other instances get their turn.
  std::size_t max_batch = 1024;
  // Told about an event that could not be written, with the reason (default: nobody).
  std::function<void(const LostEvent&)> on_lost_event;
};

class RunJournal {
 public:
  RunJournal(std::shared_ptr<Database> database, Clock clock, JournalSettings settings = {});
  // Writes what is still queued, then stops its thread.
  ~RunJournal();
  RunJournal(const RunJournal&) = delete;
  RunJournal& operator=(const RunJournal&) = delete;

  // RunStore::start and RunStore::finish, through the journal: the time is read when the record
  // is queued; the call returns once its transaction committed. Throws StoreError if it failed.
  bool start(RunId id, const Worker& worker);
  bool finish(RunId id, RunStatus outcome, const nlohmann::json& result, const std::string& error);
  // RunStore::add_event, queued: returns at once and never throws for the database.
  // `task` is the run's task, for the report of an event that could not be written.
  void add_event(RunId id, std::string task, std::string level, std::string event,
                 std::string message);
  // Returns once everything queued before the call was written (or failed).
  void flush();

  struct Stats {
    std::uint64_t records = 0;  // written or failed
    std::uint64_t commits = 0;  // transactions committed
  };
  Stats stats() const;

 private:
  struct Record {
    enum class Kind { start, event, finish, flush };
    Kind kind = Kind::event;
    RunId id = 0;
    std::string at;  // when it happened, by the instance's clock
    Worker worker;   // start
    RunStatus outcome = RunStatus::failed;
    std::string result, error;                // finish
    std::string task, level, event, message;  // event
    std::optional<std::promise<bool>> done;   // start, finish, flush: the caller waiting
  };

  bool queue_and_wait(Record record);
  void queue(Record record);
  void loop(std::stop_token stop);
  void write(std::vector<Record>& batch);
  bool apply(run_writes::RunWriter& writer, const Record& record);
  void fail(Record& record, const std::exception_ptr& error);

  std::shared_ptr<Database> database_;
  Clock clock_;
  JournalSettings settings_;

  mutable std::mutex mutex_;
  std::condition_variable_any queued_;
  std::deque<Record> queue_;
  Stats stats_;
  std::jthread thread_;  // last: it starts once the members above exist
};

}  // namespace maintd::store
