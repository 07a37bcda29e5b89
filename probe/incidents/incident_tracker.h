#pragma once
// One site's incident life cycle (contract section 7), as a pure state machine: the caller feeds it the
// site's assessment after every run of any of its checks, plus check state transitions and notification
// outcomes, always with the current time; it answers with what to announce (open, update, resolve).
//
// Life cycle: the first failed (or slow) run since the site was last all up starts a pending incident
// (`first_failure`); it opens when the site's severity becomes some level (`opened`; time to detect =
// opened - first failure), is updated when severity or extent change (`severity_changed`,
// `extent_changed`), and resolves when severity is none again (`resolved`). A site that recovers before
// any severity leaves no incident. At most one incident is open per site.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/time_format.h"
#include "probe/engine/run_result.h"
#include "probe/health/health_state.h"
#include "probe/health/site_counts.h"
#include "probe/health/site_severity.h"
#include "probe/incidents/incident.h"

namespace synthprobe {

// Who sees the site: copied into every incident.
struct IncidentContext {
  IncidentContext() = default;
  IncidentContext(std::string site_name, std::string probe_name, std::string region_name,
                  std::map<std::string, std::string> site_labels = {})
      : site(std::move(site_name)), probe(std::move(probe_name)), region(std::move(region_name)),
        labels(std::move(site_labels)) {}

  std::string site;
  std::string probe;
  std::string region;
  std::map<std::string, std::string> labels;  // the site's
  config::Duration recovery_watch{0};         // 0: no watch after a resolve
  config::Duration comms_deadline{std::chrono::minutes(30)};
  config::IncidentTeam team;
  // "K/N" with [probe] shard: replicas that split a site's checks page apart (the dedup key says which).
  std::string shard;
};

struct IncidentAction {
  // relapse: a resolved incident reopened within its recovery watch (same id). comms_overdue: its
  // customer update is late (only notifiers that asked for it hear of that).
  enum class Kind { open, update, resolve, relapse, comms_overdue };
  Kind kind = Kind::open;
  Incident incident;  // a snapshot, including the event that caused the action
};
std::string_view to_string(IncidentAction::Kind kind);  // "open", "update", "resolve"

class IncidentTracker {
 public:
  explicit IncidentTracker(IncidentContext context);

  // After every run of any of the site's checks. Returns at most one action. For timelines in causal order,
  // report the run's check_transition first. While an incident is open and some check has not run since
  // the probe started (assessment.unknown > 0), nothing changes: a restart never resolves an incident on
  // checks nobody has looked at yet.
  std::vector<IncidentAction> update(const SiteAssessment& assessment, Timestamp now);

  // The O(1) path of a run: whether `verdict` (the site's counts, see site_counts.h) could make update()
  // open, change, resolve or start a pending incident. When it cannot, settle() does the rest (forgetting
  // a pending failure once the site is clean) and the full assessment is not needed; when it can, call
  // update() with assess()'s result. Either way the outcome equals update() on every run.
  bool needs_assessment(const SiteVerdict& verdict) const;
  void settle(const SiteVerdict& verdict);

  // New evidence for the open incident (areas, summary, hint, failing checks) without any event: the
  // daemon refreshes it now and then rather than on every run. False when no incident is open.
  bool refresh_evidence(const SiteAssessment& assessment);

  // The probe stops (gracefully) or starts again after `stopped_at`: an open or pending incident records
  // probe_stopped / probe_started, and the open one adds the gap to probe_blind_seconds, so its review says
  // how long nobody was watching.
  void probe_stopped(Timestamp at);
  void probe_started(Timestamp stopped_at, Timestamp now);

  // Set while the probe is saturated: an incident opened meanwhile carries probe_saturated.
  void set_probe_saturated(bool saturated) { probe_saturated_ = saturated; }

  // The recovery watch of the last resolved incident is on: a severity now reopens it (update() returns
  // a relapse), and the site's checks keep their failing interval.
  bool watching(Timestamp now) const;

  // Customers were told something about the open incident: on the timeline and in customer_updates. The
  // first one meets the communications clock. False when no incident is open.
  bool record_comms(std::string message, std::string source, Timestamp now);
  // The communications clock: once customer_update_due passes without an update, marks the open incident
  // overdue (comms_overdue event) and returns that action, once.
  std::optional<IncidentAction> check_comms(Timestamp now);

  // A check changed state. Adds check_down / check_up (from down or degraded) / check_degraded to the
  // timeline of the open or pending incident; a first failure starts a pending one. Never an action.
  void check_transition(std::string_view check, std::string_view area, CheckState from, CheckState to,
                        std::optional<Reason> reason, std::string_view message, Timestamp now);

  // A notifier delivered (or gave up on) `event` ("open", "update", "resolve") of the incident `incident_id`:
  // adds `notified` ("oncall: open delivered after 1.2s") or `notify_failed` ("oncall: open failed after
  // 3.0s: HTTP 400"). The delay is counted from when the incident event happened (opened, the last change,
  // resolved). Applies to the open incident or the last resolved one (a resolve is delivered after the
  // fact); returns the incident changed, nullptr for an unknown id.
  const Incident* record_notification(std::string_view incident_id, std::string_view notifier,
                                      std::string_view event, bool delivered_ok, Timestamp now,
                                      std::string_view detail = {});

  // Resolves the open incident regardless of severity, e.g. "site removed from config". Forgets a pending
  // first failure. Returns the resolve action, or nothing when no incident is open.
  std::vector<IncidentAction> force_resolve(Timestamp now, std::string_view why);

  // In a maintenance window no incident opens and no first failure is remembered (failures are expected),
  // so the first failure after the window starts a fresh time to detect. An incident already open stays
  // open and still updates and resolves. Not saved: windows come from the config.
  void set_in_maintenance(bool in_maintenance);
  bool in_maintenance() const { return in_maintenance_; }

  // After a reload: new labels or probe name apply to later snapshots; the id and dedup key stay.
  void set_context(IncidentContext context);
  const IncidentContext& context() const { return context_; }

  const std::optional<Incident>& open_incident() const { return open_; }
  const std::optional<Incident>& last_resolved() const { return last_resolved_; }
  std::optional<Timestamp> first_failure_at() const { return first_failure_; }

  // What state_dir keeps so a restart during an outage neither opens a second incident nor forgets to
  // resolve the first: the context, the open incident, the pending first failure and its events, and the
  // last resolved incident (its resolve may still be delivered).
  boost::json::object save() const;
  // nullopt when `saved` is not what save() wrote.
  static std::optional<IncidentTracker> restore(const boost::json::value& saved);

 private:
  void start_pending(Timestamp now, std::string detail);
  void clear_pending();
  void add_event(TimelineEvent event, Timestamp at, std::string detail);
  IncidentAction open(const SiteAssessment& a, Timestamp now);
  IncidentAction relapse(const SiteAssessment& a, Timestamp now);
  IncidentAction resolve(Timestamp now, std::string detail);
  void refresh(const SiteAssessment& a);
  std::string next_id(Timestamp opened_at);

  IncidentContext context_;
  bool in_maintenance_ = false;
  bool probe_saturated_ = false;
  std::optional<Incident> open_;
  std::optional<Incident> last_resolved_;
  // The pending incident: first failed run since the site was last all up, and the events since.
  std::optional<Timestamp> first_failure_;
  std::vector<TimelineEntry> pending_;
  std::size_t pending_omitted_ = 0;
  // Two incidents opened within one second would share an id; the second gets "-2" (and so on).
  std::string last_base_id_;
  int same_second_count_ = 0;
};

}  // namespace synthprobe
