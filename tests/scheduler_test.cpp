#include "probe/engine/scheduler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

using synthprobe::Scheduler;
using namespace std::chrono_literals;

namespace {

using TimePoint = Scheduler::TimePoint;
using Duration = Scheduler::Duration;

// An arbitrary steady_clock reading: nothing may assume the origin is the clock's epoch.
const TimePoint kOrigin = TimePoint{} + 123456789ms;

std::string name_of(int i) { return "check-" + std::to_string(i); }

// Adds checks 0..n-1 at 1h (their first due times spread by name over the hour) and returns them as
// (first due time, id), earliest first.
std::vector<std::pair<TimePoint, std::uint32_t>> add_hourly_checks(Scheduler& s, std::uint32_t n) {
  std::vector<std::pair<TimePoint, std::uint32_t>> by_due;
  for (std::uint32_t id = 0; id < n; ++id) {
    s.add(id, name_of(static_cast<int>(id)), 1h, 0s, kOrigin);
    by_due.emplace_back(*s.next_due(id), id);
  }
  std::sort(by_due.begin(), by_due.end());
  return by_due;
}

// The daemon's loop with a fake clock: poll at every wakeup up to `until`, finish each run `run_for`
// after it started. Returns every start, in start order.
struct Harness {
  Scheduler sched;
  TimePoint now = kOrigin;
  Duration run_for = 0ms;
  struct Running {
    TimePoint ends;
    Scheduler::Start start;
  };
  std::vector<Running> running;
  std::vector<Scheduler::Start> starts;
  Duration early = 0ms;              // poll()'s start window
  std::vector<TimePoint> wakeups;    // every poll at next_wakeup() that started something
  int refused_finishes = 0;

  explicit Harness(std::size_t cap) : sched(cap, kOrigin) {}

  void run_until(TimePoint until) {
    std::vector<Scheduler::Start> out;
    for (;;) {
      TimePoint next = until;
      std::optional<TimePoint> timer;
      if (auto w = sched.next_wakeup()) next = std::min(next, *(timer = std::max(*w, now)));
      for (const auto& r : running) next = std::min(next, r.ends);
      now = next;
      const bool timer_driven = timer && *timer == now;
      // Finish everything ending now, then start what may start.
      std::erase_if(running, [&](const Running& r) {
        if (r.ends > now) return false;
        if (!sched.finished(r.start.id, r.start.run, now)) ++refused_finishes;
        return true;
      });
      out.clear();
      sched.poll(now, out, early);
      if (!out.empty() && timer_driven) wakeups.push_back(now);
      for (const auto& s : out) {
        starts.push_back(s);
        running.push_back({now + run_for, s});
      }
      if (now >= until && out.empty()) break;
    }
    CHECK(refused_finishes == 0);
  }
};

}  // namespace

TEST_CASE("first runs spread over the interval by a stable hash of the name") {
  constexpr int kChecks = 1000;
  Scheduler a(kChecks, kOrigin);
  Scheduler b(kChecks, kOrigin);
  for (int i = 0; i < kChecks; ++i) a.add(static_cast<std::uint32_t>(i), name_of(i), 60s, 0s, kOrigin);
  // Another instance, added in the opposite order: same phase per check.
  for (int i = kChecks - 1; i >= 0; --i) b.add(static_cast<std::uint32_t>(i), name_of(i), 60s, 0s, kOrigin);

  std::array<int, 60> per_second{};
  for (int i = 0; i < kChecks; ++i) {
    const auto id = static_cast<std::uint32_t>(i);
    const TimePoint due = *a.next_due(id);
    CHECK(due == *b.next_due(id));
    CHECK(due == kOrigin + Scheduler::phase_offset(name_of(i), 60s));
    REQUIRE(due >= kOrigin);
    REQUIRE(due < kOrigin + 60s);
    ++per_second[static_cast<std::size_t>((due - kOrigin) / 1s)];
  }
  // 1000 over 60 seconds is ~17 a second; a thundering herd would put them all in one.
  CHECK(*std::max_element(per_second.begin(), per_second.end()) <= 32);
  CHECK(std::count(per_second.begin(), per_second.end(), 0) == 0);

  // Driven through a minute, each check starts once, exactly at its offset.
  std::vector<Scheduler::Start> out;
  std::map<std::uint32_t, TimePoint> started;
  while (auto w = a.next_wakeup()) {
    if (*w >= kOrigin + 60s) break;
    out.clear();
    a.poll(*w, out);
    for (const auto& s : out) {
      CHECK(s.due == *w);
      CHECK(s.lag == 0s);
      CHECK_FALSE(s.delayed);
      CHECK(started.emplace(s.id, s.due).second);
      CHECK(a.finished(s.id, s.run, *w));
    }
  }
  CHECK(started.size() == kChecks);
  CHECK(a.delayed_total() == 0);
}

