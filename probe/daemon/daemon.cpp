#include "probe/daemon/daemon.h"

#include "common/prefetch.h"
#include "config/check_prefetch.h"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <span>
#include <unordered_map>
#include <utility>

#include "common/log.h"
#include "common/text.h"
#include "common/thread_priority.h"
#include "common/time_format.h"
#include "common/version.h"
#include "config/config_error.h"
#include "config/config_loader.h"
#include "exporters/metrics/check_metrics.h"
#include "exporters/metrics/incident_metrics.h"
#include "exporters/metrics/metrics_text.h"
#include "exporters/metrics/self_metrics.h"
#include "exporters/remote_write/remote_write_metrics.h"
#include "exporters/remote_write/remote_write_service.h"
#include "common/json_format.h"
#include "exporters/notify/dispatcher.h"
#include "probe/daemon/drill_runner.h"
#include "exporters/store/state_store.h"
#include "exporters/web/http_server.h"
#include "exporters/store/store_reader.h"
#include "exporters/web/incident_views.h"
#include "exporters/web/public_status.h"
#include "exporters/web/status_page.h"
#include "probe/daemon/check_slot.h"
#include "probe/daemon/heartbeats.h"
#include "probe/daemon/parked_writes.h"
#include "probe/daemon/reload_worker.h"
#include "probe/daemon/site_incidents.h"
#include "probe/engine/check_runner.h"
#include "probe/engine/curl_multi.h"
#include "probe/engine/run_once.h"
#include "probe/engine/in_flight_governor.h"
#include "probe/engine/wake_grid.h"
#include "probe/engine/saturation_meter.h"
#include "probe/engine/scheduler.h"
#include "probe/health/health_state.h"

namespace synthprobe {
namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

namespace {

constexpr auto kHousekeepingEvery = std::chrono::seconds(1);
constexpr std::size_t kStatusCopyBatch = 64;  // checks copied per hold of the status lock
constexpr std::size_t kMaxParkedStatus = 4096;  // runs the loop parks rather than wait for the status lock
// One wake-up starts every run due within this much of it, as if each started at its due time: at 4,000
// runs/s about twenty, whose connects and answers then come back close together and share wake-ups too.
// A loop that sleeps and wakes for every run spends more on the switches than on the run (4,000 checks at
// 1 s: 44 µs a run with a 1 ms window, 38-40 µs with 5 ms; 10 ms gains nothing more).
constexpr auto kStartWindow = std::chrono::milliseconds(5);
// Runs whose records are asked for ahead together (prefetch_runs()): about 70 cache lines each.
constexpr std::size_t kPrefetchRuns = 16;
// How often the in-flight governor samples the loop (a quarter of a second: from 1,000 to its floor in ~3 s).
constexpr auto kGovernEvery = std::chrono::milliseconds(250);

// CPU time of the calling thread (the check loop's, when the loop asks).
std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

double unix_seconds(SystemClock::time_point t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

CheckMetrics::State metric_state(CheckState s) { return static_cast<CheckMetrics::State>(static_cast<int>(s)); }

config::Duration failing_interval(const config::Check& c) {
  return c.settings.interval_when_failing.value_or(c.settings.interval);
}

HealthState health_of(const store::StreakRow& row) { return {row.state, row.failed, row.passed, row.degraded}; }

}  // namespace

struct Daemon::Impl final : RunReceiver {
  Impl(net::io_context& io_, std::string path, config::Config cfg)
      : io(io_),
        config_path(std::move(path)),
        initial(std::move(cfg)),
        identity{initial.probe.name, initial.probe.region},
        multi(io),
        runner(multi, dns_options(initial.probe)),
        scheduler(static_cast<std::size_t>(std::max(1, initial.probe.max_in_flight)), SteadyClock::now()),
        governor(static_cast<std::size_t>(std::max(1, initial.probe.max_in_flight))),
        timer(io),
        housekeeping_timer(io),
        check_metrics(identity.probe, identity.region),
        self_metrics(registry, kVersion, identity, initial.probe.shard_name()),
        incident_metrics(registry, identity),
        remote_write_metrics(registry, identity),
        store(store_options(initial.probe)),
        dispatcher(io, multi, store, logger,
                   {[this](const std::string& n, NotificationKind k, DeliveryResult r) {
                      incident_metrics.notification(n, std::string(to_string(k)), std::string(to_string(r)));
                    },
                    [this](const std::string& n, std::size_t pending) {
                      incident_metrics.set_queue(n, static_cast<double>(pending));
                    },
                    [this](const OutboxEntry& e, DeliveryResult r, const std::string& detail, SystemClock::time_point now) {
                      if (!drills.on_delivery(e, r, detail, now)) incidents.on_delivery(e, r, detail, now);
                    },
                    {}}),
        incidents({store, dispatcher, incident_metrics, logger, [this](std::uint32_t id) { return describe(id); },
                   [this](store::PendingWrites& w) { stage_streaks(w); },
                   [this](std::uint32_t site, bool watching) { on_watch(site, watching); }}),
        heartbeats(multi, logger),
        reloader(io, config_path),
        http([this](const HttpRequestView& req) { return handle_http(req); }),
        remote_writes([this] { return metrics_pieces(); }, remote_write_metrics, logger) {}

  store::StateStore::Options store_options(const config::Probe& probe) {
    store::StateStore::Options o;
    o.dir = probe.state_dir;
    o.retention = std::chrono::duration_cast<std::chrono::hours>(probe.state_retention);
    o.post = [this](std::function<void()> f) { net::post(io, std::move(f)); };
    o.log = [this](std::string_view level, std::string_view message, std::string_view detail) {
      logger.log(level == "error" ? LogLevel::error : level == "warn" ? LogLevel::warn : LogLevel::info, message,
                 {{"detail", detail}});
    };
    return o;
  }

