#include "probe/daemon/daemon.h"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "common/log.h"
#include "common/version.h"
#include "config/config_error.h"
#include "config/config_loader.h"
#include "exporters/metrics/check_metrics.h"
#include "exporters/metrics/metrics_text.h"
#include "exporters/metrics/self_metrics.h"
#include "exporters/web/http_server.h"
#include "exporters/web/status_page.h"
#include "probe/daemon/incident_service.h"
#include "probe/engine/check_runner.h"
#include "probe/engine/curl_multi.h"
#include "probe/engine/scheduler.h"
#include "probe/health/health_state.h"

namespace synthprobe {
namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

CheckMetrics::State metric_state(CheckState s) { return static_cast<CheckMetrics::State>(static_cast<int>(s)); }

config::Duration failing_interval(const config::Check& c) {
  return c.settings.interval_when_failing.value_or(c.settings.interval);
}

}  // namespace

struct Daemon::Impl {
  Impl(net::io_context& io_, std::string path, config::Config cfg)
      : io(io_),
        config_path(std::move(path)),
        config(std::move(cfg)),
        multi(io),
        runner(multi),
        scheduler(static_cast<std::size_t>(config.probe.max_in_flight), SteadyClock::now()),
        timer(io),
        check_metrics(config.probe.name, config.probe.region),
        identity{config.probe.name, config.probe.region},
        self_metrics(registry, kVersion, identity),
        incidents(io, multi, logger, registry, identity),
        http([this](std::string_view method, std::string_view target) { return handle_http(method, target); }) {}

  net::io_context& io;
  std::string config_path;
  config::Config config;  // written on the check loop under status_mutex
  Logger logger;

  CurlMulti multi;
  CheckRunner runner;
  Scheduler scheduler;
  net::steady_timer timer;
  std::optional<SteadyClock::time_point> timer_armed_for;
  std::vector<Scheduler::Start> starts;
  bool draining = false;
  std::atomic<bool> stopping{false};
  std::atomic<bool> ready{false};

  // Index = scheduler id; null once a reload removed the check. Guarded by status_mutex for writes and
  // for the HTTP thread's reads; the check loop reads without it.
  std::vector<std::unique_ptr<CheckStatus>> slots;
  std::vector<HealthState> health;  // check loop only, same index
  std::unordered_map<std::string, std::uint32_t> id_by_name;
  mutable std::mutex status_mutex;

  prometheus::Registry registry;
  CheckMetrics check_metrics;
  const ProbeIdentity identity;  // fixed for the process: series keep their probe and region labels
  SelfMetrics self_metrics;
  IncidentService incidents;
  std::unordered_map<std::string, std::vector<std::uint32_t>> site_members;  // check loop only
  std::vector<CheckHealth> site_health;                                      // scratch, check loop only
  HttpServer http;

  // ---- configuration -------------------------------------------------------------------------