TEST_CASE("phase offset is stable, within the interval, and differs between names") {
  CHECK(Scheduler::phase_offset("home", 60s) == Scheduler::phase_offset("home", 60s));
  CHECK(Scheduler::phase_offset("home", 60s) < Duration(60s));
  CHECK(Scheduler::phase_offset("home", 60s) != Scheduler::phase_offset("checkout", 60s));
  CHECK(Scheduler::phase_offset("home", 0s) == 0s);  // no division by zero
}

TEST_CASE("runs keep their phase: no drift even when polled late") {
  Scheduler s(10, kOrigin);
  const Duration offset = Scheduler::phase_offset("home", 10s);
  s.add(7, "home", 10s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  for (int k = 0; k < 100; ++k) {
    const TimePoint due = kOrigin + offset + k * Duration(10s);
    REQUIRE(s.next_wakeup() == due);
    // The event loop wakes up late by a varying amount, and the run takes a while.
    const Duration late = Duration(std::chrono::milliseconds(37 * k % 900));
    out.clear();
    s.poll(due + late, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].id == 7);
    CHECK(out[0].due == due);
    CHECK(out[0].lag == late);
    CHECK_FALSE(out[0].delayed);
    CHECK(s.finished(7, out[0].run, due + late + 3s));
  }
  CHECK(s.delayed_total() == 0);
}

TEST_CASE("a stalled event loop causes one late run, not a burst; the runs it could not start are skipped") {
  Scheduler s(10, kOrigin);
  const Duration offset = Scheduler::phase_offset("home", 10s);
  s.add(1, "home", 10s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(kOrigin + offset + 25s, out);  // 2.5 intervals late
  REQUIRE(out.size() == 1);
  CHECK(out[0].due == kOrigin + offset + 20s);  // the newest due run stands for the ones passed over
  CHECK(out[0].lag == 5s);
  CHECK(s.skipped_total() == 2);
  CHECK(s.finished(1, out[0].run, kOrigin + offset + 26s));
  CHECK(s.next_wakeup() == kOrigin + offset + 30s);
  out.clear();
  s.poll(kOrigin + offset + 26s, out);
  CHECK(out.empty());
}

TEST_CASE("a run never overlaps the previous run of the same check") {
  Scheduler s(10, kOrigin);
  const TimePoint base = kOrigin + Scheduler::phase_offset("slow", 10s);
  s.add(3, "slow", 10s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(base, out);
  REQUIRE(out.size() == 1);
  const auto first = out[0];
  CHECK(s.in_flight() == 1);

  // Due again at +10s and +20s while the first run (2.5 intervals long) is still going.
  out.clear();
  s.poll(base + 10s, out);
  CHECK(out.empty());
  CHECK_FALSE(s.next_wakeup().has_value());  // nothing until it finishes
  out.clear();
  s.poll(base + 20s, out);
  CHECK(out.empty());
  CHECK(s.in_flight() == 1);
  CHECK(s.delayed_total() == 0);

  // It ends at +25s: the +10s run could not start before +20s came due, so it is skipped; one late run
  // right away stands for +20s, and nothing is made up.
  CHECK(s.finished(3, first.run, base + 25s));
  CHECK(s.queued() == 1);
  CHECK(s.skipped_total() == 1);
  CHECK(s.next_wakeup() == base + 20s);  // in the past: poll now
  out.clear();
  s.poll(base + 25s, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].due == base + 20s);
  CHECK(out[0].lag == 5s);
  CHECK(out[0].delayed);
  CHECK(s.delayed_total() == 1);
  CHECK(s.queued() == 0);
  CHECK(s.finished(3, out[0].run, base + 26s));

  // Back on the grid.
  CHECK(s.next_wakeup() == base + 30s);
  out.clear();
  s.poll(base + 30s, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].due == base + 30s);
  CHECK(out[0].lag == 0s);
  CHECK_FALSE(out[0].delayed);
  CHECK(s.delayed_total() == 1);

  // A stale or repeated finish changes nothing.
  CHECK_FALSE(s.finished(3, first.run, base + 31s));
  CHECK(s.in_flight() == 1);
}

TEST_CASE("a run ending exactly when the next is due is not delayed") {
  Scheduler s(10, kOrigin);
  const TimePoint base = kOrigin + Scheduler::phase_offset("edge", 10s);
  s.add(0, "edge", 10s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(base, out);
  REQUIRE(out.size() == 1);
  CHECK(s.finished(0, out[0].run, base + 10s));
  out.clear();
  s.poll(base + 10s, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].due == base + 10s);
  CHECK_FALSE(out[0].delayed);
  CHECK(s.delayed_total() == 0);
}

