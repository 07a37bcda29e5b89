#pragma once
// What a drill found out: per notifier, whether its open and its resolve were delivered and how long each
// took. Pure: the drill runner feeds it the dispatcher's outcomes and the clock; the API, the store and
// `synthprobe drill` read its JSON.
//
// JSON: {id, site, severity, started_at, resolves_at, resolved_at, wait_until, finished, ok, note,
//        incident: the drill incident,
//        deliveries: [{notifier, open: {result, seconds, detail}, resolve: {...}}]}
// result: "delivered", "pending" (not yet answered, or still retrying: detail is the last answer),
// "failed" (refused for good), "expired" (max_delivery_age passed), "not_sent" (the resolve before the
// drill resolved). seconds: from the event's announcement to its last target's acceptance.

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "exporters/notify/delivery_policy.h"
#include "exporters/notify/notification_payloads.h"
#include "probe/incidents/incident.h"

namespace synthprobe {

struct DrillLeg {
  std::size_t targets = 1;  // Alertmanager: one per base URL, each must accept it
  std::size_t delivered = 0;
  std::set<std::string> delivered_to;  // targets that accepted it (not in the JSON: URLs may hold secrets)
  std::optional<Timestamp> announced_at;
  std::optional<double> seconds;  // when every target accepted it
  bool failed = false;
  bool expired = false;
  std::string detail;  // the receiver's last answer when not delivered

  bool done() const { return delivered >= targets || failed || expired; }
  bool ok() const { return delivered >= targets; }
  std::string result() const;
  // For people (synthprobe drill's table, the drill's review): "delivered in 250 ms", "delivered in 1m 5s",
  // "failed: HTTP 400: invalid_token", "not delivered: HTTP 503" while pending, "not sent".
  std::string describe() const;
};

struct DrillDelivery {
  std::string notifier;
  DrillLeg open;
  DrillLeg resolve;
};

struct DrillReport {
  Incident incident;  // drill == true
  Timestamp resolves_at;
  Timestamp wait_until;  // the report is final then, delivered or not
  bool finished = false;
  std::string note;  // why the drill could not test anything, or what happened to it (a restart)
  std::vector<DrillDelivery> deliveries;

  // Every notifier that was told got both events; a drill nobody would receive is not ok.
  bool ok() const;
  // Every event answered for good (delivered, failed or expired), after the resolve went out.
  bool all_answered() const;

  // The notifiers `announce` named for the open (with their number of delivery targets).
  void opened(const std::vector<std::pair<std::string, std::size_t>>& told, Timestamp now);
  // The notifiers `announce` named for the resolve, with their delivery targets now (a reload may have
  // changed them); one told of the open but not of the resolve (removed by a reload) is noted.
  void resolved(const std::vector<std::pair<std::string, std::size_t>>& told, Timestamp now);
  // One outcome from the dispatcher for this drill's incident.
  void delivery(const std::string& notifier, const std::string& target, NotificationKind kind, DeliveryResult result, const std::string& detail,
                Timestamp now);
};

boost::json::object to_json(const DrillReport& report);
std::optional<DrillReport> drill_report_from_json(const boost::json::value& value);
// One leg of to_json's deliveries; nullopt when it is missing or damaged.
std::optional<DrillLeg> drill_leg_from_json(const boost::json::value* leg);

}  // namespace synthprobe
