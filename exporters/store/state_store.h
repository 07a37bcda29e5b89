#pragma once
// The state store: state_dir/synthprobe.db (SQLite, WAL), owned by one writer thread, so the check loop
// never waits for the disk.
//
// The loop stages writes (stage(), a few microseconds under a mutex); the writer commits them in one
// transaction with synchronous=FULL: at once when they concern paging (outbox, notifier progress,
// incidents), else at most once per `lazy_interval` (streaks, rollups, the alive mark). when_committed()
// tells the loop, through `post`, that a write is on disk: the notifier dispatcher sends an event only
// then, so a kill -9 at any moment loses nothing that was sent.
//
// When the disk refuses (full, read-only, removed), the writes stay coalesced in memory (PendingWrites),
// the failure is logged once per outage and counted (write_errors()), the loop is told "not committed"
// (paging goes on without durability), and the writer retries with backoff until the disk takes them.
// A database that SQLite reports as corrupt is moved aside (synthprobe.db.corrupt-<time>) and the probe
// starts clean, loudly.
//
// Tables: sites (each site's incident tracker), incidents (every incident, kept `retention` after it
// resolved), drills (kept apart from incidents, as long), streaks (only rows that changed), progress (per notifier and incident, deleted when its
// resolve is delivered), outbox (events not yet delivered), rollups (runs per check per UTC hour), meta.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>

#include "exporters/store/pending_writes.h"
#include "exporters/store/store_records.h"
#include "probe/incidents/incident.h"

namespace synthprobe::store {

// What the previous process left.
struct RestoredState {
  std::map<std::string, boost::json::value> trackers;  // site -> what IncidentTracker::save() wrote
  std::map<std::string, StreakRow> streaks;             // check -> streaks
  std::vector<Incident> recent_resolved;                // oldest first
  std::vector<ProgressRow> progress;
  std::vector<OutboxRow> outbox;  // in id order
  std::uint64_t next_outbox_id = 1;
  std::vector<DrillRow> unfinished_drills;  // drills the previous process had not resolved, oldest first
  std::optional<Timestamp> last_alive;  // the previous process's last sign of life
  bool stopped_cleanly = false;         // it stopped gracefully (and recorded probe_stopped itself)
  std::vector<std::string> warnings;    // a corrupt database moved aside, unreadable rows skipped, a state_dir open to others
  std::string error;  // the database could not be opened: started without saved state, writes retried
};

class StateStore {
 public:
  using Clock = std::chrono::system_clock;
  struct Options {
    std::filesystem::path dir;  // state_dir
    std::chrono::hours retention{90 * 24};
    std::chrono::milliseconds lazy_interval{1000};
    std::size_t recent_resolved = 100;  // resolved incidents handed back at start
    // Runs a completion on the owner's thread (the check loop posts it to its io_context).
    std::function<void(std::function<void()>)> post;
    // level is "info", "warn" or "error".
    std::function<void(std::string_view level, std::string_view message, std::string_view detail)> log;
  };

  explicit StateStore(Options options);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Opens (creating state_dir 0700 and the file 0600 when missing), repairs, reads what the previous
  // process left, and starts the writer. Call once, before the loop runs.
  RestoredState open();

  // Commits what is staged (waiting at most `deadline`), then stops the writer. Later stage() calls are
  // dropped.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  // Stages writes under the store's lock and returns their sequence number. Never touches the disk.
  template <class Fill>
  std::uint64_t stage(Fill&& fill) {
    std::lock_guard lock(mutex_);
    fill(pending_);
    ++staged_seq_;
    wake_.notify_one();
    return staged_seq_;
  }

  // `done(true)` runs (through Options::post) once every write up to `seq` is committed; `done(false)`
  // once a commit including it failed (the writes stay staged and are retried; `done` is not called again).
  void when_committed(std::uint64_t seq, std::function<void(bool committed)> done);

  std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  // Writes staged but not yet on disk (for tests and the log).
  std::size_t backlog() const;

 private:
  struct Waiter {
    std::uint64_t seq;
    std::function<void(bool)> done;
  };

  std::string open_database(RestoredState& restored);
  std::string create_schema();
  void read_back(RestoredState& restored);
  void writer_loop();
  std::string commit(PendingWrites& batch);
  void apply_retention(Clock::time_point now);
  void write_files(PendingWrites& batch);
  void finish_waiters(std::uint64_t seq, bool committed);
  void log(std::string_view level, std::string_view message, std::string_view detail = {}) const;

  Options options_;
  struct Db;
  std::unique_ptr<Db> db_;  // writer thread only, after open()

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  PendingWrites pending_;
  std::uint64_t staged_seq_ = 0;
  std::uint64_t committed_seq_ = 0;
  std::vector<Waiter> waiters_;
  bool stopping_ = false;
  std::optional<Clock::time_point> stop_deadline_;
  std::atomic<std::uint64_t> write_errors_{0};
  std::thread writer_;
};

}  // namespace synthprobe::store
