// The state store: what is staged comes back after a restart, commits are reported to the loop, a full
// disk loses nothing (the writes wait and land once it has room), a damaged file is moved aside.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>

#include "common/time_format.h"
#include "exporters/store/state_store.h"
#include "exporters/store/store_reader.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe;
using namespace synthprobe::store;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Stands in for the check loop: completions are queued and run by run_pending() on the test's thread.
struct FakeLoop {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::function<void()>> queue;

  std::function<void(std::function<void()>)> poster() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(f));
      ready.notify_all();
    };
  }
  // Runs completions until `done()` holds or 10 s pass.
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      std::unique_lock lock(mutex);
      if (!ready.wait_until(lock, deadline, [&] { return !queue.empty(); })) return false;
      auto f = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      f();
    }
    return true;
  }
};

StateStore::Options options(const fs::path& dir, FakeLoop& loop, std::vector<std::string>* logs = nullptr) {
  StateStore::Options o;
  o.dir = dir;
  o.lazy_interval = 50ms;
  o.post = loop.poster();
  o.log = [logs](std::string_view level, std::string_view message, std::string_view detail) {
    if (logs) logs->push_back(std::string(level) + ": " + std::string(message) + ": " + std::string(detail));
  };
  return o;
}

Incident incident(std::string id, bool resolved) {
  Incident in;
  in.id = std::move(id);
  in.site = "shop";
  in.dedup_key = "synthprobe/shop/eu";
  in.severity = config::Severity::P2;
  in.summary = "shop: checkout down";
  in.opened_at = *parse_rfc3339("2026-11-27T10:15:00Z");
  if (resolved) in.resolved_at = *parse_rfc3339("2026-11-27T10:45:00Z");
  return in;
}

OutboxRow outbox_row(std::uint64_t id) {
  OutboxRow r;
  r.id = id;
  r.notifier = "oncall";
  r.dedup_key = "synthprobe/shop/eu";
  r.incident_id = "shop-eu-1";
  r.event_json = R"({"kind":"open","sequence":)" + std::to_string(id) + "}";
  r.attempts = 2;
  r.next_attempt_at_ms = 1'795'774'500'000;
  r.created_at_ms = 1'795'774'400'000;
  return r;
}

}  // namespace

