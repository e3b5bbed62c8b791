#include "store/run_journal.hpp"

#include "common/json_text.hpp"
#include "store/run_writes.hpp"
#include "store/store_error.hpp"

namespace maintd::store {

RunJournal::RunJournal(std::shared_ptr<Database> database, Clock clock, JournalSettings settings)
    : database_(std::move(database)),
      clock_(std::move(clock)),
      settings_(std::move(settings)),
      thread_([this](std::stop_token stop) { loop(stop); }) {}

RunJournal::~RunJournal() {
  thread_.request_stop();
  thread_.join();  // the loop drains the queue before it returns
}

bool RunJournal::start(RunId id, const Worker& worker) {
  Record record;
  record.kind = Record::Kind::start;
  record.id = id;
  record.at = format_timestamp(clock_());
  record.worker = worker;
  return queue_and_wait(std::move(record));
}

bool RunJournal::finish(RunId id, RunStatus outcome, const nlohmann::json& result,
                        const std::string& error) {
  run_writes::check_final(outcome);
  Record record;
  record.kind = Record::Kind::finish;
  record.id = id;
  record.at = format_timestamp(clock_());
  record.outcome = outcome;
  record.result = json_text(result);
  record.error = error;
  return queue_and_wait(std::move(record));
}

void RunJournal::add_event(RunId id, std::string task, std::string level, std::string event,
                           std::string message) {
  Record record;
  record.kind = Record::Kind::event;
  record.id = id;
  record.task = std::move(task);
  record.at = format_timestamp(clock_());
  record.level = std::move(level);
  record.event = std::move(event);
  record.message = std::move(message);
  queue(std::move(record));
}

void RunJournal::flush() {
  Record record;
  record.kind = Record::Kind::flush;
  try {
    queue_and_wait(std::move(record));
  } catch (const StoreError&) {
    // The batch it was in failed: its records were reported to their callers; nothing is left.
  }
}

RunJournal::Stats RunJournal::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool RunJournal::queue_and_wait(Record record) {
  auto done = record.done.emplace().get_future();
  queue(std::move(record));
  return done.get();  // rethrows the batch's StoreError
}

void RunJournal::queue(Record record) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(record));
  }
  queued_.notify_one();
}

void RunJournal::loop(std::stop_token stop) {
  std::vector<Record> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // On a stop request the wait returns at once; what is queued is still written.
      queued_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (queue_.empty()) return;
      const std::size_t take =
          std::min(queue_.size(), std::max<std::size_t>(settings_.max_batch, 1));
      for (std::size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    write(batch);
    batch.clear();
  }
}

void RunJournal::write(std::vector<Record>& batch) {
  std::vector<bool> won(batch.size(), false);
  try {
    database_->with_session("recording runs", [&](soci::session& sql) {
      run_writes::in_write_transaction(sql, database_->dialect(), [&] {
        run_writes::RunWriter writer(sql, *database_, true);
        for (std::size_t i = 0; i < batch.size(); ++i) won[i] = apply(writer, batch[i]);
      });
      return 0;
    });
  } catch (const StoreUnavailable&) {
    const auto error = std::current_exception();
    for (auto& record : batch) fail(record, error);
    std::lock_guard lock(mutex_);
    stats_.records += batch.size();
    return;
  } catch (const StoreError&) {
    if (batch.size() == 1) {
      fail(batch.front(), std::current_exception());
      std::lock_guard lock(mutex_);
      stats_.records += 1;
      return;
    }
    // One record spoiled the batch: each on its own, so only that one fails.
    for (auto& record : batch) {
      std::vector<Record> alone;
      alone.push_back(std::move(record));
      write(alone);
    }
    return;
  }
  {
    std::lock_guard lock(mutex_);
    stats_.records += batch.size();
    stats_.commits += 1;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done->set_value(won[i]);
  }
}

bool RunJournal::apply(run_writes::RunWriter& writer, const Record& record) {
  switch (record.kind) {
    case Record::Kind::start:
      return writer.start(record.id, record.worker, record.at);
    case Record::Kind::finish:
      return writer.finish(record.id, record.outcome, record.result, record.error, record.at);
    case Record::Kind::event:
      writer.add_event(record.id, record.level, record.event, record.message, record.at);
      return true;
    case Record::Kind::flush:
      return true;
  }
  return false;
}

void RunJournal::fail(Record& record, const std::exception_ptr& error) {
  if (record.done) {
    record.done->set_exception(error);
    return;
  }
  if (record.kind == Record::Kind::event && settings_.on_lost_event) {
    std::string reason;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      reason = e.what();
    }
    settings_.on_lost_event({record.id, record.task, record.event, std::move(reason)});
  }
}

}  // namespace maintd::store