  net::io_context& io;
  const std::string config_path;
  config::Config initial;  // until start() applies it
  const ProbeIdentity identity;  // fixed for the process: series keep their probe and region labels
  Logger logger;

  CurlMulti multi;
  CheckRunner runner;
  Scheduler scheduler;
  InFlightGovernor governor;
  SteadyClock::time_point governed_at{};  // the last governor step
  net::steady_timer timer;
  net::steady_timer housekeeping_timer;
  std::optional<SteadyClock::time_point> timer_armed_for;
  std::vector<Scheduler::Start> starts;  // start_due_runs()'s batch, kept for its capacity
  bool poll_posted = false;  // a start_due_runs() is queued on the loop
  bool draining = false;
  std::atomic<bool> stopping{false};
  std::atomic<bool> ready{false};

  // The config without its checks (the slots hold them): replaced whole on reload, read by the HTTP thread.
  std::shared_ptr<const config::Config> config = std::make_shared<const config::Config>();
  mutable std::mutex config_mutex;

  // Index = scheduler id; null once a reload removed the check. The loop owns them; each slot's
  // `status` and the vector itself change only under status_mutex, which the HTTP thread takes to copy.
  std::vector<std::unique_ptr<CheckSlot>> slots;
  std::unordered_map<std::string, std::uint32_t> id_by_name;
  std::map<std::string, store::StreakRow> restored_streaks;  // from the store, until apply() claims them
  std::vector<std::uint32_t> dirty_streaks;
  std::size_t rollup_cursor = 0;  // where the next slice of rollups starts
  mutable std::mutex status_mutex;
  // A finished run's status, parked while the HTTP thread held status_mutex (see publish_status()).
  struct StatusUpdate {
    std::uint32_t id;
    CheckState state;
    double when;
    long evidence_status_code;
    RunResult last;
  };
  ParkedWrites<StatusUpdate> status_writes{status_mutex, kMaxParkedStatus};

  prometheus::Registry registry;
  CheckMetrics check_metrics;
  SelfMetrics self_metrics;
  IncidentMetrics incident_metrics;
  remote_write::RemoteWriteMetrics remote_write_metrics;
  store::StateStore store;
  Dispatcher dispatcher;
  SiteIncidents incidents;
  DrillRunner drills{{store, dispatcher, logger}};
  Heartbeats heartbeats;
  ReloadWorker reloader;
  SaturationMeter saturation;
  std::uint64_t skipped_seen = 0;
  std::atomic<bool> saturated{false};
  // The HTTP thread's view of history (see area_history()).
  mutable std::mutex history_mutex;
  mutable store::StoreReader history_reader{initial.probe.state_dir};
  mutable std::vector<store::AreaDay> history;
  mutable std::optional<SteadyClock::time_point> history_read;
  mutable std::set<std::string> comms_noted;  // incidents whose status-page showing was handed to the loop
  HttpServer http;
  remote_write::RemoteWriteService remote_writes;  // reads the metrics above on its own thread

  // ---- configuration -------------------------------------------------------------------------

  void apply(config::Config next) {
    const auto now = SteadyClock::now();
    const auto wall = SystemClock::now();
    std::unordered_map<std::string, const config::Check*> wanted;
    for (const auto& c : next.checks)
      if (c.enabled) wanted.emplace(c.name, &c);

    std::vector<std::string> removed;
    {
      std::lock_guard lock(status_mutex);
      status_writes.land_parked([this](StatusUpdate&& w) { write_status(std::move(w)); });  // before ids go
      for (auto it = id_by_name.begin(); it != id_by_name.end();) {
        if (wanted.contains(it->first)) {
          ++it;
          continue;
        }
        scheduler.remove(it->second);
        slots[it->second].reset();
        removed.push_back(it->first);
        it = id_by_name.erase(it);
      }
      for (const auto& c : next.checks) {
        if (!c.enabled) continue;
        auto shared = std::make_shared<const config::Check>(c);
        if (auto it = id_by_name.find(c.name); it != id_by_name.end()) {
          CheckSlot& slot = *slots[it->second];
          slot.check = std::move(shared);
          slot.member.severity = c.severity;
          scheduler.update(it->second, c.settings.interval, failing_interval(c), now);
          continue;
        }
        const auto id = static_cast<std::uint32_t>(slots.size());
        auto slot = std::make_unique<CheckSlot>();
        slot->check = std::move(shared);
        if (auto r = restored_streaks.find(c.name); r != restored_streaks.end()) {
          slot->health = health_of(r->second);
          slot->saved = r->second;
          restored_streaks.erase(r);
        }
        slot->status.state = slot->health.state;
        slot->member = {slot->health.state, false, c.severity};
        slots.push_back(std::move(slot));
        id_by_name.emplace(c.name, id);
        scheduler.add(id, c.name, c.settings.interval, failing_interval(c), now);
        if (uses_failing_interval(slots[id]->health)) {
          slots[id]->scheduled_failing = true;
          scheduler.set_failing(id, true, now);
        }
      }
    }
    if (!removed.empty())
      store.stage([&](store::PendingWrites& w) {
        for (const auto& name : removed) w.streaks[name] = std::nullopt;
      });
    governor.set_max(static_cast<std::size_t>(std::max(1, next.probe.max_in_flight)));
    scheduler.set_max_in_flight(governor.limit());
    self_metrics.set_in_flight_limit(governor.limit());

    std::vector<SiteIncidents::Member> members;
    members.reserve(id_by_name.size());
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i]) members.push_back({static_cast<std::uint32_t>(i), slots[i]->check->site, slots[i]->member});
    incidents.configure(next, members, wall);
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (!slots[i]) continue;
      slots[i]->site = incidents.site_index(slots[i]->check->site).value_or(0);
      schedule_failing(static_cast<std::uint32_t>(i), *slots[i], now);
    }