TEST_CASE("what is staged comes back after a restart, coalesced to the last state") {
  testing::TempDir dir;
  FakeLoop loop;
  {
    StateStore store(options(dir.path() / "state", loop));
    const RestoredState first = store.open();
    CHECK(first.error.empty());
    CHECK(first.trackers.empty());
    CHECK((fs::status(dir.path() / "state").permissions() & fs::perms::all) == fs::perms::owner_all);
    CHECK((fs::status(dir.path() / "state" / "synthprobe.db").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    store.stage([](PendingWrites& w) {
      w.trackers["shop"] = boost::json::object{{"version", 1}, {"site", "shop"}};
      w.trackers["gone"] = boost::json::object{{"version", 1}};
      w.incidents.insert_or_assign("inc-1", incident("inc-1", true));
      w.incidents.insert_or_assign("inc-2", incident("inc-2", false));
      w.streaks["home"] = StreakRow{CheckState::down, 3, 0, 0};
      w.progress[{"oncall", "inc-1"}] = ProgressRow{"oncall", "inc-1", true, 4, "P2", 1000};
      w.outbox[7] = outbox_row(7);
      w.outbox[8] = outbox_row(8);
      w.add_rollup({"home", "shop", "storefront", 490'000, 9, 10});
      w.meta["last_alive_ms"] = "1795774500000";
    });
    const std::uint64_t seq = store.stage([](PendingWrites& w) {
      w.trackers["gone"] = std::nullopt;  // deleted before it ever reached the disk
      w.outbox[8] = std::nullopt;         // delivered
      w.add_rollup({"home", "shop", "storefront", 490'000, 1, 2});
    });
    bool committed = false;
    store.when_committed(seq, [&](bool ok) { committed = ok; });
    REQUIRE(loop.run_until([&] { return committed; }));
    store.stop();
  }
  StateStore again(options(dir.path() / "state", loop));
  const RestoredState r = again.open();
  CHECK(r.error.empty());
  CHECK(r.warnings.empty());
  REQUIRE(r.trackers.size() == 1);
  CHECK(r.trackers.at("shop").at("site") == "shop");
  REQUIRE(r.recent_resolved.size() == 1);  // the open one is the tracker's business
  CHECK(r.recent_resolved[0].id == "inc-1");
  CHECK(r.recent_resolved[0].summary == "shop: checkout down");
  CHECK(r.streaks.at("home") == StreakRow{CheckState::down, 3, 0, 0});
  REQUIRE(r.progress.size() == 1);
  CHECK(r.progress[0].sequence == 4);
  CHECK(r.progress[0].last_severity == "P2");
  REQUIRE(r.outbox.size() == 1);
  CHECK(r.outbox[0].id == 7);
  CHECK(r.outbox[0].event_json == outbox_row(7).event_json);
  CHECK(r.outbox[0].attempts == 2);
  CHECK(r.next_outbox_id == 9);  // 8 was used: ids are never reused
  REQUIRE(r.last_alive.has_value());
  CHECK(format_rfc3339(*r.last_alive) == "2026-11-27T10:15:00Z");
  CHECK_FALSE(r.stopped_cleanly);
}

TEST_CASE("a clean stop is remembered once") {
  testing::TempDir dir;
  FakeLoop loop;
  {
    StateStore store(options(dir.path(), loop));
    (void)store.open();
    store.stage([](PendingWrites& w) { w.meta["stopped_at_ms"] = "1795774500000"; });
    store.stop();
  }
  {
    StateStore store(options(dir.path(), loop));
    CHECK(store.open().stopped_cleanly);
    store.stop();
  }
  StateStore store(options(dir.path(), loop));
  CHECK_FALSE(store.open().stopped_cleanly);  // the previous run was killed (it never said it stopped)
}

TEST_CASE("state files are 0600 and their folders 0700, whoever made them; an open state_dir is named") {
  testing::TempDir dir;
  FakeLoop loop;
  const fs::path state = dir.path() / "state";
  fs::create_directories(state);
  fs::permissions(state, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  std::ofstream(state / "synthprobe.db").close();  // an empty file is a valid empty database, made 0644
  fs::create_directories(state / "incidents");     // as earlier versions left it: the umask's 0755
  fs::permissions(state / "incidents", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                           fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(state / "synthprobe.db", fs::perms::owner_read | fs::perms::owner_write |
                                               fs::perms::group_read | fs::perms::others_read);
  StateStore store(options(state, loop));
  const RestoredState restored = store.open();
  REQUIRE(restored.error.empty());
  REQUIRE(restored.warnings.size() == 1);
  CHECK(restored.warnings[0].find("open to other users (mode 0755)") != std::string::npos);
  CHECK((fs::status(state).permissions() & fs::perms::all) != fs::perms::owner_all);  // not ours to chmod
  const auto owner_rw = fs::perms::owner_read | fs::perms::owner_write;
  CHECK((fs::status(state / "synthprobe.db").permissions() & fs::perms::all) == owner_rw);

  const std::uint64_t seq = store.stage([](PendingWrites& w) { w.files.emplace_back("incidents/shop-eu-1.md", "# review\n"); });
  bool committed = false;
  store.when_committed(seq, [&](bool ok) { committed = ok; });
  REQUIRE(loop.run_until([&] { return committed; }));
  CHECK((fs::status(state / "incidents").permissions() & fs::perms::all) == fs::perms::owner_all);
  CHECK((fs::status(state / "incidents/shop-eu-1.md").permissions() & fs::perms::all) == owner_rw);
  store.stop();
}

TEST_CASE("a full disk: writes wait in memory, are counted, and land once the disk has room") {
  testing::TempDir dir;
  FakeLoop loop;
  std::vector<std::string> logs;
  std::signal(SIGXFSZ, SIG_IGN);  // writes past the limit fail with EFBIG instead of killing the test
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  {
    StateStore store(options(dir.path(), loop, &logs));
    REQUIRE(store.open().error.empty());
    // Let the schema and first pages settle, then forbid any file from growing.
    bool first = false;
    store.when_committed(store.stage([](PendingWrites& w) { w.meta["x"] = "1"; }), [&](bool ok) { first = ok; });
    REQUIRE(loop.run_until([&] { return first; }));
    rlimit tiny = old;
    tiny.rlim_cur = 1;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &tiny) == 0);

    std::string big(64 * 1024, 'x');
    std::optional<bool> outcome;
    const std::uint64_t seq = store.stage([&](PendingWrites& w) {
      for (int i = 1; i <= 20; ++i) {
        OutboxRow row = outbox_row(static_cast<std::uint64_t>(i));
        row.event_json = big;
        w.outbox[row.id] = row;
      }
    });
    store.when_committed(seq, [&](bool ok) { outcome = ok; });
    REQUIRE(loop.run_until([&] { return outcome.has_value(); }));
    CHECK_FALSE(*outcome);  // the loop hears at once that the events are not durable
    CHECK(store.write_errors() >= 1);
    CHECK(store.backlog() >= 20);  // the 20 events (and the next outbox id)
    REQUIRE_FALSE(logs.empty());
    CHECK(logs[0].find("state store write failed") != std::string::npos);

    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);  // room again
    bool landed = false;
    store.when_committed(store.stage([](PendingWrites& w) { w.meta["y"] = "2"; }), [&](bool ok) { landed = ok; });
    REQUIRE(loop.run_until([&] { return landed; }));
    CHECK(store.backlog() == 0);
    store.stop();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  StateStore again(options(dir.path(), loop));
  CHECK(again.open().outbox.size() == 20);
}

TEST_CASE("a damaged database is moved aside and the probe starts clean, saying so") {
  testing::TempDir dir;
  FakeLoop loop;
  std::ofstream(dir.path() / "synthprobe.db") << std::string(8192, 'Z');
  StateStore store(options(dir.path(), loop));
  const RestoredState r = store.open();
  CHECK(r.error.empty());
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("is damaged") != std::string::npos);
  bool aside = false;
  for (const auto& e : fs::directory_iterator(dir.path()))
    aside = aside || e.path().filename().string().starts_with("synthprobe.db.corrupt-");
  CHECK(aside);
  bool committed = false;
  store.when_committed(store.stage([](PendingWrites& w) { w.streaks["home"] = StreakRow{}; }),
                       [&](bool ok) { committed = ok; });
  CHECK(loop.run_until([&] { return committed; }));
}

TEST_CASE("state_dir that cannot be created: an error, and writes wait instead of crashing") {
  testing::TempDir dir;
  FakeLoop loop;
  std::ofstream(dir.path() / "file") << "not a folder";
  StateStore store(options(dir.path() / "file" / "state", loop));
  const RestoredState r = store.open();
  CHECK(r.error.find("cannot create state_dir") != std::string::npos);
  std::optional<bool> outcome;
  store.when_committed(store.stage([](PendingWrites& w) { w.outbox[1] = outbox_row(1); }),
                       [&](bool ok) { outcome = ok; });
  REQUIRE(loop.run_until([&] { return outcome.has_value(); }));
  CHECK_FALSE(*outcome);
  CHECK(store.backlog() == 1);
  store.stop(100ms);
}

TEST_CASE("pending writes coalesce: the newer state wins, rollups add up") {
  PendingWrites older, newer;
  older.streaks["a"] = StreakRow{CheckState::failing, 1, 0, 0};
  older.outbox[1] = outbox_row(1);
  older.add_rollup({"a", "s", "x", 10, 1, 1});
  newer.streaks["a"] = StreakRow{CheckState::down, 3, 0, 0};
  newer.outbox[1] = std::nullopt;
  newer.add_rollup({"a", "s", "x", 10, 0, 2});
  newer.add_rollup({"a", "s", "x", 11, 1, 1});
  CHECK(older.urgent());
  older.merge_newer(std::move(newer));
  CHECK(older.streaks.at("a")->state == CheckState::down);
  CHECK_FALSE(older.outbox.at(1).has_value());
  CHECK(older.rollups.at({"a", 10}).passed == 1);
  CHECK(older.rollups.at({"a", 10}).total == 3);
  CHECK(older.rollups.size() == 2);
  CHECK(newer.empty());
  PendingWrites lazy;
  lazy.streaks["b"] = StreakRow{};
  CHECK_FALSE(lazy.urgent());
}

// Found in review of the fuzzing work: a stored meta value too long for a number threw out of open().
TEST_CASE("a damaged meta value reads as unknown, never throws") {
  testing::TempDir dir;
  {
    FakeLoop loop;
    StateStore store(options(dir.path(), loop));
    store.open();
    bool committed = false;
    store.when_committed(store.stage([](PendingWrites& w) {
      w.meta["last_alive_ms"] = std::string(40, '9');
      w.meta["next_outbox_id"] = "many";
    }),
                         [&](bool ok) { committed = ok; });
    REQUIRE(loop.run_until([&] { return committed; }));
    store.stop();
  }
  FakeLoop loop;
  StateStore store(options(dir.path(), loop));
  RestoredState r;
  CHECK_NOTHROW(r = store.open());
  CHECK(r.error.empty());
  CHECK_FALSE(r.last_alive.has_value());
  CHECK(r.next_outbox_id == 1);
}

TEST_CASE("drills: kept in their own table, the unfinished ones handed back at start") {
  testing::TempDir dir;
  {
    FakeLoop loop;
    StateStore store(options(dir.path(), loop));
    store.open();
    bool committed = false;
    store.when_committed(store.stage([](PendingWrites& w) {
      w.drills["drill-a"] = DrillRow{"drill-a", "shop", 1000, false, R"({"running":true})"};
      w.drills["drill-b"] = DrillRow{"drill-b", "shop", 2000, true, R"({"done":true})"};
    }),
                         [&](bool ok) { committed = ok; });
    REQUIRE(loop.run_until([&] { return committed; }));
    store.stop();
  }
  FakeLoop loop;
  StateStore store(options(dir.path(), loop));
  const RestoredState r = store.open();
  REQUIRE(r.unfinished_drills.size() == 1);
  CHECK(r.unfinished_drills[0].id == "drill-a");
  CHECK(r.unfinished_drills[0].body == R"({"running":true})");
  CHECK(r.recent_resolved.empty());  // a drill is never an incident
  store.stop();
  StoreReader reader(dir.path());
  const HistoryRows rows = reader.history(0);
  CHECK(rows.incidents.empty());
  CHECK(rows.drills.size() == 2);
}