  void apply(config::Config next) {
    const auto now = SteadyClock::now();
    incidents.configure(next);  // first: restores saved streaks and open incidents
    std::unordered_map<std::string, const config::Check*> wanted;
    for (const auto& c : next.checks)
      if (c.enabled) wanted.emplace(c.name, &c);

    std::lock_guard lock(status_mutex);
    for (auto it = id_by_name.begin(); it != id_by_name.end();) {
      if (wanted.contains(it->first)) {
        ++it;
        continue;
      }
      scheduler.remove(it->second);
      slots[it->second].reset();
      it = id_by_name.erase(it);
    }
    for (const auto& c : next.checks) {
      if (!c.enabled) continue;
      auto shared = std::make_shared<const config::Check>(c);
      if (auto it = id_by_name.find(c.name); it != id_by_name.end()) {
        slots[it->second]->check = std::move(shared);
        scheduler.update(it->second, c.settings.interval, failing_interval(c), now);
        continue;
      }
      const auto id = static_cast<std::uint32_t>(slots.size());
      slots.push_back(std::make_unique<CheckStatus>());
      slots.back()->check = std::move(shared);
      health.push_back(incidents.restored_health(c.name).value_or(HealthState{}));
      slots.back()->state = health.back().state;
      id_by_name.emplace(c.name, id);
      scheduler.add(id, c.name, c.settings.interval, failing_interval(c), now);
      if (uses_failing_interval(health[id])) scheduler.set_failing(id, true, now);
    }
    site_members.clear();
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i]) site_members[slots[i]->check->site].push_back(static_cast<std::uint32_t>(i));
    scheduler.set_max_in_flight(static_cast<std::size_t>(std::max(1, next.probe.max_in_flight)));

    std::vector<std::shared_ptr<const config::Check>> by_id(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i]) by_id[i] = slots[i]->check;
    check_metrics.configure(by_id);
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i]) check_metrics.set_state(i, metric_state(health[i].state));
    self_metrics.set_checks_configured(id_by_name.size());

    if (next.probe.listen != config.probe.listen && ready)
      logger.log(LogLevel::warn, "probe.listen changed; it takes effect at the next restart");
    if ((next.probe.name != identity.probe || next.probe.region != identity.region) && ready)
      logger.log(LogLevel::warn, "probe.name or probe.region changed; series and incidents keep the old ones until the next restart");
    // The slots hold the checks now; a second copy in the config would double their memory.
    next.checks.clear();
    next.checks.shrink_to_fit();
    config = std::move(next);
    logger.set_format(config.probe.log_format == "json" ? LogFormat::json : LogFormat::logfmt);
    logger.set_redactor(
        [secrets = config.secrets](std::string text) { return config::redact_secrets(std::move(text), secrets); });
  }

  // After a (re)load: a check removed, disabled or moved can change a site's severity without any run
  // saying so, so every site is assessed once (a site left with no checks resolves its incident).
  void reassess_sites() {
    for (const auto& site : config.sites) assess_site(site.name);
  }

  std::string reload() {
    config::LoadResult loaded = config::load_config_file(config_path);
    if (!loaded.config || !loaded.errors.empty()) {
      std::string errors;
      for (const auto& e : loaded.errors) {
        errors += e.to_string() + "\n";
        logger.log(LogLevel::error, "config reload rejected", {{"error", e.to_string()}});
      }
      if (errors.empty()) errors = config_path + ": invalid config\n";
      self_metrics.config_reloaded(false, unix_now());
      return errors;
    }
    apply(std::move(*loaded.config));
    reassess_sites();
    self_metrics.config_reloaded(true, unix_now());
    logger.log(LogLevel::info, "config reloaded", {{"checks", std::to_string(id_by_name.size())}});
    arm_timer();
    return "";
  }

  // ---- scheduling and results ----------------------------------------------------------------

  void arm_timer() {
    if (draining) return;
    const auto next = scheduler.next_wakeup();
    if (!next) {
      if (timer_armed_for) timer.cancel();
      timer_armed_for.reset();
      return;
    }
    // Only ever move the wake-up earlier: an early wake finds nothing due and re-arms, which is far
    // cheaper than re-arming the timer after every finished run.
    if (timer_armed_for && *timer_armed_for <= *next) return;
    timer_armed_for = *next;
    timer.expires_at(*next);
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // replaced by a newer deadline, or shutting down
      timer_armed_for.reset();
      start_due_runs();
    });
  }

  void start_due_runs() {
    if (draining) return;
    // A run can end before runner.run() returns (a 1 ms timeout, curl refusing a handle) and come back
    // here: work on a batch of our own, not on the member a nested call clears.
    std::vector<Scheduler::Start> batch = std::exchange(starts, {});
    batch.clear();
    scheduler.poll(SteadyClock::now(), batch);
    for (const Scheduler::Start& s : batch) {
      if (id_unknown(s.id)) continue;
      self_metrics.observe_scheduler_lag(std::chrono::duration<double>(s.lag).count());
      if (s.delayed) self_metrics.add_checks_delayed();
      const std::uint32_t id = s.id;
      const std::uint64_t run = s.run;
      runner.run(slots[id]->check, [this, id, run](RunResult&& r) { on_run_done(id, run, std::move(r)); });
    }
    if (starts.empty()) starts = std::move(batch);  // keep the capacity for the next poll
    self_metrics.set_checks_in_flight(runner.in_flight());
    arm_timer();
  }

  bool id_unknown(std::uint32_t id) const { return id >= slots.size() || !slots[id]; }

  void on_run_done(std::uint32_t id, std::uint64_t run, RunResult&& r) {
    const auto now = SteadyClock::now();
    scheduler.finished(id, run, now);
    self_metrics.set_checks_in_flight(runner.in_flight());
    // Even while draining the result counts: a recovering run must not be forgotten by the next start.
    if (!id_unknown(id)) record(id, std::move(r), now);
    if (draining) {
      if (runner.in_flight() == 0) finish();
      return;
    }
    start_due_runs();
  }

  void record(std::uint32_t id, RunResult&& r, SteadyClock::time_point now) {
    CheckStatus& slot = *slots[id];
    const config::Check& c = *slot.check;
    r.message = config.redact(std::move(r.message));
    for (auto& s : r.steps) s.message = config.redact(std::move(s.message));

    HealthState& h = health[id];
    const bool was_failing = uses_failing_interval(h);
    const Transition t = observe(h, r.success, r.degraded, {c.open_after, c.resolve_after});
    if (uses_failing_interval(h) != was_failing) scheduler.set_failing(id, uses_failing_interval(h), now);

    const double when = unix_now();
    check_metrics.record(id, r, when);
    check_metrics.set_state(id, metric_state(h.state));
    if (t.changed() && !(t.from == CheckState::unknown && t.to == CheckState::up)) {
      logger.log(t.to == CheckState::up ? LogLevel::info : LogLevel::warn, "check state changed",
                 {{"check", c.name},
                  {"site", c.site},
                  {"from", to_string(t.from)},
                  {"to", to_string(t.to)},
                  {"reason", r.reason ? to_string(*r.reason) : ""},
                  {"message", r.message}});
    }
    {
      std::lock_guard lock(status_mutex);
      slot.state = h.state;
      slot.history.record(static_cast<std::int64_t>(when), r.success);
      slot.last_run_unix = when;
      // A flow's status_code is its last step's (often an always-run clean-up): evidence wants the failure's.
      slot.evidence_status_code = r.status_code;
      for (const auto& step : r.steps)
        if (r.failed_step && step.name == *r.failed_step) slot.evidence_status_code = step.status_code;
      slot.last = std::move(r);
      slot.last.steps.clear();  // the status page shows the run, not its steps; keep it small
      slot.last.steps.shrink_to_fit();
    }
    incidents.note_run();
    if (t.changed())
      incidents.on_transition(c.site, c.name, c.area, t.from, t.to, slot.last.reason, slot.last.message);
    // A healthy run of a healthy check cannot change the site's severity: skip the O(checks) assessment.
    if (t.changed() || h.state != CheckState::up) assess_site(c.site);
  }

  void assess_site(const std::string& site) {
    site_health.clear();
    for (std::uint32_t id : site_members[site]) {
      const CheckStatus& s = *slots[id];
      CheckHealth ch;
      ch.name = s.check->name;
      ch.area = s.check->area;
      ch.severity = s.check->severity;
      ch.state = health[id].state;
      if (s.last_run_unix) {
        ch.reason = s.last.reason;
        ch.message = s.last.message;
        ch.status_code = s.evidence_status_code;
        ch.phases = s.last.phases;
        ch.degraded = s.last.degraded;
      }
      site_health.push_back(std::move(ch));
    }
    incidents.on_site_checks(site, site_health);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  void drain() {
    if (draining) return;
    draining = true;
    stopping = true;
    ready = false;
    timer.cancel();
    logger.log(LogLevel::info, "draining", {{"in_flight", std::to_string(runner.in_flight())}});
    if (runner.in_flight() == 0) finish();
  }

  void finish() {
    incidents.stop();
    http.stop();
    logger.log(LogLevel::info, "stopped");
    io.stop();
  }

  // ---- HTTP (server thread) ------------------------------------------------------------------

  HttpReply handle_http(std::string_view method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/metrics") {
      return {200, std::string(kMetricsContentType), render_metrics({&registry, &check_metrics})};
    }
    if (path == "/-/healthy") return {200, "text/plain; charset=utf-8", "Healthy\n"};
    if (path == "/-/ready") {
      return ready ? HttpReply{200, "text/plain; charset=utf-8", "Ready\n"}
                   : HttpReply{503, "text/plain; charset=utf-8", "Not ready\n"};
    }
    if (path == "/-/reload") {
      if (method != "POST" && method != "PUT") return {405, "text/plain; charset=utf-8", "use POST\n"};
      if (stopping) return {503, "text/plain; charset=utf-8", "shutting down\n"};
      auto done = std::make_shared<std::promise<std::string>>();
      auto result = done->get_future();
      net::post(io, [this, done] { done->set_value(reload()); });
      // Wait in short steps: if the daemon starts draining, the loop may never run the reload, and
      // finish() joins this thread.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
        if (stopping || std::chrono::steady_clock::now() > give_up)
          return {503, "text/plain; charset=utf-8", "reload did not complete\n"};
      }
      const std::string errors = result.get();
      if (errors.empty()) return {200, "text/plain; charset=utf-8", "OK\n"};
      return {400, "text/plain; charset=utf-8", errors};
    }
    if (path == "/api/incidents") return {200, "application/json", incidents.incidents_json()};
    if (path.starts_with("/api/incidents/")) {
      std::string id(path.substr(15));
      const bool report = id.ends_with("/report");
      if (report) id.resize(id.size() - 7);
      if (report) {
        if (auto md = incidents.report_markdown(id)) return {200, "text/markdown; charset=utf-8", *md};
      } else if (auto one = incidents.incident_json(id)) {
        return {200, "application/json", *one};
      }
      return {404, "text/plain; charset=utf-8", "no incident " + id + "\n"};
    }
    if (path == "/api/status" || path == "/status") {
      std::lock_guard lock(status_mutex);
      const StatusView view{config, slots, static_cast<std::int64_t>(unix_now()),
                            [this](const std::string& site) { return incidents.open_incident(site); }};
      if (path == "/status") return {200, "text/html; charset=utf-8", render_status_html(view)};
      return {200, "application/json", render_status_json(view)};
    }
    return {404, "text/plain; charset=utf-8", "not found\n"};
  }
};