TEST_CASE("interval_when_failing applies while failing, the grid returns when up") {
  Harness h(10);
  const TimePoint base = kOrigin + Scheduler::phase_offset("api", 60s);
  h.sched.add(0, "api", 60s, 5s, kOrigin);
  h.run_for = 1s;
  h.run_until(base + 1s);  // first run at base, ends at base+1s: it failed
  REQUIRE(h.starts.size() == 1);
  CHECK(h.sched.set_failing(0, true, base + 1s));
  CHECK(h.sched.set_failing(0, true, base + 1s));  // repeated verdicts change nothing
  CHECK(h.sched.next_due(0) == base + 5s);          // last start + 5s, not base + 60s

  h.run_until(base + 16s);  // runs at +5, +10, +15; the one at +15 ends at +16 and passes
  REQUIRE(h.starts.size() == 4);
  for (int k = 1; k <= 3; ++k) {
    CHECK(h.starts[static_cast<std::size_t>(k)].due == base + k * Duration(5s));
    CHECK(h.starts[static_cast<std::size_t>(k)].lag == 0s);
  }
  CHECK(h.sched.set_failing(0, false, base + 16s));
  CHECK(h.sched.next_due(0) == base + 60s);  // back on its grid, not +20s

  h.run_until(base + 130s);
  REQUIRE(h.starts.size() == 6);
  CHECK(h.starts[4].due == base + 60s);
  CHECK(h.starts[5].due == base + 120s);
  CHECK(h.sched.delayed_total() == 0);
}

TEST_CASE("a failure noticed after more than interval_when_failing reruns at once, not late") {
  Scheduler s(10, kOrigin);
  const TimePoint base = kOrigin + Scheduler::phase_offset("timeouts", 60s);
  s.add(0, "timeouts", 60s, 5s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(base, out);
  REQUIRE(out.size() == 1);
  // The run timed out after 10s; the daemon reports the verdict, then the end of the run.
  CHECK(s.set_failing(0, true, base + 10s));
  CHECK(s.finished(0, out[0].run, base + 10s));
  out.clear();
  s.poll(base + 10s, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].due == base + 10s);
  CHECK(out[0].lag == 0s);
  CHECK_FALSE(out[0].delayed);
  CHECK(s.next_due(0) == base + 15s);
}

TEST_CASE("a check restored as failing starts on a spread failing grid") {
  Scheduler s(10, kOrigin);
  s.add(0, "down-at-start", 60s, 5s, kOrigin);
  CHECK(s.set_failing(0, true, kOrigin));
  const TimePoint due = kOrigin + Scheduler::phase_offset("down-at-start", 5s);
  CHECK(s.next_due(0) == std::min(due, kOrigin + Scheduler::phase_offset("down-at-start", 60s)));
}

TEST_CASE("max_in_flight caps runs; the rest wait in due order and are never dropped") {
  Scheduler s(2, kOrigin);
  // Five checks; order them by their first due time.
  const auto by_due = add_hourly_checks(s, 5);
  const TimePoint all_due = by_due.back().first;

  std::vector<Scheduler::Start> out;
  s.poll(all_due, out);  // one late wake-up: all five are due, two may start
  REQUIRE(out.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(out[i].id == by_due[i].second);
    CHECK(out[i].due == by_due[i].first);
    CHECK(out[i].lag == all_due - by_due[i].first);
    CHECK_FALSE(out[i].delayed);  // late because the loop woke late, not because it waited
  }
  CHECK(s.in_flight() == 2);
  CHECK(s.queued() == 3);
  CHECK_FALSE(s.next_wakeup().has_value());  // the queue waits for a slot, not a timer

  std::vector<Scheduler::Start> started = out;
  TimePoint t = all_due;
  while (started.size() < 5) {
    t += 1ms;
    const auto oldest = started[started.size() - 2];  // a run still in flight
    REQUIRE(s.finished(oldest.id, oldest.run, t));
    CHECK(s.next_wakeup() <= t);  // a queued run may start now
    out.clear();
    s.poll(t, out);
    REQUIRE(out.size() == 1);
    const auto& expected = by_due[started.size()];
    CHECK(out[0].id == expected.second);
    CHECK(out[0].due == expected.first);
    CHECK(out[0].lag == t - expected.first);
    CHECK(out[0].delayed);
    started.push_back(out[0]);
  }
  CHECK(s.queued() == 0);
  CHECK(s.in_flight() == 2);
  CHECK(s.delayed_total() == 3);
}

TEST_CASE("while every slot is busy no wake-up is asked for; what came due meanwhile starts delayed") {
  Scheduler s(1, kOrigin);
  const auto by_due = add_hourly_checks(s, 2);
  const auto [first_due, first] = by_due[0];
  const auto [second_due, second] = by_due[1];
  std::vector<Scheduler::Start> out;
  s.poll(first_due, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == first);
  // The second comes due while the only slot is busy: no timer for it, the finish polls.
  CHECK_FALSE(s.next_wakeup().has_value());
  const TimePoint freed = second_due + 5min;
  REQUIRE(s.finished(first, out[0].run, freed));
  CHECK(s.next_wakeup() == second_due);  // in the past: poll now
  out.clear();
  s.poll(freed, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == second);
  CHECK(out[0].lag == 5min);
  CHECK(out[0].delayed);  // it waited for the slot, though it joined and left the queue in one poll
  CHECK(s.delayed_total() == 1);
  // Its successor comes due with the slot busy again; a run due after the slot freed is not delayed.
  REQUIRE(s.finished(second, out[0].run, freed + 1min));
  const TimePoint next = *s.next_due(first);
  out.clear();
  s.poll(next + 2s, out);  // the loop woke late, with the slot free
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == first);
  CHECK_FALSE(out[0].delayed);
  CHECK(s.delayed_total() == 1);
}