    std::vector<std::shared_ptr<const config::Check>> by_id(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i]) by_id[i] = slots[i]->check;
    check_metrics.configure(by_id);
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i]) check_metrics.set_state(i, metric_state(slots[i]->health.state));
    self_metrics.set_checks_configured(id_by_name.size());
    dispatcher.configure(next.notifiers);
    heartbeats.configure(next.heartbeats, wall);

    const auto current = snapshot_config();
    if (ready) {
      if (next.probe.listen != current->probe.listen)
        logger.log(LogLevel::warn, "probe.listen changed; it takes effect at the next restart");
      if (next.probe.dns_servers != current->probe.dns_servers)
        logger.log(LogLevel::warn, "probe.dns_servers changed; it takes effect at the next restart");
      if (next.probe.state_dir != current->probe.state_dir)
        logger.log(LogLevel::warn, "probe.state_dir changed; it takes effect at the next restart");
      if (next.probe.state_retention != current->probe.state_retention)
        logger.log(LogLevel::warn, "probe.state_retention changed; it takes effect at the next restart");
      if (next.probe.name != identity.probe || next.probe.region != identity.region)
        logger.log(LogLevel::warn,
                   "probe.name or probe.region changed; series and incidents keep the old ones until the next restart");
    }
    // The slots hold the checks now; a second copy in the config would double their memory.
    next.checks.clear();
    next.checks.shrink_to_fit();
    logger.set_format(next.probe.log_format == "json" ? LogFormat::json : LogFormat::logfmt);
    logger.set_redactor([secrets = next.secrets](std::string text) {
      return config::redact_sorted_secrets(std::move(text), secrets);
    });
    remote_writes.configure(next.remote_writes);  // after the redactor: its thread logs with the new secrets
    std::lock_guard lock(config_mutex);
    config = std::make_shared<const config::Config>(std::move(next));
  }

  std::shared_ptr<const config::Config> snapshot_config() const {
    std::lock_guard lock(config_mutex);
    return config;
  }

  std::string apply_loaded(config::LoadResult& loaded) {
    if (stopping) return "shutting down\n";
    if (!loaded.config || !loaded.errors.empty()) {
      std::string errors;
      for (const auto& e : loaded.errors) {
        errors += e.to_string() + "\n";
        logger.log(LogLevel::error, "config reload rejected", {{"error", e.to_string()}});
      }
      if (errors.empty()) errors = config_path + ": invalid config\n";
      self_metrics.config_reloaded(false, unix_seconds(SystemClock::now()));
      return errors;
    }
    const auto shard_text = [](const config::Config& c) { return c.probe.shard ? c.probe.shard_name() : "none"; };
    if (shard_text(*loaded.config) != shard_text(*config)) {
      // build_info and the replicas' split say which shard this process is: changing it needs a restart.
      const std::string error = config_path + ": \"shard\" changed from " + shard_text(*config) + " to " +
                                shard_text(*loaded.config) + "; restart the probe to change its shard\n";
      logger.log(LogLevel::error, "config reload rejected", {{"error", error}});
      self_metrics.config_reloaded(false, unix_seconds(SystemClock::now()));
      return error;
    }
    apply(std::move(*loaded.config));
    loaded.config.reset();
    self_metrics.config_reloaded(true, unix_seconds(SystemClock::now()));
    logger.log(LogLevel::info, "config reloaded", {{"checks", std::to_string(id_by_name.size())}});
    arm_timer();
    return "";
  }

  // ---- scheduling and results ----------------------------------------------------------------

  void arm_timer() {
    if (draining) return;
    std::optional<SteadyClock::time_point> at;
    // On the grid shared with curl's timeouts (wake_grid.h); at most kStartWindow early, which poll() covers.
    static_assert(kStartWindow >= std::chrono::milliseconds(1));
    if (const auto next = scheduler.next_wakeup()) at = on_wake_grid_early(*next);
    // With every slot busy nothing can start, so the scheduler asks for no wake-up; but a limit below its
    // ceiling still needs the governor's steps, which raise it while slow targets hold every slot without
    // CPU (runs timing out together may end seconds apart, and the finishes alone would step that rarely).
    // Not early: a step waits for kGovernEvery.
    if (scheduler.in_flight() >= governor.limit() && governor.limit() < governor.max()) {
      const SteadyClock::time_point step = on_wake_grid(governed_at + kGovernEvery);
      if (!at || step < *at) at = step;
    }
    if (!at) {
      if (timer_armed_for) timer.cancel();
      timer_armed_for.reset();
      return;
    }
    // Only ever move the wake-up earlier: an early wake finds nothing due and re-arms, which is far
    // cheaper than re-arming the timer after every finished run.
    if (timer_armed_for && *timer_armed_for <= *at) return;
    timer_armed_for = *at;
    timer.expires_at(*at);
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // replaced by a newer deadline, or shutting down
      timer_armed_for.reset();
      start_due_runs();
    });
  }

  void start_due_runs() {
    if (draining) return;
    // Never re-entered: a run that ends inside runner.run() (a 1 ms timeout, curl refusing a handle) only
    // posts the next poll (post_poll), so `starts` is this call's alone.
    std::vector<Scheduler::Start>& batch = starts;
    batch.clear();
    const auto now = SteadyClock::now();
    scheduler.poll(now, batch, kStartWindow);
    // After the poll, a run still queued waits for a slot (poll() fills every free one), which is what the
    // governor asks about; a limit it raises frees slots at once.
    if (now - governed_at >= kGovernEvery && govern(now)) scheduler.poll(now, batch, kStartWindow);
    const std::uint64_t skipped = scheduler.skipped_total() - skipped_seen;
    skipped_seen = scheduler.skipped_total();
    if (skipped > 0) self_metrics.add_checks_skipped(skipped);
    saturation.record(now, batch.size(), skipped);
    const std::span<const Scheduler::Start> all(batch);
    for (std::size_t first = 0; first < all.size(); first += kPrefetchRuns) {
      const auto some = all.subspan(first, std::min(kPrefetchRuns, all.size() - first));
      prefetch_runs(some);
      for (const Scheduler::Start& s : some) {
        if (id_unknown(s.id)) continue;
        self_metrics.observe_scheduler_lag(std::chrono::duration<double>(s.lag).count());
        if (s.delayed) self_metrics.add_checks_delayed();
        runner.run(slots[s.id]->check, *this, s.id, s.run);
      }
    }
    self_metrics.set_checks_in_flight(runner.in_flight());
    arm_timer();
  }

  // With thousands of checks, what a run reads and writes of its check is cold: its slot, its config,
  // its metrics. Loaded one after the other as each run needs them, the batch's runs wait for a dozen
  // memory loads each; asked for together up front, the loads overlap. Level by level: each level's
  // addresses are in the one before (slot, then config, then what the config points to). A few runs at a
  // time (kPrefetchRuns): a start-up batch of a thousand would push its first runs' lines out before they
  // start.
  void prefetch_runs(std::span<const Scheduler::Start> batch) const {
    std::array<const CheckSlot*, kPrefetchRuns> known{};
    std::size_t n = 0;
    for (const Scheduler::Start& s : batch) {
      if (n == known.size() || id_unknown(s.id)) continue;
      check_metrics.prefetch(s.id);
      known[n++] = slots[s.id].get();
    }
    if (n == 0) return;
    // What the run's end writes: against a near target (a millisecond) it is still cached then; against a
    // slow one it may be gone again, and the hint was wasted, never wrong.
    const auto unix_now = static_cast<std::int64_t>(unix_seconds(SystemClock::now()));
    for (const CheckSlot* slot : std::span(known.data(), n)) {
      prefetch_bytes(slot, sizeof(CheckSlot), 4);  // the head: its config, health, rollups
      // The end of the run writes its status (under the status lock, which these hints need not take:
      // they compute addresses and read nothing).
      prefetch_bytes(&slot->status.last, sizeof(RunResult), 8);
      slot->status.history.prefetch(unix_now);
    }
    for (int level = 0; level < config::kCheckPrefetchLevels; ++level) {
      for (const CheckSlot* slot : std::span(known.data(), n)) {
        const config::Check& c = *slot->check;
        // The run copies the shared_ptr: its count sits just before the check (made by make_shared).
        if (level == 0) prefetch_address(reinterpret_cast<std::uintptr_t>(&c) - 2 * sizeof(void*), 2 * sizeof(void*));
        config::prefetch_check_level(c, level);
      }
    }
  }

  // One governor step (see in_flight_governor.h), right after a poll: the loop's CPU share since the last
  // step and the runs waiting for a slot set how many may run at once. True when the limit rose.
  bool govern(SteadyClock::time_point now) {
    governed_at = now;
    const std::size_t before = governor.limit();
    const bool rose = governor.sample(now, thread_cpu_time(), scheduler.queued());
    if (governor.limit() != before) {
      scheduler.set_max_in_flight(governor.limit());
      self_metrics.set_in_flight_limit(governor.limit());
    }
    return rose;
  }

  bool id_unknown(std::uint32_t id) const { return id >= slots.size() || !slots[id]; }

  void on_run_done(std::uint32_t id, std::uint64_t run, RunResult&& r) override {
    const auto now = SteadyClock::now();
    scheduler.finished(id, run, now);
    self_metrics.set_checks_in_flight(runner.in_flight());
    // Even while draining the result counts: a recovering run must not be forgotten by the next start.
    if (!id_unknown(id)) record(id, std::move(r), now);
    if (draining) {
      if (runner.in_flight() == 0) finish();
      return;
    }
    // Most finished runs free a slot nobody waits for: poll only when a run may start now (one queued for
    // a slot, or this check's own late run), else just keep the timer right. The poll is posted, once: the
    // runs that end in one reactor wake-up (a dozen under load) fill their slots in one poll after them.
    const auto next = scheduler.next_wakeup();
    if (next && *next <= now + kStartWindow)
      post_poll();
    else
      arm_timer();
  }

  void post_poll() {
    if (poll_posted) return;
    poll_posted = true;
    net::post(io, [this] {
      poll_posted = false;
      start_due_runs();
    });
  }

  // Everything one finished run changes: O(1) whatever the number of checks or the size of the outage.
  void record(std::uint32_t id, RunResult&& r, SteadyClock::time_point now) {
    CheckSlot& slot = *slots[id];
    const config::Check& c = *slot.check;
    const config::Config& cfg = *config;  // the loop's own pointer: only the loop replaces it
    r.message = cfg.redact(std::move(r.message));
    for (auto& s : r.steps) s.message = cfg.redact(std::move(s.message));

    const Transition t = observe(slot.health, r.success, r.degraded, {c.open_after, c.resolve_after});
    schedule_failing(id, slot, now);

    const auto wall = SystemClock::now();
    const double when = unix_seconds(wall);
    check_metrics.record(id, r, when);
    check_metrics.set_state(id, metric_state(slot.health.state));
    if (t.changed() && !(t.from == CheckState::unknown && t.to == CheckState::up)) {
      logger.log(t.to == CheckState::up ? LogLevel::info : LogLevel::warn, "check state changed",
                 {{"check", c.name},
                  {"site", c.site},
                  {"from", to_string(t.from)},
                  {"to", to_string(t.to)},
                  {"reason", r.reason ? to_string(*r.reason) : ""},
                  {"message", r.message}});
    }
    const MemberStatus before = slot.member;
    slot.member = {slot.health.state, !r.success || r.degraded, c.severity};
    const bool success = r.success;
    const std::optional<Reason> reason = r.reason;
    std::string message = t.changed() ? r.message : std::string();
    publish_status(id, slot, std::move(r), when);
    const std::int64_t hour = static_cast<std::int64_t>(when) / 3600;
    if (slot.rollup_hour != hour && slot.rollup_total > 0) flush_rollup_of(slot);
    slot.rollup_hour = hour;
    slot.rollup_passed += success;
    ++slot.rollup_total;
    if (!slot.streak_dirty && streak_row(slot.health, c) != slot.saved) {
      slot.streak_dirty = true;
      dirty_streaks.push_back(id);
    }
    heartbeats.note_run();
    if (t.changed()) incidents.on_transition(slot.site, c.name, c.area, t.from, t.to, reason, std::move(message), wall);
    incidents.on_run(slot.site, before, slot.member, wall);
  }

  // The run as the pages show it. The loop never waits for a page: while the HTTP thread holds the
  // status lock (copying rows), the run is parked and written by the next run or housekeeping that finds
  // the lock free, in order, so a check's history never goes back in time.
  void publish_status(std::uint32_t id, const CheckSlot& slot, RunResult&& r, double when) {
    StatusUpdate u{id, slot.health.state, when, r.status_code, {}};
    // A flow's status_code is its last step's (often an always-run clean-up): evidence wants the failure's.
    if (r.failed_step)
      for (const auto& step : r.steps)
        if (step.name == *r.failed_step) u.evidence_status_code = step.status_code;
    r.steps.clear();  // the status page shows the run, not its steps; keep it small
    u.last = std::move(r);
    if (status_writes.write(std::move(u), [this](StatusUpdate&& w) { write_status(std::move(w)); }))
      slots[id]->parked_at = status_writes.parked().size();
  }

  // Under status_mutex.
  void write_status(StatusUpdate&& u) {
    if (u.id >= slots.size() || !slots[u.id]) return;  // removed by a reload since
    slots[u.id]->parked_at = 0;
    CheckStatus& s = slots[u.id]->status;
    s.state = u.state;
    s.history.record(static_cast<std::int64_t>(u.when), u.last.success);
    s.last_run_unix = u.when;
    s.evidence_status_code = u.evidence_status_code;
    s.last = std::move(u.last);
  }

  // A check runs at interval_when_failing while it fails and while its site is in a recovery watch.
  void schedule_failing(std::uint32_t id, CheckSlot& slot, SteadyClock::time_point now) {
    const bool failing = uses_failing_interval(slot.health) || incidents.watching(slot.site);
    if (failing == slot.scheduled_failing) return;
    slot.scheduled_failing = failing;
    scheduler.set_failing(id, failing, now);
  }

  // Rare (an incident resolving, a watch ending): O(checks) is fine here.
  void on_watch(std::uint32_t site, bool watching) {
    const auto now = SteadyClock::now();
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i] && slots[i]->site == site) schedule_failing(static_cast<std::uint32_t>(i), *slots[i], now);
    logger.log(LogLevel::info, watching ? "recovery watch started" : "recovery watch ended",
               {{"site", snapshot_config()->sites.size() > site ? snapshot_config()->sites[site].name : ""}});
  }

  // The check as incident evidence sees it: its latest run, parked or written (the loop is the only
  // writer of both, so it reads them without the lock).
  CheckHealth describe(std::uint32_t id) const {
    const CheckSlot& s = *slots[id];
    CheckHealth h;
    h.name = s.check->name;
    h.area = s.check->area;
    h.severity = s.check->severity;
    h.state = s.health.state;
    const auto latest = [&](const RunResult& last, long status_code) {
      h.reason = last.reason;
      h.message = last.message;
      h.status_code = status_code;
      h.phases = last.phases;
      h.degraded = last.degraded;
    };
    if (s.parked_at) {
      const StatusUpdate& newest = status_writes.parked()[s.parked_at - 1];
      latest(newest.last, newest.evidence_status_code);
    } else if (s.status.last_run_unix) {
      latest(s.status.last, s.status.evidence_status_code);
    }
    return h;
  }

  // ---- housekeeping, once a second -------------------------------------------------------------

  void flush_rollup_of(CheckSlot& slot) {
    const store::RollupDelta delta{slot.check->name, slot.check->site, slot.check->area, slot.rollup_hour,
                                   slot.rollup_passed, slot.rollup_total};
    store.stage([&](store::PendingWrites& w) { w.add_rollup(delta); });
    slot.rollup_passed = slot.rollup_total = 0;
  }

  // Hands the runs counted since the last flush to the store. `all`: every check (at shutdown); else the
  // next 1/60th of them, so a minute covers every check without an O(checks) pause on the loop.
  void flush_rollups(bool all) {
    std::vector<store::RollupDelta> deltas;
    const std::size_t n = slots.size();
    const std::size_t count = all ? n : n / 60 + 1;
    for (std::size_t k = 0; k < count && n > 0; ++k) {
      auto& slot = slots[rollup_cursor++ % n];
      if (!slot || slot->rollup_total == 0) continue;
      deltas.push_back({slot->check->name, slot->check->site, slot->check->area, slot->rollup_hour,
                        slot->rollup_passed, slot->rollup_total});
      slot->rollup_passed = slot->rollup_total = 0;
    }
    if (!deltas.empty())
      store.stage([&](store::PendingWrites& w) {
        for (auto& d : deltas) w.add_rollup(std::move(d));
      });
  }

  // Called inside a store batch (the store's lock is held): only memory work here.
  void stage_streaks(store::PendingWrites& w) {
    for (std::uint32_t id : dirty_streaks) {
      if (id_unknown(id)) continue;
      CheckSlot& slot = *slots[id];
      slot.streak_dirty = false;
      slot.saved = streak_row(slot.health, *slot.check);
      w.streaks[slot.check->name] = slot.saved;
    }
    dirty_streaks.clear();
  }

  void flush_streaks(SystemClock::time_point now) {
    store.stage([&](store::PendingWrites& w) {
      stage_streaks(w);
      w.meta["last_alive_ms"] = std::to_string(unix_millis(now));
    });
  }

  void housekeeping() {
    if (draining) return;
    const auto wall = SystemClock::now();
    const auto now = SteadyClock::now();
    const bool is_saturated = saturation.saturated(now);
    if (is_saturated != saturated) {
      saturated = is_saturated;
      self_metrics.set_saturated(is_saturated);
      incidents.set_saturated(is_saturated);
      logger.log(is_saturated ? LogLevel::warn : LogLevel::info,
                 is_saturated ? "probe saturated: more than 5% of due runs were skipped over the last minute"
                              : "probe no longer saturated",
                 {{"skipped_share", std::to_string(saturation.skipped_share(now))}});
    }
    incidents.tick(wall);
    drills.tick(*config, wall);
    std::vector<const Incident*> open = incidents.open_incidents();
    for (const Incident* drill : drills.open_incidents()) open.push_back(drill);
    dispatcher.resend(open, wall);
    dispatcher.tick();
    heartbeats.tick(wall);
    flush_streaks(wall);
    flush_rollups(false);
    status_writes.flush_if_free([this](StatusUpdate&& w) { write_status(std::move(w)); });
    self_metrics.set_state_write_errors(store.write_errors());
    housekeeping_timer.expires_after(kHousekeepingEvery);
    housekeeping_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) housekeeping();
    });
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  bool start(std::string& error) {
    store::RestoredState restored = store.open();
    if (!restored.error.empty())
      logger.log(LogLevel::error, "cannot open the state store; running without saved state until it can be written",
                 {{"error", restored.error}});
    for (const auto& w : restored.warnings) logger.log(LogLevel::warn, "state store", {{"detail", w}});
    restored_streaks = std::move(restored.streaks);
    dispatcher.restore(restored);
    incidents.restore(restored);
    drills.restore(restored.unfinished_drills, SystemClock::now());  // before apply() sends anything
    apply(std::move(initial));
    drills.resolve_restored(*config, SystemClock::now());  // after apply(): the notifiers are known
    restored_streaks.clear();  // streaks of checks no longer configured
    incidents.probe_started(restored.last_alive, restored.stopped_cleanly, SystemClock::now());
    self_metrics.config_reloaded(true, unix_seconds(SystemClock::now()));
    const auto cfg = snapshot_config();
    if (!http.start(cfg->probe.listen, error)) return false;
    logger.log(LogLevel::info, "started",
               {{"version", kVersion},
                {"listen", cfg->probe.listen},
                {"checks", std::to_string(id_by_name.size())},
                {"probe", cfg->probe.name},
                {"region", cfg->probe.region},
                {"state_dir", cfg->probe.state_dir}});
    arm_timer();
    housekeeping();
    ready = true;  // every check has its first run on the schedule
    return true;
  }

  void drain() {
    if (draining) return;
    draining = true;
    stopping = true;
    ready = false;
    timer.cancel();
    housekeeping_timer.cancel();
    logger.log(LogLevel::info, "draining", {{"in_flight", std::to_string(runner.in_flight())}});
    if (runner.in_flight() == 0) finish();
  }

  void finish() {
    const auto now = SystemClock::now();
    incidents.probe_stopping(now);
    flush_streaks(now);
    flush_rollups(true);
    store.stage([&](store::PendingWrites& w) { w.meta["stopped_at_ms"] = std::to_string(unix_millis(now)); });
    dispatcher.stop();
    reloader.stop();
    remote_writes.stop();
    store.stop();
    http.stop();
    logger.log(LogLevel::info, "stopped");
    io.stop();
  }

  // ---- HTTP (server thread) ------------------------------------------------------------------

  // The /metrics exposition, made as it is read (by a scrape or by remote_write): the registry's families,
  // then the per-check ones straight from the numbers.
  std::function<bool(std::string&)> metrics_pieces() const {
    auto text = std::make_shared<MetricsText>(std::vector<const prometheus::Collectable*>{&registry}, &check_metrics);
    return [text](std::string& out) { return text->next(out); };
  }

  // The checks as the pages show them. The status lock is held for a small batch at a time and only to
  // copy: the customer page needs each check's state alone; the operator views also take its latest
  // result and its uptime buckets (a memcpy), whose sums are worked out after the lock is released.
  std::vector<CheckStatusRow> copy_status_rows(std::int64_t now_unix, bool details) const {
    std::vector<CheckStatusRow> rows;
    std::vector<UptimeHistory> histories;
    for (std::size_t begin = 0;; begin += kStatusCopyBatch) {
      std::lock_guard lock(status_mutex);  // a reload grows `slots` under it
      if (begin >= slots.size()) break;
      if (begin == 0) {
        rows.reserve(slots.size());
        if (details) histories.reserve(slots.size());
      }
      const std::size_t end = std::min(slots.size(), begin + kStatusCopyBatch);
      for (std::size_t i = begin; i < end; ++i) {
        if (!slots[i]) continue;
        const CheckSlot& s = *slots[i];
        CheckStatusRow& row = rows.emplace_back();
        row.check = s.check;
        row.state = s.status.state;
        if (!details) continue;
        row.last_run_unix = s.status.last_run_unix;
        row.last = s.status.last;
        histories.push_back(s.status.history);
      }
    }
    for (std::size_t i = 0; i < histories.size(); ++i) {
      rows[i].uptime_1h = histories[i].uptime(now_unix, 3600);
      rows[i].uptime_24h = histories[i].uptime(now_unix, 24 * 3600);
    }
    return rows;
  }

  // 90 days of availability per area from the store, read at most every 15 s (the HTTP thread's own
  // connection; the check loop never reads the store).
  std::vector<store::AreaDay> area_history() const {
    std::lock_guard lock(history_mutex);
    const auto now = SteadyClock::now();
    const std::int64_t today = static_cast<std::int64_t>(unix_seconds(SystemClock::now())) / 86400;
    // Fifteen seconds between reads, but a second while today has no rows yet (a probe just started, or
    // midnight just passed): the first runs' rollups show as soon as the store has them.
    const bool has_today = std::any_of(history.begin(), history.end(), [&](const auto& d) { return d.day == today; });
    const auto max_age = has_today ? std::chrono::seconds(15) : std::chrono::seconds(1);
    if (!history_read || now - *history_read >= max_age) {
      history = history_reader.daily_availability(today - kUptimeDays + 1);
      history_read = now;
    }
    return history;
  }

  // The status page showing the site's message for an open incident meets its communications clock:
  // the loop records it once (the page itself only reads the board).
  void note_status_page_shown(const IncidentBoard& board, const config::Config& cfg) {
    for (const auto& [site, incident] : board.open_by_site) {
      if (!incident->comms.empty()) continue;
      {
        std::lock_guard lock(history_mutex);
        if (!comms_noted.insert(incident->id).second) continue;
      }
      const config::Site* s = cfg.find_site(site);
      if (!s) continue;
      net::post(io, [this, id = incident->id, message = s->status_message] {
        incidents.record_comms(id, message, "status page", SystemClock::now());
      });
    }
  }

  std::string render_public_status(bool html) {
    const auto cfg = snapshot_config();
    const auto board = incidents.board();
    const auto now_unix = static_cast<std::int64_t>(unix_seconds(SystemClock::now()));
    const std::vector<CheckStatusRow> rows = copy_status_rows(now_unix, false);
    const std::vector<store::AreaDay> days = area_history();
    note_status_page_shown(*board, *cfg);
    const PublicStatusView view{cfg->sites, rows, *board, days, now_unix};
    return html ? render_public_status_html(view) : render_public_status_json(view);
  }

  std::string render_status(bool html) const {
    const auto cfg = snapshot_config();
    const auto board = incidents.board();
    const auto now_unix = static_cast<std::int64_t>(unix_seconds(SystemClock::now()));
    const std::vector<CheckStatusRow> rows = copy_status_rows(now_unix, true);
    const StatusView view{cfg->probe, cfg->sites, rows, now_unix, *board, saturated};
    return html ? render_status_html(view) : render_status_json(view);
  }

  static HttpReply text_reply(unsigned status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return {status, "text/plain; charset=utf-8", std::move(body), std::move(headers), {}};
  }

  HttpReply handle_http(const HttpRequestView& req) {
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    if (path == "/-/reload") return reload_over_http(req);
    if (path.starts_with("/api/incidents/") && path.ends_with("/comms")) return comms_over_http(req, path);
    if (path == "/api/drills" && req.method == "POST") return drill_over_http(req);
    if (req.method != "GET") return text_reply(405, "use GET\n", {{"Allow", "GET, HEAD"}});
    if (path == "/metrics") {
      HttpReply reply{200, std::string(kMetricsContentType), {}, {}, {}};
      reply.stream = metrics_pieces();
      return reply;
    }
    if (path == "/-/healthy") return text_reply(200, "Healthy\n");
    if (path == "/-/ready") return ready ? text_reply(200, "Ready\n") : text_reply(503, "Not ready\n");
    if (path == "/api/incidents") return {200, "application/json", render_incidents_json(*incidents.board()), {}, {}};
    if (path.starts_with("/api/incidents/")) {
      std::string id(path.substr(15));
      const bool report = id.ends_with("/report");
      if (report) id.resize(id.size() - 7);
      const auto board = incidents.board();
      if (report) {
        if (auto md = render_incident_review(*board, id)) return {200, "text/markdown; charset=utf-8", *md, {}, {}};
      } else if (auto one = render_incident_json(*board, id)) {
        return {200, "application/json", *one, {}, {}};
      }
      return text_reply(404, "no incident " + id + "\n");
    }
    if (path == "/api/drills") return {200, "application/json", drills.list_json(), {}, {}};
    if (path.starts_with("/api/drills/")) {
      // Drill ids hold the site's name, which may need percent-encoding in a URL.
      std::string_view tail = path.substr(12);
      const bool review = tail.ends_with("/report");
      if (review) tail.remove_suffix(7);
      const std::string id = text::percent_decode(tail).value_or(std::string(tail));
      if (review) {
        if (auto md = drills.review_markdown(id)) return {200, "text/markdown; charset=utf-8", *md, {}, {}};
      } else if (auto report = drills.report_json(id)) {
        return {200, "application/json", *report, {}, {}};
      }
      return text_reply(404, "no drill " + id + " (the probe keeps the last " +
                                 std::to_string(DrillRunner::kKeptReports) + " finished ones)\n");
    }
    if (path == "/api/status") return {200, "application/json", render_status(false), {}, {}};
    if (path == "/status") return {200, "text/html; charset=utf-8", render_public_status(true), {}, {}};
    if (path == "/status.json") return {200, "application/json", render_public_status(false), {}, {}};
    if (path == "/status/operator") return {200, "text/html; charset=utf-8", render_status(true), {}, {}};
    return text_reply(404, "not found\n");
  }

  // Who may reload: with [probe] api_token, a client presenting it; without, any client that is not a
  // browser page (a cross-site form or fetch carries an Origin or a form content type), so a web page a
  // responder happens to open cannot reload the probe behind their back.
  std::optional<HttpReply> refuse_write(const HttpRequestView& req) const {
    const std::string& token = snapshot_config()->probe.api_token;
    if (!token.empty()) {
      if (req.authorization != "Bearer " + token)
        return text_reply(401, "this endpoint needs Authorization: Bearer <[probe] api_token>\n",
                          {{"WWW-Authenticate", "Bearer"}});
      return std::nullopt;
    }
    const std::string type = text::to_lower(req.content_type.substr(0, req.content_type.find(';')));
    if (!req.origin.empty() || type == "application/x-www-form-urlencoded" || type == "multipart/form-data" ||
        type == "text/plain")
      return text_reply(403, "refused: looks like a browser request; set [probe] api_token and send it as a bearer token\n");
    return std::nullopt;
  }

  // POST /api/incidents/{id}/comms {"message": "..."} with the api_token: an update customers were given.
  HttpReply comms_over_http(const HttpRequestView& req, std::string_view path) {
    if (req.method != "POST") return text_reply(405, "use POST\n", {{"Allow", "POST"}});
    if (snapshot_config()->probe.api_token.empty())
      return text_reply(403, "write endpoints need [probe] api_token in the config\n");
    if (auto refused = refuse_write(req)) return *refused;
    const std::string id(path.substr(15, path.size() - 15 - 6));
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(req.body, ec);
    const auto* message = !ec && body.is_object() ? body.as_object().if_contains("message") : nullptr;
    if (!message || !message->is_string() || message->as_string().empty())
      return text_reply(400, "send JSON: {\"message\": \"what customers were told\"}\n");
    if (message->as_string().size() > 4000) return text_reply(400, "the message is longer than 4,000 characters\n");
    auto done = std::make_shared<std::promise<HttpReply>>();
    HttpReply reply;
    reply.later = std::make_shared<std::future<HttpReply>>(done->get_future());
    net::post(io, [this, done, id, text = std::string(message->as_string())]() mutable {
      const bool ok = incidents.record_comms(id, config::redact_sorted_secrets(std::move(text), config->secrets),
                                             "operator", SystemClock::now());
      done->set_value(ok ? text_reply(201, "recorded\n") : text_reply(404, "no open incident " + id + "\n"));
    });
    return reply;
  }

  // POST /api/drills {"site", "severity", "duration", "wait"} with the api_token: starts a drill; 201 with
  // {"id", "report": "/api/drills/<id>"}.
  HttpReply drill_over_http(const HttpRequestView& req) {
    if (snapshot_config()->probe.api_token.empty())
      return text_reply(403, "write endpoints need [probe] api_token in the config\n");
    if (auto refused = refuse_write(req)) return *refused;
    if (stopping) return text_reply(503, "shutting down\n");
    std::string why;
    const std::optional<DrillRunner::Request> request = parse_drill_request(req.body, why);
    if (!request) return text_reply(400, why + "\n");
    auto done = std::make_shared<std::promise<HttpReply>>();
    HttpReply reply;
    reply.later = std::make_shared<std::future<HttpReply>>(done->get_future());
    net::post(io, [this, done, request = *request]() {
      const DrillRunner::Started started =
          drills.start(request, *config,
                       {identity.probe, identity.region, config->probe.shard_name()},
                       SystemClock::now());
      if (started.status != 201) {
        done->set_value(text_reply(started.status, started.error + "\n"));
        return;
      }
      const boost::json::object body{{"id", started.id}, {"report", "/api/drills/" + text::percent_encode(started.id)}};
      done->set_value(HttpReply{201, "application/json", serialize_json(body), {}, {}});
    });
    return reply;
  }

  HttpReply reload_over_http(const HttpRequestView& req) {
    if (req.method != "POST" && req.method != "PUT") return text_reply(405, "use POST\n", {{"Allow", "POST, PUT"}});
    if (auto refused = refuse_write(req)) return *refused;
    if (stopping) return text_reply(503, "shutting down\n");
    // Parsed on the reload worker and swapped in on the loop; the HTTP thread keeps serving meanwhile.
    auto done = std::make_shared<std::promise<HttpReply>>();
    HttpReply reply;
    reply.later = std::make_shared<std::future<HttpReply>>(done->get_future());
    reloader.request([this, done](config::LoadResult& loaded) {
      const std::string errors = apply_loaded(loaded);
      done->set_value(errors.empty() ? text_reply(200, "OK\n") : text_reply(400, errors));
    });
    return reply;
  }
};

