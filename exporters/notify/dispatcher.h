#pragma once
// Delivers incident events to the notifiers, at least once and in order (contract section 8).
//
// For each incident event, announce() decides per notifier what it hears (the first event at or above
// min_severity is its open, later ones updates, a resolve only where an open went), stages the events and
// the notifier's progress into the state store in the caller's batch (with the incident itself, so a
// crash never leaves one without the other), and sends each event once the store has committed it.
// Queues are per (notifier, target, dedup key). Answers follow delivery_policy: retries with backoff and
// jitter, a 4xx other than 429 is a permanent failure, an event older than the notifier's
// max_delivery_age expires. Alertmanager alerts are re-sent every resend_interval while open, decided per
// target, so one Alertmanager that is down never lets the alert expire on the others.
//
// Runs on the check loop; it never blocks (the store writes, CurlMulti sends).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "common/log.h"
#include "config/config_model.h"
#include "exporters/notify/outbox.h"
#include "exporters/store/state_store.h"
#include "probe/engine/curl_multi.h"
#include "probe/incidents/incident.h"
#include "probe/incidents/incident_tracker.h"

namespace synthprobe {

class Dispatcher {
 public:
  using Clock = std::chrono::system_clock;

  struct Hooks {
    // synthprobe_notifications_total{notifier, event, result}
    std::function<void(const std::string& notifier, NotificationKind, DeliveryResult)> attempt;
    // synthprobe_notification_queue{notifier}
    std::function<void(const std::string& notifier, std::size_t pending)> queue;
    // A delivery (or its failure) for the incident's timeline; `detail` is the receiver's answer.
    std::function<void(const OutboxEntry& entry, DeliveryResult, const std::string& detail, Clock::time_point now)>
        outcome;
    // The wall clock (tests drive it); system_clock::now when empty.
    std::function<Clock::time_point()> clock;
  };

  Dispatcher(boost::asio::io_context& io, CurlMulti& multi, store::StateStore& store, const Logger& logger,
             Hooks hooks);
  ~Dispatcher();

  void configure(const std::vector<config::Notifier>& notifiers);
  // Picks up what the previous process left: progress and undelivered events (already durable).
  void restore(const store::RestoredState& restored);

  // Stages the notifications of one incident event into `writes` (the caller's store batch). Then call
  // send_when_committed() with the batch's sequence number. Returns the notifiers that got an event.
  std::vector<std::string> announce(const Incident& incident, IncidentAction::Kind kind, store::PendingWrites& writes, Clock::time_point now);
  void send_when_committed(std::uint64_t seq);

  // How long a resolved alert is re-sent to Alertmanager (its documentation asks for a few minutes).
  static constexpr std::chrono::minutes kResolveResendFor{5};

  // Alertmanager re-sends for the open incidents (and, for kResolveResendFor, the resolved ones); call
  // about once a second.
  void resend(const std::vector<const Incident*>& open, Clock::time_point now);

  // Sends what is due. Its own timer does this on time; the daemon also calls it once a second, so a jump
  // of the wall clock (or a test's fake clock) never leaves an event waiting on a stale timer.
  void tick() { pump(); }

  // Stops timers; undelivered events stay in the store for the next start.
  void stop();

  std::size_t pending() const { return outbox_.size(); }

 private:
  struct Progress {
    bool opened = false;
    std::uint64_t sequence = 0;
    std::optional<config::Severity> last_severity;
    Clock::time_point last_sent{};
    // Its resolve was delivered; kept until the recovery watch ends, for a relapse to carry on from.
    bool resolved = false;
    std::optional<Clock::time_point> keep_until;
  };
  using ProgressKey = std::pair<std::string, std::string>;  // notifier, incident id

  void enqueue(const config::Notifier& n, const Incident& incident, NotificationKind kind, Progress& p,
               store::PendingWrites& writes, Clock::time_point now, std::optional<std::string> only_target = {});
  void pump();
  void send_in_order(std::uint64_t id, std::shared_ptr<std::vector<OutgoingRequest>> requests, std::size_t i,
                     std::chrono::milliseconds timeout);
  void arm();
  void finished(std::uint64_t id, DeliveryResult result, const std::string& detail,
                std::optional<std::chrono::seconds> retry_after = std::nullopt);
  void drop(const OutboxEntry& entry, DeliveryResult result, const std::string& detail);
  const config::Notifier* find(const std::string& name) const;
  void report_queue(const std::string& notifier);
  static store::ProgressRow progress_row(const ProgressKey& key, const Progress& p);
  Clock::time_point now() const { return hooks_.clock ? hooks_.clock() : Clock::now(); }

  CurlMulti& multi_;
  store::StateStore& store_;
  const Logger& logger_;
  Hooks hooks_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  std::vector<config::Notifier> notifiers_;
  Outbox outbox_;
  std::uint64_t next_id_ = 1;
  std::vector<std::uint64_t> awaiting_commit_;  // staged in the current batch
  std::map<ProgressKey, Progress> progress_;
  // Alertmanager re-sends: when each target last got the incident's alert.
  std::map<std::tuple<std::string, std::string, std::string>, Clock::time_point> last_sent_to_target_;
  // Alertmanager asks clients to repeat a resolve for a while, so one lost resolve does not leave an
  // alert firing: resolved incidents are re-sent as resolved until `until`.
  struct ResolvedAlert {
    Incident incident;
    Clock::time_point until;
    std::uint64_t sequence = 0;
    std::map<std::string, Clock::time_point> last_sent;  // per target
  };
  std::map<ProgressKey, ResolvedAlert> resolved_alerts_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace synthprobe
