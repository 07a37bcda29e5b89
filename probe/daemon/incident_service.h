#pragma once
// The daemon's incident half: per-site trackers fed after every run, notifications written to the
// outbox before they are sent and retried until delivered, Alertmanager re-sends, heartbeats, the
// review draft written on resolve, and the state that lets a restart carry on where it stopped.
//
// Runs on the check loop; the HTTP thread only reads, through the *_json methods.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/log.h"
#include "config/config_model.h"
#include "exporters/metrics/incident_metrics.h"
#include "exporters/notify/outbox.h"
#include "probe/engine/curl_multi.h"
#include "probe/health/health_state.h"
#include "probe/health/site_severity.h"
#include "probe/incidents/incident_tracker.h"

namespace synthprobe {

class IncidentService {
 public:
  IncidentService(boost::asio::io_context& io, CurlMulti& multi, const Logger& logger,
                  prometheus::Registry& registry, const ProbeIdentity& who);
  ~IncidentService();

  // Installs sites and notifiers. The first call reads state_dir: open incidents, notification
  // progress, the outbox, and check streaks (see restored_health). Sites gone from the config resolve.
  void configure(const config::Config& config);
  // A check's streaks as saved by the previous process, once.
  std::optional<HealthState> restored_health(const std::string& check);
  // The daemon has taken every restored streak it has a check for; the rest belong to removed checks.
  void forget_unclaimed_health() { restored_health_.clear(); }
  // The daemon's current streaks, saved with the incidents.
  void set_health_source(std::function<std::map<std::string, HealthState>()> source) { health_source_ = std::move(source); }

  void on_transition(const std::string& site, const std::string& check, const std::string& area, CheckState from,
                     CheckState to, std::optional<Reason> reason, const std::string& message);
  // After every run of one of the site's checks: its enabled checks as they stand now.
  void on_site_checks(const std::string& site, std::span<const CheckHealth> checks);
  void note_run() { runs_since_heartbeat_ = true; }

  // Stops timers; pending notifications stay in the outbox for the next start.
  void stop();

  // For the HTTP thread.
  std::string incidents_json() const;
  std::optional<std::string> incident_json(const std::string& id) const;
  std::optional<std::string> report_markdown(const std::string& id) const;
  std::optional<boost::json::object> open_incident(const std::string& site) const;

 private:
  struct NotifierProgress {
    bool opened = false;
    std::uint64_t sequence = 0;
    std::optional<config::Severity> last_severity;
    std::chrono::system_clock::time_point last_sent{};
  };

  void handle(const IncidentAction& action);
  void notify(const Incident& incident, IncidentAction::Kind kind);
  void enqueue(const config::Notifier& notifier, const Incident& incident, NotificationKind kind,
               NotifierProgress& progress);
  void pump();
  void delivered(const OutboxEntry& entry, DeliveryResult result, const std::string& detail);
  void housekeeping();
  void apply_maintenance(std::chrono::system_clock::time_point now);
  void arm_pump();
  void save_state();
  void load_state();
  void read_saved_state();
  void reconcile_with_outbox(const std::vector<OutboxEntry>& pending);
  void write_review(const Incident& incident);
  const config::Notifier* find_notifier(const std::string& name) const;
  void update_queue_metrics();

  boost::asio::io_context& io_;
  CurlMulti& multi_;
  const Logger& logger_;
  IncidentMetrics metrics_;
  boost::asio::steady_timer pump_timer_;
  boost::asio::steady_timer housekeeping_timer_;
  bool stopped_ = false;
  bool loaded_ = false;
  bool dirty_ = false;
  bool runs_since_heartbeat_ = false;
  std::chrono::system_clock::time_point last_save_{};

  std::string state_dir_;
  std::string probe_;
  std::string region_;
  std::vector<config::Notifier> notifiers_;
  std::vector<config::Heartbeat> heartbeats_;
  std::vector<config::MaintenanceWindow> maintenance_;
  std::vector<std::chrono::system_clock::time_point> next_heartbeat_;
  std::unique_ptr<Outbox> outbox_;
  std::map<std::string, NotifierProgress> progress_;  // key: notifier + '\n' + incident id
  std::map<std::string, HealthState> restored_health_;
  std::function<std::map<std::string, HealthState>()> health_source_;

  mutable std::mutex mutex_;  // guards trackers_ and resolved_ for the HTTP thread
  std::map<std::string, IncidentTracker> trackers_;  // by site
  std::vector<Incident> resolved_;                   // newest last, bounded
};

}  // namespace synthprobe