Daemon::Daemon(net::io_context& io, std::string config_path, config::Config config)
    : impl_(std::make_unique<Impl>(io, std::move(config_path), std::move(config))) {}

Daemon::~Daemon() {
  impl_->remote_writes.stop();
  impl_->http.stop();
  impl_->reloader.stop();
  impl_->dispatcher.stop();
  impl_->store.stop();
}

bool Daemon::start(std::string& error) { return impl_->start(error); }

void Daemon::drain() { impl_->drain(); }

void Daemon::request_reload(std::function<void(const std::string&)> done) {
  impl_->reloader.request([this, done = std::move(done)](config::LoadResult& loaded) {
    const std::string errors = impl_->apply_loaded(loaded);
    if (done) done(errors);
  });
}

unsigned short Daemon::http_port() const { return impl_->http.port(); }

std::string Daemon::incidents_json() const { return render_incidents_json(*impl_->incidents.board()); }

std::string Daemon::status_json() const { return impl_->render_status(false); }

int run_daemon(const std::string& config_path) {
  // A full disk (or RLIMIT_FSIZE) must fail a write with EFBIG, which the state store reports and retries,
  // not kill the probe with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  config::LoadResult loaded = config::load_config_file(config_path);
  if (!loaded.config || !loaded.errors.empty()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << '\n';
    return 2;
  }
  net::io_context io(1);
  Daemon daemon(io, config_path, std::move(*loaded.config));
  std::string error;
  if (!daemon.start(error)) {
    std::cerr << "synthprobe: " << error << '\n';
    return 1;
  }
  net::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](boost::system::error_code ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        daemon.request_reload(nullptr);
        wait_signal();
        return;
      }
      daemon.drain();
    });
  };
  wait_signal();
  // This thread is the check loop: short slices let it start its runs on time while a scrape, nginx or a
  // compiler keep the cores busy (its lag is the probe's accuracy). Its share of the CPU stays the same.
  request_short_slices(kLoopSlice);
  io.run();
  return 0;
}

}  // namespace synthprobe
