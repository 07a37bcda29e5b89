#pragma once
// Runs drills in the daemon (POST /api/drills, synthprobe drill): announces the drill incident to the
// notifiers through the dispatcher, exactly as a real incident's events (stored first, delivered at least
// once, retried), resolves it after its duration, and follows every delivery into a DrillReport. Drills
// live in the store's drills table, never among incidents, and a drill the probe was killed during is
// resolved at the next start, so no drill page is left open at a receiver. A finished drill's review draft
// goes to state_dir/drills/<drill id>.md, apart from real incidents' reviews (a site may be called "drill-...").
//
// start, restore, tick and on_delivery run on the check loop; report_json and list_json on any thread.

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "config/config_model.h"
#include "exporters/notify/dispatcher.h"
#include "exporters/notify/drill_report.h"
#include "exporters/store/state_store.h"
#include "probe/incidents/drill.h"

namespace synthprobe {

class DrillRunner {
 public:
  using Clock = std::chrono::system_clock;
  static constexpr std::chrono::seconds kMaxDuration{3600};
  static constexpr std::chrono::seconds kMaxWait{3600};
  static constexpr std::size_t kKeptReports = 20;  // finished reports the API still shows

  struct Deps {
    store::StateStore& store;
    Dispatcher& dispatcher;
    const Logger& logger;
  };
  struct Request {
    std::string site;
    config::Severity severity = config::Severity::P1;
    std::chrono::seconds duration{60};
    std::chrono::seconds wait{120};  // after the resolve, how long deliveries are waited for
  };
  struct Started {
    unsigned status = 201;  // 201, or 404 (no such site), 409 (a drill of the site is running)
    std::string id;
    std::string error;
  };

  explicit DrillRunner(Deps deps) : deps_(deps) {}

  Started start(const Request& request, const config::Config& config, const DrillIdentity& identity, Clock::time_point now);
  // Before the dispatcher sends anything (its configure() already may): takes back the drills the
  // previous process left unfinished, so their outcomes are followed. Then, once the notifiers are
  // configured, resolve_restored() resolves those still open.
  void restore(const std::vector<store::DrillRow>& rows, Clock::time_point now);
  void resolve_restored(const config::Config& config, Clock::time_point now);
  // How long a drill taken back after a restart waits for its deliveries, at least.
  static constexpr std::chrono::seconds kRestartWait{120};
  // Resolves drills whose time is up and finishes those whose deliveries are all answered (or whose wait
  // is over). Call about once a second.
  void tick(const config::Config& config, Clock::time_point now);
  // A dispatcher outcome; true when it was a drill's (then it is not a real incident's).
  bool on_delivery(const OutboxEntry& entry, DeliveryResult result, const std::string& detail, Clock::time_point now);
  // The open drill incidents, for Alertmanager's re-sends.
  std::vector<const Incident*> open_incidents() const;

  std::optional<std::string> report_json(const std::string& id) const;
  // The drill's review draft (Markdown), also written to state_dir/incidents/<id>.md when it finishes.
  std::optional<std::string> review_markdown(const std::string& id) const;
  std::string list_json() const;  // the drills still kept in memory, newest first

 private:
  void resolve(DrillReport& report, const config::Config& config, Clock::time_point now);
  void save(const DrillReport& report, store::PendingWrites& writes);
  void save_now(const DrillReport& report);
  void publish(const DrillReport& report);
  bool published_contains(const std::string& id) const;

  Deps deps_;
  std::map<std::string, DrillReport> running_;  // id -> not yet finished
  mutable std::mutex mutex_;
  std::map<std::string, std::string> published_;  // id -> report JSON
  std::deque<std::string> order_;                 // ids, oldest first
};

// The body of POST /api/drills: {"site": "shop", "severity": "P1", "duration": "2m", "wait": "2m"}
// (severity defaults to P1, duration to 1m, wait to 2m; durations as in the config, 1s to 1h). nullopt
// with `why` when it is not that.
std::optional<DrillRunner::Request> parse_drill_request(std::string_view body, std::string& why);

}  // namespace synthprobe