Daemon::Daemon(net::io_context& io, std::string config_path, config::Config config)
    : impl_(std::make_unique<Impl>(io, std::move(config_path), std::move(config))) {}

Daemon::~Daemon() { impl_->http.stop(); }

bool Daemon::start(std::string& error) {
  Impl& d = *impl_;
  d.incidents.set_health_source([&d] {
    std::map<std::string, HealthState> out;
    for (std::size_t i = 0; i < d.slots.size(); ++i)
      if (d.slots[i]) out.emplace(d.slots[i]->check->name, d.health[i]);
    return out;
  });
  config::Config initial = std::move(d.config);
  d.config = config::Config{};
  d.config.probe.listen = initial.probe.listen;
  d.apply(std::move(initial));
  d.incidents.forget_unclaimed_health();
  d.self_metrics.config_reloaded(true, unix_now());
  if (!d.http.start(d.config.probe.listen, error)) return false;
  d.logger.log(LogLevel::info, "started",
               {{"version", kVersion},
                {"listen", d.config.probe.listen},
                {"checks", std::to_string(d.id_by_name.size())},
                {"probe", d.config.probe.name},
                {"region", d.config.probe.region}});
  d.arm_timer();
  d.ready = true;  // every check has its first run on the schedule
  return true;
}

void Daemon::drain() { impl_->drain(); }

std::string Daemon::reload() { return impl_->reload(); }

unsigned short Daemon::http_port() const { return impl_->http.port(); }

std::string Daemon::incidents_json() const { return impl_->incidents.incidents_json(); }

std::string Daemon::status_json() const {
  std::lock_guard lock(impl_->status_mutex);
  return render_status_json(StatusView{impl_->config, impl_->slots, static_cast<std::int64_t>(unix_now()),
                                       [this](const std::string& site) { return impl_->incidents.open_incident(site); }});
}

int run_daemon(const std::string& config_path) {
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
        daemon.reload();
        wait_signal();
        return;
      }
      daemon.drain();
    });
  };
  wait_signal();
  io.run();
  return 0;
}

}  // namespace synthprobe
