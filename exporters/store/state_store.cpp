#include "exporters/store/state_store.h"

#include <charconv>
#include <cstdio>

#include <sys/stat.h>

#include <algorithm>

#include <boost/json/parse.hpp>

#include "common/json_format.h"
#include "common/time_format.h"
#include "exporters/store/durable_file.h"
#include "exporters/store/sqlite_db.h"

namespace synthprobe::store {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono;

constexpr const char* kFileName = "synthprobe.db";
constexpr int kSchemaVersion = 1;
constexpr auto kRetentionEvery = hours(1);
constexpr auto kBackoffFirst = milliseconds(500);
constexpr auto kBackoffCap = seconds(30);

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites(site TEXT PRIMARY KEY, tracker TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents(id TEXT PRIMARY KEY, site TEXT NOT NULL, opened_at_ms INTEGER NOT NULL,
  resolved_at_ms INTEGER, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_by_opened ON incidents(opened_at_ms);
CREATE TABLE IF NOT EXISTS streaks(check_name TEXT PRIMARY KEY, state TEXT NOT NULL, failed INTEGER NOT NULL,
  passed INTEGER NOT NULL, degraded INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS progress(notifier TEXT NOT NULL, incident_id TEXT NOT NULL, opened INTEGER NOT NULL,
  sequence INTEGER NOT NULL, last_severity TEXT NOT NULL, last_sent_ms INTEGER NOT NULL,
  keep_until_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(notifier, incident_id));
CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, notifier TEXT NOT NULL, target TEXT NOT NULL,
  dedup_key TEXT NOT NULL, incident_id TEXT NOT NULL, event TEXT NOT NULL, attempts INTEGER NOT NULL,
  next_attempt_at_ms INTEGER NOT NULL, created_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rollups(check_name TEXT NOT NULL, hour INTEGER NOT NULL, site TEXT NOT NULL,
  area TEXT NOT NULL, passed INTEGER NOT NULL, total INTEGER NOT NULL, PRIMARY KEY(check_name, hour));
CREATE TABLE IF NOT EXISTS drills(id TEXT PRIMARY KEY, site TEXT NOT NULL, started_at_ms INTEGER NOT NULL,
  finished INTEGER NOT NULL, body TEXT NOT NULL);
)sql";

Timestamp from_ms(std::int64_t ms) { return Timestamp(milliseconds(ms)); }

std::string compact_now() { return format_compact_utc(system_clock::now()); }

}  // namespace

// The connection and its statements, prepared once.
struct StateStore::Db {
  Database db;
  Statement put_site, delete_site, put_incident, put_streak, delete_streak, put_progress, delete_progress,
      put_outbox, delete_outbox, add_rollup, put_meta, put_drill;
  std::optional<system_clock::time_point> last_retention;

  std::string prepare_all() {
    std::string error;
    const auto p = [&](Statement& s, std::string_view sql) {
      if (error.empty()) s = db.prepare(sql, error);
    };
    p(put_site, "INSERT OR REPLACE INTO sites(site, tracker) VALUES(?1, ?2)");
    p(delete_site, "DELETE FROM sites WHERE site = ?1");
    p(put_incident,
      "INSERT OR REPLACE INTO incidents(id, site, opened_at_ms, resolved_at_ms, body) VALUES(?1, ?2, ?3, ?4, ?5)");
    p(put_streak, "INSERT OR REPLACE INTO streaks(check_name, state, failed, passed, degraded) VALUES(?1, ?2, ?3, ?4, ?5)");
    p(delete_streak, "DELETE FROM streaks WHERE check_name = ?1");
    p(put_progress,
      "INSERT OR REPLACE INTO progress(notifier, incident_id, opened, sequence, last_severity, last_sent_ms, "
      "keep_until_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    p(delete_progress, "DELETE FROM progress WHERE notifier = ?1 AND incident_id = ?2");
    p(put_outbox,
      "INSERT OR REPLACE INTO outbox(id, notifier, target, dedup_key, incident_id, event, attempts, "
      "next_attempt_at_ms, created_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    p(delete_outbox, "DELETE FROM outbox WHERE id = ?1");
    p(add_rollup,
      "INSERT INTO rollups(check_name, hour, site, area, passed, total) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT(check_name, hour) DO UPDATE SET passed = passed + excluded.passed, total = total + excluded.total");
    p(put_meta, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    p(put_drill, "INSERT OR REPLACE INTO drills(id, site, started_at_ms, finished, body) VALUES(?1, ?2, ?3, ?4, ?5)");
    return error;
  }
};

StateStore::StateStore(Options options) : options_(std::move(options)), db_(std::make_unique<Db>()) {}

StateStore::~StateStore() { stop(); }

void StateStore::log(std::string_view level, std::string_view message, std::string_view detail) const {
  if (options_.log) options_.log(level, message, detail);
}

std::size_t StateStore::backlog() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

// ---- opening ---------------------------------------------------------------------------------------

std::string StateStore::create_schema() {
  Database& db = db_->db;
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=OFF"})
    if (std::string e = db.exec(pragma); !e.empty()) return e;
  if (std::string e = db.exec(kSchema); !e.empty()) return e;
  if (std::string e = db.exec("INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '" +
                              std::to_string(kSchemaVersion) + "')");
      !e.empty())
    return e;
  return db_->prepare_all();
}

std::string StateStore::open_database(RestoredState& restored) {
  std::error_code ec;
  if (!fs::exists(options_.dir, ec)) {
    fs::create_directories(options_.dir, ec);
    if (ec) return "cannot create state_dir " + options_.dir.string() + ": " + ec.message();
    ::chmod(options_.dir.c_str(), 0700);  // streaks and incidents are nobody else's business
  } else if (const fs::perms p = fs::status(options_.dir, ec).permissions();
             !ec && (p & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    // A folder the operator made is theirs to set (it may be shared); say so rather than chmod it.
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(p & fs::perms::all));
    restored.warnings.push_back("state_dir " + options_.dir.string() + " is open to other users (mode " + mode +
                                "); it holds incidents and evidence from the sites: chmod 700 it");
  }
  const fs::path file = options_.dir / kFileName;
  if (std::string e = db_->db.open(file); !e.empty()) return "cannot open " + file.string() + ": " + e;
  // Ours, whoever made them: the database (SQLite gives new -wal and -shm files its mode, but not ones a
  // crash left behind) and the review folders (earlier versions left them at the umask's mode).
  for (const char* suffix : {"", "-wal", "-shm"}) ::chmod((file.string() + suffix).c_str(), 0600);
  for (const char* folder : {"incidents", "drills"}) ::chmod((options_.dir / folder).c_str(), 0700);

  // A damaged file is moved aside rather than trusted or deleted: someone may want to look at it.
  std::string verdict, error;
  if (Statement check = db_->db.prepare("PRAGMA quick_check", error); check && check.step(error))
    verdict = check.column_text(0);
  if (verdict != "ok") {
    const std::string why = !error.empty() ? error : verdict;
    db_->db.close();
    const fs::path aside = options_.dir / (std::string(kFileName) + ".corrupt-" + compact_now());
    fs::rename(file, aside, ec);
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(options_.dir / (std::string(kFileName) + suffix), ec);
    restored.warnings.push_back("the state database " + file.string() + " is damaged (" + why + "); moved to " +
                                aside.string() + " and starting without saved state");
    if (std::string e = db_->db.open(file); !e.empty()) return "cannot open " + file.string() + ": " + e;
    ::chmod(file.c_str(), 0600);
  }
  if (std::string e = create_schema(); !e.empty()) {
    db_->db.close();
    return "cannot prepare " + file.string() + ": " + e;
  }
  return {};
}

void StateStore::read_back(RestoredState& r) {
  Database& db = db_->db;
  std::string error;
  const auto each = [&](std::string_view sql, auto&& row) {
    Statement s = db.prepare(sql, error);
    if (!s) return;
    while (s.step(error)) row(s);
  };
  each("SELECT site, tracker FROM sites", [&](Statement& s) {
    json::error_code ec;
    json::value v = json::parse(s.column_text(1), ec);
    if (ec)
      r.warnings.push_back("skipped the unreadable saved state of site " + s.column_text(0));
    else
      r.trackers.emplace(s.column_text(0), std::move(v));
  });
  each("SELECT check_name, state, failed, passed, degraded FROM streaks", [&](Statement& s) {
    StreakRow row;
    row.state = parse_check_state(s.column_text(1)).value_or(CheckState::unknown);
    row.failed = static_cast<std::uint32_t>(s.column_int(2));
    row.passed = static_cast<std::uint32_t>(s.column_int(3));
    row.degraded = static_cast<std::uint32_t>(s.column_int(4));
    r.streaks.emplace(s.column_text(0), row);
  });
  const std::string newest = "SELECT body FROM (SELECT body, resolved_at_ms FROM incidents WHERE resolved_at_ms IS NOT "
                             "NULL ORDER BY resolved_at_ms DESC LIMIT " +
                             std::to_string(options_.recent_resolved) + ") ORDER BY resolved_at_ms";
  each(newest, [&](Statement& s) {
    json::error_code ec;
    const json::value v = json::parse(s.column_text(0), ec);
    if (auto in = ec ? std::nullopt : incident_from_json(v))
      r.recent_resolved.push_back(std::move(*in));
    else
      r.warnings.push_back("skipped an unreadable incident in the history");
  });
  each("SELECT notifier, incident_id, opened, sequence, last_severity, last_sent_ms, keep_until_ms FROM progress",
       [&](Statement& s) {
         r.progress.push_back({s.column_text(0), s.column_text(1), s.column_int(2) != 0,
                               static_cast<std::uint64_t>(s.column_int(3)), s.column_text(4), s.column_int(5),
                               s.column_int(6)});
       });
  each("SELECT id, notifier, target, dedup_key, incident_id, event, attempts, next_attempt_at_ms, created_at_ms "
       "FROM outbox ORDER BY id",
       [&](Statement& s) {
         OutboxRow row;
         row.id = static_cast<std::uint64_t>(s.column_int(0));
         row.notifier = s.column_text(1);
         row.target = s.column_text(2);
         row.dedup_key = s.column_text(3);
         row.incident_id = s.column_text(4);
         row.event_json = s.column_text(5);
         row.attempts = s.column_int(6);
         row.next_attempt_at_ms = s.column_int(7);
         row.created_at_ms = s.column_int(8);
         r.next_outbox_id = std::max(r.next_outbox_id, row.id + 1);
         r.outbox.push_back(std::move(row));
       });
  each("SELECT id, site, started_at_ms, body FROM drills WHERE finished = 0 ORDER BY started_at_ms", [&](Statement& s) {
    DrillRow row;
    row.id = s.column_text(0);
    row.site = s.column_text(1);
    row.started_at_ms = s.column_int(2);
    row.body = s.column_text(3);
    r.unfinished_drills.push_back(std::move(row));
  });
  each("SELECT key, value FROM meta WHERE key IN ('last_alive_ms', 'stopped_at_ms', 'next_outbox_id')",
       [&](Statement& s) {
         const std::string key = s.column_text(0);
         // A damaged value (not a number, or too long for one) reads as 0: the fact is then unknown.
         std::int64_t value = 0;
         const std::string text = s.column_text(1);
         std::from_chars(text.data(), text.data() + text.size(), value);
         if (key == "last_alive_ms" && value > 0) r.last_alive = from_ms(value);
         if (key == "stopped_at_ms" && value > 0) r.stopped_cleanly = true;
         if (key == "next_outbox_id") r.next_outbox_id = std::max(r.next_outbox_id, static_cast<std::uint64_t>(value));
       });
  if (!error.empty()) r.warnings.push_back("reading the state database: " + error);
}

RestoredState StateStore::open() {
  RestoredState restored;
  restored.error = open_database(restored);
  if (restored.error.empty()) {
    read_back(restored);
    // From here on the previous process's clean stop no longer describes this one.
    if (std::string e = db_->db.exec("DELETE FROM meta WHERE key = 'stopped_at_ms'"); !e.empty())
      restored.warnings.push_back("cannot update the state database: " + e);
  }
  writer_ = std::thread([this] { writer_loop(); });
  return restored;
}

// ---- the writer ------------------------------------------------------------------------------------

std::string StateStore::commit(PendingWrites& b) {
  Db& d = *db_;
  if (!d.db.is_open()) {
    RestoredState ignored;
    if (std::string e = open_database(ignored); !e.empty()) return e;
    for (const auto& w : ignored.warnings) log("error", "state store repaired", w);
  }
  if (std::string e = d.db.exec("BEGIN IMMEDIATE"); !e.empty()) return e;
  std::string error;
  const auto ok = [&](Statement& s) { return s.run(error); };
  bool good = true;
  for (auto& [site, state] : b.trackers) {
    if (state)
      good = good && ok(d.put_site.bind(1, site).bind(2, serialize_json(*state)));
    else
      good = good && ok(d.delete_site.bind(1, site));
  }
  for (auto& [id, in] : b.incidents) {
    Statement& s = d.put_incident.bind(1, id).bind(2, in.site).bind(3, unix_millis(in.opened_at)).bind(5, serialize_json(to_json(in)));
    if (in.resolved_at) s.bind(4, unix_millis(*in.resolved_at)); else s.bind_null(4);
    good = good && ok(s);
  }
  for (auto& [check, row] : b.streaks) {
    if (row)
      good = good && ok(d.put_streak.bind(1, check)
                            .bind(2, to_string(row->state))
                            .bind(3, static_cast<std::int64_t>(row->failed))
                            .bind(4, static_cast<std::int64_t>(row->passed))
                            .bind(5, static_cast<std::int64_t>(row->degraded)));
    else
      good = good && ok(d.delete_streak.bind(1, check));
  }
  for (auto& [key, row] : b.progress) {
    if (row)
      good = good && ok(d.put_progress.bind(1, row->notifier)
                            .bind(2, row->incident_id)
                            .bind(3, static_cast<std::int64_t>(row->opened))
                            .bind(4, static_cast<std::int64_t>(row->sequence))
                            .bind(5, row->last_severity)
                            .bind(6, row->last_sent_ms)
                            .bind(7, row->keep_until_ms));
    else
      good = good && ok(d.delete_progress.bind(1, key.first).bind(2, key.second));
  }
  std::uint64_t max_id = 0;
  for (auto& [id, row] : b.outbox) {
    max_id = std::max(max_id, id);
    if (row)
      good = good && ok(d.put_outbox.bind(1, static_cast<std::int64_t>(id))
                            .bind(2, row->notifier)
                            .bind(3, row->target)
                            .bind(4, row->dedup_key)
                            .bind(5, row->incident_id)
                            .bind(6, row->event_json)
                            .bind(7, row->attempts)
                            .bind(8, row->next_attempt_at_ms)
                            .bind(9, row->created_at_ms));
    else
      good = good && ok(d.delete_outbox.bind(1, static_cast<std::int64_t>(id)));
  }
  // Ids are never reused, even when the table is empty after a restart.
  if (max_id > 0) b.meta.insert_or_assign("next_outbox_id", std::to_string(max_id + 1));
  for (auto& [key, r] : b.rollups)
    good = good && ok(d.add_rollup.bind(1, r.check)
                          .bind(2, r.hour)
                          .bind(3, r.site)
                          .bind(4, r.area)
                          .bind(5, static_cast<std::int64_t>(r.passed))
                          .bind(6, static_cast<std::int64_t>(r.total)));
  for (auto& [key, value] : b.meta) good = good && ok(d.put_meta.bind(1, key).bind(2, value));
  for (auto& [id, row] : b.drills)
    good = good && ok(d.put_drill.bind(1, id)
                          .bind(2, row.site)
                          .bind(3, row.started_at_ms)
                          .bind(4, static_cast<std::int64_t>(row.finished))
                          .bind(5, row.body));
  if (!good) {
    (void)d.db.exec("ROLLBACK");
    return error;
  }
  if (std::string e = d.db.exec("COMMIT"); !e.empty()) {
    (void)d.db.exec("ROLLBACK");
    return e;
  }
  return {};
}

void StateStore::apply_retention(Clock::time_point now) {
  if (!db_->db.is_open()) return;
  if (db_->last_retention && now - *db_->last_retention < kRetentionEvery) return;
  db_->last_retention = now;
  const std::int64_t cutoff = unix_millis(now - options_.retention);
  const std::string e = db_->db.exec("DELETE FROM incidents WHERE resolved_at_ms IS NOT NULL AND resolved_at_ms < " +
                                     std::to_string(cutoff) + "; DELETE FROM rollups WHERE hour < " +
                                     std::to_string(cutoff / 1000 / 3600) +
                                     "; DELETE FROM drills WHERE finished = 1 AND started_at_ms < " + std::to_string(cutoff));
  if (!e.empty()) log("warn", "state store: cannot drop history older than state_retention", e);
}

void StateStore::write_files(PendingWrites& batch) {
  std::vector<std::pair<std::string, std::string>> failed;
  for (auto& [path, text] : batch.files) {
    std::error_code ec;
    const fs::path full = fs::path(path).is_relative() ? options_.dir / path : fs::path(path);
    if (fs::create_directories(full.parent_path(), ec)) ::chmod(full.parent_path().c_str(), 0700);
    if (std::string e = replace_file_durably(full, text, 0600); !e.empty()) {
      log("error", "cannot write a file in state_dir; will try again", e);
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      failed.emplace_back(std::move(path), std::move(text));
    }
  }
  batch.files = std::move(failed);
}

void StateStore::finish_waiters(std::uint64_t seq, bool committed) {
  std::vector<Waiter> ready;
  {
    std::lock_guard lock(mutex_);
    auto split = std::stable_partition(waiters_.begin(), waiters_.end(), [&](const Waiter& w) { return w.seq > seq; });
    std::move(split, waiters_.end(), std::back_inserter(ready));
    waiters_.erase(split, waiters_.end());
  }
  for (auto& w : ready) {
    if (!options_.post) continue;
    options_.post([done = std::move(w.done), committed] { done(committed); });
  }
}

void StateStore::when_committed(std::uint64_t seq, std::function<void(bool)> done) {
  std::unique_lock lock(mutex_);
  if (seq <= committed_seq_) {
    lock.unlock();
    if (options_.post) options_.post([done = std::move(done)] { done(true); });
    return;
  }
  waiters_.push_back({seq, std::move(done)});
}

void StateStore::writer_loop() {
  auto last_commit = Clock::now() - options_.lazy_interval;
  milliseconds backoff = kBackoffFirst;
  std::optional<Clock::time_point> retry_at;
  bool failing = false;
  for (;;) {
    PendingWrites batch;
    std::uint64_t seq = 0;
    bool final_round = false;
    {
      std::unique_lock lock(mutex_);
      for (;;) {
        const auto now = Clock::now();
        if (stopping_) {
          // Leave when everything is on disk, or when the disk keeps refusing past the deadline.
          if (pending_.empty() || (stop_deadline_ && now >= *stop_deadline_)) return;
          if (!retry_at || now >= *retry_at) break;
          wake_.wait_until(lock, std::min(*retry_at, *stop_deadline_));
          continue;
        }
        if (!pending_.empty()) {
          const auto due = retry_at ? *retry_at
                                    : (pending_.urgent() ? now : last_commit + options_.lazy_interval);
          if (now >= due) break;
          wake_.wait_until(lock, due);
          continue;
        }
        wake_.wait_for(lock, seconds(60));
        if (pending_.empty() && !stopping_) break;  // an idle minute: time for retention
      }
      batch = std::move(pending_);
      pending_ = PendingWrites{};
      seq = staged_seq_;
      final_round = stopping_;
    }
    const auto now = Clock::now();
    apply_retention(now);
    if (batch.empty()) continue;
    std::string error = commit(batch);
    if (error.empty()) {
      write_files(batch);
      last_commit = now;
      retry_at.reset();
      backoff = kBackoffFirst;
      if (failing) log("info", "state store writes again", options_.dir.string());
      failing = false;
      {
        std::lock_guard lock(mutex_);
        committed_seq_ = std::max(committed_seq_, seq);
        if (!batch.files.empty()) {  // files that could not be written wait for the next round
          batch.merge_newer(std::move(pending_));
          pending_ = std::move(batch);
        }
      }
      finish_waiters(seq, true);
      continue;
    }
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    if (!failing) log("error", "state store write failed; the data waits in memory and is written again", error);
    failing = true;
    {
      std::lock_guard lock(mutex_);
      batch.merge_newer(std::move(pending_));
      pending_ = std::move(batch);
    }
    finish_waiters(seq, false);
    retry_at = Clock::now() + backoff;
    backoff = std::min<milliseconds>(backoff * 2, kBackoffCap);
    if (final_round && stop_deadline_ && Clock::now() >= *stop_deadline_) {
      log("error", "state store: stopping with writes that never reached the disk", error);
      return;
    }
  }
}

void StateStore::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      // already stopping
    } else {
      stopping_ = true;
      stop_deadline_ = Clock::now() + deadline;
    }
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  db_->db.close();
}

}  // namespace synthprobe::store
