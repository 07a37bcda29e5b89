#pragma once
// The daemon's incident half: one tracker per site fed from each run in O(1) (site counts and the
// tracker's verdict fast path; the full assessment only when something can happen), maintenance windows,
// evidence refreshed once a second (a bounded number of checks a second, sites in turn), and every change
// staged into the state store: at once, in one batch with the notifications it causes, when an incident
// opens, changes or resolves; otherwise once a second. Publishes an IncidentBoard for the HTTP thread,
// copying only the incidents that changed since the last one.
//
// Runs on the check loop, except board(), which any thread may call.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "config/config_model.h"
#include "exporters/metrics/incident_metrics.h"
#include "exporters/notify/dispatcher.h"
#include "exporters/store/state_store.h"
#include "probe/health/site_counts.h"
#include "probe/health/site_severity.h"
#include "probe/incidents/incident_board.h"
#include "probe/incidents/incident_tracker.h"

namespace synthprobe {

class SiteIncidents {
 public:
  using Clock = std::chrono::system_clock;

  struct Deps {
    store::StateStore& store;
    Dispatcher& dispatcher;
    IncidentMetrics& metrics;
    const Logger& logger;
    // The check's health as a full assessment needs it (name, area, state, latest evidence).
    std::function<CheckHealth(std::uint32_t id)> describe;
    // Adds the checks' unsaved streaks to an incident's batch: the states that justify an incident reach
    // the disk with it, so a crash right after never restores the incident beside checks that look fine.
    std::function<void(store::PendingWrites&)> stage_streaks;
    // A site's recovery watch began or ended: its checks run at interval_when_failing meanwhile.
    std::function<void(std::uint32_t site, bool watching)> on_watch;
  };

  struct Member {
    std::uint32_t id;
    std::string_view site;
    MemberStatus status;
  };

  explicit SiteIncidents(Deps deps);

  // What the previous process left: trackers and recently resolved incidents. Call before configure().
  void restore(const store::RestoredState& restored);
  // Installs sites and their members after a (re)load and reassesses every site (a check removed or moved
  // can change a severity without any run saying so). Sites gone resolve their incident.
  void configure(const config::Config& config, const std::vector<Member>& members, Clock::time_point now);
  // The index on_run() and on_transition() take; nullopt for an unknown site.
  std::optional<std::uint32_t> site_index(std::string_view name) const;

  // A check changed state: its event on the timeline of the site's open or pending incident.
  void on_transition(std::uint32_t site, std::string_view check, std::string_view area, CheckState from,
                     CheckState to, std::optional<Reason> reason, std::string_view message, Clock::time_point now);
  // After every run: the check's status before and after. O(1) unless the site's verdict can change
  // what an incident says.
  void on_run(std::uint32_t site, const MemberStatus& before, const MemberStatus& after, Clock::time_point now);
  // A notification's outcome, for the incident's timeline.
  void on_delivery(const OutboxEntry& entry, DeliveryResult result, const std::string& detail, Clock::time_point now);

  // Customers were told about the open incident `incident_id` (an operator's update, or the status page
  // showing the site's message). False when it is not an open incident.
  bool record_comms(const std::string& incident_id, std::string message, std::string source, Clock::time_point now);
  // Whether the site's recovery watch is on (for its checks' interval).
  bool watching(std::uint32_t site) const { return site < sites_.size() && sites_[site]->watching; }

  // Once a second: maintenance windows, the recovery watch, the communications clock, evidence of open
  // incidents, saving what changed, the board.
  void tick(Clock::time_point now);
  void set_saturated(bool saturated);

  // The previous process stopped at `stopped_at` (cleanly: it recorded probe_stopped itself).
  void probe_started(std::optional<Clock::time_point> stopped_at, bool stopped_cleanly, Clock::time_point now);
  // Shutting down: probe_stopped on every open or pending incident, staged now.
  void probe_stopping(Clock::time_point now);

  std::vector<const Incident*> open_incidents() const;
  // Thread-safe.
  std::shared_ptr<const IncidentBoard> board() const;

 private:
  struct Site {
    explicit Site(IncidentTracker t) : tracker(std::move(t)) {}
    SiteCounts counts;
    IncidentTracker tracker;
    std::vector<std::uint32_t> members;
    bool dirty = false;           // tracker state to save
    bool evidence_stale = false;  // runs since the open incident's evidence was refreshed
    bool watching = false;        // the recovery watch, as last told to the daemon
    std::shared_ptr<const Incident> shown;  // the open incident as the last board has it
    bool shown_stale = true;                // the tracker changed since `shown` was copied
  };

  SiteAssessment assess_site(const Site& site) const;
  void settle(Site& site, Clock::time_point now);
  void handle(Site& site, const std::vector<IncidentAction>& actions, Clock::time_point now);
  void resolved(const Incident& incident);
  void update_watch(std::uint32_t index, Clock::time_point now);
  // The tracker of `site` changed: to be saved, and copied into the next board.
  void changed(Site& site);
  // The evidence of open incidents that runs made stale, a bounded number of checks a tick, in turn.
  void refresh_some_evidence();
  void save_dirty();
  void publish();

  Deps deps_;
  std::string probe_;
  std::string region_;
  std::vector<config::MaintenanceWindow> maintenance_;
  std::vector<std::unique_ptr<Site>> sites_;  // config order
  std::map<std::string, std::uint32_t, std::less<>> index_;
  std::map<std::string, IncidentTracker> restored_;  // trackers of sites not configured yet
  std::deque<std::shared_ptr<const Incident>> resolved_;  // newest last, bounded
  bool saturated_ = false;
  bool board_dirty_ = true;
  std::size_t evidence_cursor_ = 0;  // where refresh_some_evidence() goes on
  mutable std::mutex board_mutex_;
  std::shared_ptr<const IncidentBoard> board_;
};

}  // namespace synthprobe