TEST_CASE("raising the cap frees a slot for what came due while it was full") {
  Scheduler s(1, kOrigin);
  const auto by_due = add_hourly_checks(s, 2);
  std::vector<Scheduler::Start> out;
  s.poll(by_due[0].first, out);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(s.next_wakeup().has_value());
  // The second comes due with no poll (no wake-up while full); the cap rises two seconds later.
  s.set_max_in_flight(2);
  CHECK(s.next_wakeup() == by_due[1].first);
  out.clear();
  s.poll(by_due[1].first + 2s, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == by_due[1].second);
  CHECK(out[0].lag == 2s);
  CHECK(out[0].delayed);  // it came due while the only slot was busy
}

TEST_CASE("a run started early inside the start window is on time, even after waiting in the queue") {
  Scheduler s(1, kOrigin);
  const auto by_due = add_hourly_checks(s, 2);
  const auto [first_due, first] = by_due[0];
  const auto [second_due, second] = by_due[1];
  REQUIRE(second_due - first_due > 10ms);
  std::vector<Scheduler::Start> out;
  s.poll(first_due, out, 5ms);
  REQUIRE(out.size() == 1);
  const auto running = out[0];
  // 3 ms before the second is due, a poll takes it into the queue (the slot is busy).
  out.clear();
  s.poll(second_due - 3ms, out, 5ms);
  CHECK(out.empty());
  CHECK(s.queued() == 1);
  REQUIRE(s.finished(first, running.run, second_due - 2ms));
  out.clear();
  s.poll(second_due - 2ms, out, 5ms);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == second);
  CHECK(out[0].lag == Duration::zero());
  CHECK_FALSE(out[0].delayed);  // it started before it was due
  CHECK(s.delayed_total() == 0);
}

TEST_CASE("a cap lowered below the runs in flight: what comes due meanwhile waited for a slot") {
  Scheduler s(4, kOrigin);  // three run, one slot spare: not full until the cap comes down
  const auto by_due = add_hourly_checks(s, 4);
  std::vector<Scheduler::Start> out;
  s.poll(by_due[2].first, out);
  REQUIRE(out.size() == 3);
  s.set_max_in_flight(2);  // below the three in flight
  CHECK_FALSE(s.next_wakeup().has_value());
  // Two finish after the fourth came due: one slot frees under the new cap.
  REQUIRE(s.finished(out[0].id, out[0].run, by_due[3].first + 1s));
  CHECK_FALSE(s.next_wakeup().has_value());  // still two in flight, the cap
  REQUIRE(s.finished(out[1].id, out[1].run, by_due[3].first + 2s));
  std::vector<Scheduler::Start> next;
  s.poll(by_due[3].first + 2s, next);
  REQUIRE(next.size() == 1);
  CHECK(next[0].id == by_due[3].second);
  CHECK(next[0].delayed);
}

TEST_CASE("a queued run goes before one that comes due later, even in the same poll") {
  Scheduler s(1, kOrigin);
  const auto by_due = add_hourly_checks(s, 3);
  std::vector<Scheduler::Start> out;
  s.poll(by_due[1].first, out);  // the first two are due; one slot
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == by_due[0].second);
  CHECK(s.queued() == 1);
  // The slot frees once the third is due too: the one that has waited longer goes first.
  CHECK(s.finished(out[0].id, out[0].run, by_due[2].first));
  out.clear();
  s.poll(by_due[2].first, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == by_due[1].second);
  CHECK(out[0].delayed);
  CHECK(s.queued() == 1);
}

TEST_CASE("equal due times start first come, first served") {
  Scheduler s(1, kOrigin);
  // Same name hash is impossible for different names, so use an interval of one tick: offset 0.
  for (std::uint32_t id = 0; id < 4; ++id) s.add(id, name_of(static_cast<int>(id)), Duration(1), 0s, kOrigin);
  for (std::uint32_t id = 0; id < 4; ++id) CHECK(s.next_due(id) == kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(kOrigin, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == 0);
  for (std::uint32_t id = 1; id < 4; ++id) {
    REQUIRE(s.finished(out[0].id, out[0].run, kOrigin));
    out.clear();
    s.poll(kOrigin, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].id == id);
  }
}

TEST_CASE("raising max_in_flight lets queued runs start") {
  Scheduler s(1, kOrigin);
  s.add(0, "a", 1s, 0s, kOrigin);
  s.add(1, "b", 1s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(kOrigin + 1s, out);
  CHECK(out.size() == 1);
  CHECK(s.queued() == 1);
  s.set_max_in_flight(2);
  CHECK(s.next_wakeup() <= kOrigin + 1s);
  out.clear();
  s.poll(kOrigin + 1s, out);
  CHECK(out.size() == 1);
  CHECK(s.in_flight() == 2);
  CHECK(s.queued() == 0);
}

TEST_CASE("a check removed while running is not started again and its finish is ignored") {
  Scheduler s(1, kOrigin);
  const TimePoint base = kOrigin + Scheduler::phase_offset("gone", 10s);
  s.add(4, "gone", 10s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(base, out);
  REQUIRE(out.size() == 1);
  const auto old_run = out[0];

  CHECK(s.remove(4));
  CHECK_FALSE(s.remove(4));
  CHECK(s.size() == 0);
  CHECK(s.in_flight() == 0);  // its slot is free at once
  CHECK_FALSE(s.next_wakeup().has_value());
  CHECK_FALSE(s.next_due(4).has_value());
  CHECK_FALSE(s.finished(4, old_run.run, base + 1s));
  CHECK_FALSE(s.update(4, 5s, 0s, base));
  CHECK_FALSE(s.set_failing(4, true, base));
  out.clear();
  s.poll(base + 100s, out);
  CHECK(out.empty());

  // The id is reused by a reload; the old run's late finish must not end the new check's run.
  s.add(4, "new", 10s, 0s, base + 100s);
  const TimePoint new_due = *s.next_due(4);
  out.clear();
  s.poll(new_due, out);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(s.finished(4, old_run.run, new_due + 1s));
  CHECK(s.in_flight() == 1);
  CHECK(s.finished(4, out[0].run, new_due + 1s));
  CHECK(s.in_flight() == 0);
}

TEST_CASE("a check removed while queued is never started") {
  Scheduler s(1, kOrigin);
  s.add(0, "a", 1s, 0s, kOrigin);
  s.add(1, "b", 1s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(kOrigin + 1s, out);
  REQUIRE(out.size() == 1);
  const std::uint32_t waiting = out[0].id == 0 ? 1 : 0;
  CHECK(s.queued() == 1);
  CHECK(s.remove(waiting));
  CHECK(s.queued() == 0);
  CHECK(s.finished(out[0].id, out[0].run, kOrigin + 1s + 100ms));
  const auto survivor = out[0].id;
  out.clear();
  s.poll(kOrigin + 5s, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == survivor);
}

TEST_CASE("update changes the interval and keeps the phase derived from the name") {
  Scheduler s(10, kOrigin);
  const Duration off10 = Scheduler::phase_offset("cart", 10s);
  const Duration off30 = Scheduler::phase_offset("cart", 30s);
  s.add(2, "cart", 10s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(kOrigin + off10, out);
  REQUIRE(out.size() == 1);
  CHECK(s.finished(2, out[0].run, kOrigin + off10 + 1s));

  const TimePoint reload = kOrigin + off10 + 2s;
  CHECK(s.update(2, 30s, 0s, reload));
  // The first point of the new grid after the reload (and after the last start).
  TimePoint expected = kOrigin + off30;
  while (expected < reload) expected += 30s;
  CHECK(s.next_due(2) == expected);
  CHECK(s.next_wakeup() == expected);

  for (int k = 0; k < 5; ++k) {
    out.clear();
    s.poll(expected + k * Duration(30s), out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].due == expected + k * Duration(30s));
    CHECK(s.finished(2, out[0].run, expected + k * Duration(30s) + 1s));
  }

  // An update that changes nothing the cadence uses keeps the next due time.
  const TimePoint before = *s.next_due(2);
  CHECK(s.update(2, 30s, 7s, expected + 121s));
  CHECK(s.next_due(2) == before);
}

TEST_CASE("update of a running check: the successor follows the new grid") {
  Scheduler s(10, kOrigin);
  const TimePoint base = kOrigin + Scheduler::phase_offset("busy", 60s);
  s.add(0, "busy", 60s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  s.poll(base, out);
  REQUIRE(out.size() == 1);
  CHECK(s.update(0, 1s, 0s, base + 1s));
  const TimePoint next = *s.next_due(0);
  CHECK(next >= base + 1s);
  CHECK(next < base + 2s);
  // Still running when that and the next two come: those passed over are skipped, one delayed start when
  // it ends stands for the newest, then the 1s grid.
  CHECK(s.finished(0, out[0].run, base + 3500ms));
  out.clear();
  s.poll(base + 3500ms, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].delayed);
  CHECK(out[0].due == next + 2s);
  CHECK(s.skipped_total() == 2);
  TimePoint successor = next;
  while (successor <= base + 3500ms) successor += 1s;
  CHECK(s.next_due(0) == successor);
}

TEST_CASE("next_wakeup is the earliest live due time") {
  Scheduler s(1, kOrigin);
  CHECK_FALSE(s.next_wakeup().has_value());
  s.add(0, "a", 60s, 0s, kOrigin);
  s.add(1, "b", 60s, 0s, kOrigin);
  const TimePoint a = *s.next_due(0);
  const TimePoint b = *s.next_due(1);
  CHECK(s.next_wakeup() == std::min(a, b));

  // Removing the earlier one: the wake-up moves to the other, not to a dead entry.
  const std::uint32_t first = a < b ? 0 : 1;
  const std::uint32_t second = 1 - first;
  s.remove(first);
  CHECK(s.next_wakeup() == std::max(a, b));
  s.add(first, first == 0 ? "a" : "b", 60s, 0s, kOrigin);
  CHECK(s.next_wakeup() == std::min(a, b));

  // With the cap full and a run queued, no wake-up at all: neither the queue nor the next timer can
  // start anything before a run finishes.
  std::vector<Scheduler::Start> out;
  s.poll(std::max(a, b), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == first);
  CHECK(s.queued() == 1);
  CHECK_FALSE(s.next_wakeup().has_value());
  // A free slot makes the queued run due now.
  CHECK(s.finished(first, out[0].run, std::max(a, b) + 1s));
  CHECK(s.next_wakeup() == *s.next_due(second));
  CHECK(s.next_wakeup() <= std::max(a, b));
}

TEST_CASE("100,000 checks: every one runs on its grid, once per interval") {
  constexpr int kChecks = 100000;
  Harness h(1000);
  for (int i = 0; i < kChecks; ++i) h.sched.add(static_cast<std::uint32_t>(i), name_of(i), 60s, 0s, kOrigin);
  h.run_for = 50ms;
  h.run_until(kOrigin + 120s - 1ns);
  CHECK(h.starts.size() == 2 * kChecks);
  std::vector<int> runs(kChecks);
  int off_grid = 0;
  for (const auto& st : h.starts) {
    ++runs[st.id];
    if ((st.due - kOrigin) % Duration(60s) != Scheduler::phase_offset(name_of(static_cast<int>(st.id)), 60s)) ++off_grid;
  }
  CHECK(off_grid == 0);
  CHECK(std::all_of(runs.begin(), runs.end(), [](int n) { return n == 2; }));
  CHECK(h.sched.delayed_total() == 0);
  CHECK(h.sched.size() == kChecks);
}

TEST_CASE("random reloads, verdicts, long runs and a tight cap keep every promise") {
  std::mt19937 rng(20261127);  // the engine's output is fixed by the standard: the same run everywhere
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  auto ms = [](std::uint32_t n) { return Duration(std::chrono::milliseconds(n)); };
  constexpr std::uint32_t kIds = 100;
  constexpr std::size_t kCap = 12;
  Scheduler s(kCap, kOrigin);
  std::vector<bool> present(kIds);
  std::vector<std::uint64_t> current_run(kIds);  // 0: not running
  struct Running {
    TimePoint ends;
    std::uint32_t id;
    std::uint64_t run;
  };
  std::vector<Running> running;
  std::vector<Scheduler::Start> out;
  std::vector<TimePoint> last_start(kIds);
  TimePoint now = kOrigin;
  int broken = 0;  // counted rather than CHECKed one by one: thousands of runs

  auto add = [&](std::uint32_t id) {
    s.add(id, "random-" + std::to_string(id) + "-" + std::to_string(pick(3)), ms(200 + pick(3000)), ms(pick(1000)),
          now);
    present[id] = true;
    current_run[id] = 0;  // a run of the replaced check no longer counts
  };
  for (std::uint32_t id = 0; id < kIds; ++id) add(id);

  auto step = [&](bool mutate) {
    TimePoint next = now + ms(1 + pick(100));
    if (auto w = s.next_wakeup()) next = std::min(next, std::max(*w, now));
    for (const auto& r : running) next = std::min(next, r.ends);
    now = next;
    std::erase_if(running, [&](const Running& r) {
      if (r.ends > now) return false;
      const bool expected = present[r.id] && current_run[r.id] == r.run;
      if (s.finished(r.id, r.run, now) != expected) ++broken;
      if (expected) current_run[r.id] = 0;
      return true;
    });
    if (mutate && pick(10) == 0) {
      const std::uint32_t id = pick(kIds);
      switch (pick(5)) {
        case 0: add(id); break;
        case 1:
          if (s.remove(id) != present[id]) ++broken;
          present[id] = false;
          current_run[id] = 0;
          break;
        case 2:
          if (s.update(id, ms(200 + pick(3000)), ms(pick(1000)), now) != present[id]) ++broken;
          break;
        default:
          if (s.set_failing(id, pick(2) == 0, now) != present[id]) ++broken;
          break;
      }
    }
    if (pick(500) == 0) s.set_max_in_flight(kCap + pick(4));
    out.clear();
    s.poll(now, out);
    for (const auto& st : out) {
      if (!present[st.id] || current_run[st.id] != 0) ++broken;  // removed, or overlapping itself
      if (st.due > now || st.lag != now - st.due) ++broken;
      current_run[st.id] = st.run;
      last_start[st.id] = now;
      // Mostly short runs; one in eight outlasts several intervals.
      running.push_back({now + (pick(8) == 0 ? ms(pick(8000)) : ms(pick(150))), st.id, st.run});
    }
    const auto busy = static_cast<std::size_t>(std::count_if(current_run.begin(), current_run.end(),
                                                             [](std::uint64_t r) { return r != 0; }));
    if (s.in_flight() != busy || busy > kCap + 3) ++broken;
    const auto configured = static_cast<std::size_t>(std::count(present.begin(), present.end(), true));
    if (s.size() != configured || s.queued() > configured) ++broken;
  };

  for (int i = 0; i < 20000; ++i) step(true);
  CHECK(broken == 0);
  CHECK(s.delayed_total() > 0);  // the cap and the long runs did bite

  // Once the configuration settles, nothing is starved: every check runs again.
  const TimePoint settled = now;
  while (now < settled + 120s) step(false);
  CHECK(broken == 0);
  for (std::uint32_t id = 0; id < kIds; ++id) {
    if (present[id]) CHECK(last_start[id] > settled);
  }
}

TEST_CASE("overload: a queued run that cannot start before its next one is due is skipped, never stacked") {
  // One slot, three checks at 1s that each run for 2.5s: at most one queued entry per check, and every
  // grid point a check could not use is counted once.
  Scheduler s(1, kOrigin);
  for (std::uint32_t id = 0; id < 3; ++id) s.add(id, "c" + std::to_string(id), 1s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  TimePoint now = kOrigin;
  bool busy = false;
  std::uint32_t running_id = 0;
  std::uint64_t running_run = 0;
  TimePoint ends{};
  std::uint64_t started = 0;
  for (int step = 0; step < 600; ++step) {  // 60 s in 100 ms steps
    now = kOrigin + std::chrono::milliseconds(100 * step);
    if (busy && now >= ends) {
      CHECK(s.finished(running_id, running_run, now));
      busy = false;
    }
    out.clear();
    s.poll(now, out);
    CHECK(out.size() <= 1);
    CHECK(s.queued() <= 3);
    for (const auto& st : out) {
      CHECK(st.lag < 1s);  // never started for a due time more than one interval old
      busy = true;
      running_id = st.id;
      running_run = st.run;
      ends = now + 2500ms;
      ++started;
    }
  }
  CHECK(started >= 22);
  CHECK(started <= 25);
  // ~180 due runs in 60 s, ~24 ran: the rest were skipped, not queued up.
  CHECK(s.skipped_total() + started >= 170);
  CHECK(s.skipped_total() + started <= 183);
}

TEST_CASE("overload: a check with a short interval keeps its place in the queue and is never starved") {
  // One slot, runs of 500 ms; one check every 200 ms and twenty every 3 s: the queue is never empty and the
  // short one is always past its next due time when its turn comes, and still gets its turn.
  Scheduler s(1, kOrigin);
  s.add(0, "short", 200ms, 0s, kOrigin);
  constexpr std::uint32_t kChecks = 21;
  for (std::uint32_t id = 1; id < kChecks; ++id) s.add(id, "long-" + std::to_string(id), 3s, 0s, kOrigin);
  std::vector<Scheduler::Start> out;
  std::vector<int> starts(kChecks);
  bool busy = false;
  std::uint32_t running_id = 0;
  std::uint64_t running_run = 0;
  TimePoint ends{};
  for (TimePoint now = kOrigin; now < kOrigin + 60s; now += 10ms) {
    if (busy && now >= ends) {
      CHECK(s.finished(running_id, running_run, now));
      busy = false;
    }
    out.clear();
    s.poll(now, out);
    REQUIRE(out.size() <= 1);
    for (const auto& st : out) {
      CHECK(st.lag < (st.id == 0 ? Duration(200ms) : Duration(3s)));  // its newest due time, never an old one
      ++starts[st.id];
      busy = true;
      running_id = st.id;
      running_run = st.run;
      ends = now + 500ms;
    }
  }
  CAPTURE(starts[0]);
  // ~120 runs fit in the minute, shared in queue order: about one in 21 each.
  CHECK(starts[0] >= 4);
  for (std::uint32_t id = 1; id < kChecks; ++id) CHECK(starts[id] >= 4);
  CHECK(s.skipped_total() > 300);
}

TEST_CASE("start window: one poll starts every run due within it, each on its own grid with lag 0") {
  constexpr int kChecks = 400;
  Scheduler s(kChecks, kOrigin);
  std::vector<TimePoint> due(kChecks);
  for (int i = 0; i < kChecks; ++i) {
    s.add(static_cast<std::uint32_t>(i), name_of(i), 1s, 0s, kOrigin);
    due[i] = *s.next_due(static_cast<std::uint32_t>(i));
  }
  const TimePoint first = *std::min_element(due.begin(), due.end());
  REQUIRE(*s.next_wakeup() == first);

  std::vector<Scheduler::Start> out;
  s.poll(first, out, 1ms);
  std::vector<bool> started(kChecks, false);
  for (const auto& st : out) {
    started[st.id] = true;
    CHECK(st.due == due[st.id]);  // it stands for its own due time
    CHECK(st.lag == Duration::zero());
    CHECK_FALSE(st.delayed);
  }
  for (int i = 0; i < kChecks; ++i) {
    CAPTURE(i);
    CHECK(started[i] == (due[i] <= first + 1ms));  // all of the window, nothing beyond it
  }
  CHECK(out.size() >= 1);

  // Finished at once (before some of them were even due): the successor is the next grid point after
  // the due time, as if the run had started then, and nothing starts twice for the same due time.
  for (const auto& st : out) CHECK(s.finished(st.id, st.run, first));
  for (const auto& st : out) CHECK(*s.next_due(st.id) == due[st.id] + 1s);
  std::vector<Scheduler::Start> again;
  s.poll(first + 1ms, again);
  for (const auto& st : again) CHECK_FALSE(started[st.id]);
}

TEST_CASE("start window: wake-ups are more than the window apart, and every run still keeps its grid") {
  // 2,000 checks at 1s: about two due per millisecond. Runs take 3 ms.
  constexpr int kChecks = 2000;
  for (const Duration window : {Duration(0ms), Duration(1ms)}) {
    CAPTURE(std::chrono::duration_cast<std::chrono::microseconds>(window).count());
    Harness h(kChecks);
    h.early = window;
    h.run_for = 3ms;
    for (int i = 0; i < kChecks; ++i) h.sched.add(static_cast<std::uint32_t>(i), name_of(i), 1s, 0s, kOrigin);
    h.run_until(kOrigin + 5s);

    // Every check ran once per interval, on its grid (a run started early stands for its due time).
    std::map<std::uint32_t, std::vector<TimePoint>> by_check;
    for (const auto& st : h.starts) by_check[st.id].push_back(st.due);
    CHECK(by_check.size() == kChecks);
    for (const auto& [id, dues] : by_check) {
      CAPTURE(id);
      REQUIRE(dues.size() >= 4);
      REQUIRE(dues.size() <= 6);
      const TimePoint grid = kOrigin + Scheduler::phase_offset(name_of(static_cast<int>(id)), 1s);
      for (std::size_t k = 0; k < dues.size(); ++k) CHECK(dues[k] == grid + k * Duration(1s));
    }
    for (const auto& st : h.starts) CHECK(st.lag == Duration::zero());
    if (window > Duration::zero()) {
      // Anything due within the window of a wake-up started in it (or in a poll after a finished run):
      // the next timer wake-up is further away.
      for (std::size_t k = 1; k < h.wakeups.size(); ++k) CHECK(h.wakeups[k] - h.wakeups[k - 1] > window);
      CHECK(h.wakeups.size() < 1000 * 5);  // fewer wake-ups than milliseconds, against ~2 runs due per ms
    }
  }
}

TEST_CASE("start window: with the cap reached, runs due within it wait for a slot and are flagged delayed") {
  Scheduler s(1, kOrigin);
  // Two checks whose first runs are due less than 1 ms apart.
  std::vector<std::uint32_t> ids;
  std::map<std::uint32_t, TimePoint> due;
  for (int i = 0; ids.size() < 2 && i < 100000; ++i) {
    const Duration off = Scheduler::phase_offset(name_of(i), 1s);
    if (!ids.empty() && (off < due[ids[0]] - kOrigin || off - (due[ids[0]] - kOrigin) >= 1ms)) continue;
    const auto id = static_cast<std::uint32_t>(ids.size());
    s.add(id, name_of(i), 1s, 0s, kOrigin);
    ids.push_back(id);
    due[id] = *s.next_due(id);
  }
  REQUIRE(ids.size() == 2);
  std::vector<Scheduler::Start> out;
  s.poll(due[0], out, 1ms);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == ids[0]);
  CHECK(s.queued() == 1);
  // The slot frees after the second one's due time: it starts then, delayed, with its lag.
  const TimePoint end = due[1] + 2ms;
  CHECK(s.finished(out[0].id, out[0].run, end));
  REQUIRE(s.next_wakeup());
  CHECK(*s.next_wakeup() <= end);
  std::vector<Scheduler::Start> next;
  s.poll(end, next, 1ms);
  REQUIRE(next.size() == 1);
  CHECK(next[0].id == ids[1]);
  CHECK(next[0].delayed);
  CHECK(next[0].lag == 2ms);
}
