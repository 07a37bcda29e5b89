// Notifications: the payload each notifier type sends, what an answer means, backoff, and the outbox.

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "exporters/notify/delivery_policy.h"
#include "exporters/notify/notification_payloads.h"
#include "exporters/notify/outbox.h"

namespace json = boost::json;
using namespace std::chrono_literals;
using synthprobe::build_requests;
using synthprobe::DeliveryResult;
using synthprobe::NotificationEvent;
using synthprobe::NotificationKind;
using synthprobe::Outbox;
using synthprobe::OutboxEntry;
using synthprobe::OutgoingRequest;
using synthprobe::config::Notifier;
using synthprobe::config::Severity;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

// 2026-11-27T10:16:00Z: a minute after the sample incident opened.
const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + 10h + 16min;

const char* const kIncident = R"json({"id":"shop-eu-west-20261127T101500Z","site":"shop",
 "dedup_key":"synthprobe/shop/eu-west","probe":"eu-west-1a","region":"eu-west","labels":{"team":"web"},
 "severity":"P2","extent":"partial","areas":["checkout"],"summary":"shop: checkout down (status 503)",
 "first_failure_at":"2026-11-27T10:14:50Z","opened_at":"2026-11-27T10:15:00Z","resolved_at":null,
 "time_to_detect_seconds":10.0,
 "failing_checks":[{"name":"checkout","area":"checkout","reason":"status","message":"status 503 not in [2xx]",
   "status_code":503,"phases":{"resolve":0.0,"connect":0.0002,"tls":0.0,"processing":0.004,"transfer":0.0}}],
 "timeline":[{"at":"2026-11-27T10:14:50Z","event":"first_failure","detail":"checkout: status 503"},
             {"at":"2026-11-27T10:15:00Z","event":"opened","detail":"P2 partial: checkout"}]})json";

json::object incident(std::string_view severity = "P2") {
  json::object o = json::parse(kIncident).as_object();
  o["severity"] = severity;
  return o;
}

json::object resolved_incident() {
  json::object o = incident();
  o["resolved_at"] = "2026-11-27T10:42:00Z";
  return o;
}

NotificationEvent event(NotificationKind kind, json::object inc = incident(), std::uint64_t sequence = 1,
                        std::optional<Severity> previous = std::nullopt) {
  return NotificationEvent{kind, sequence, "evt-" + std::to_string(sequence), std::move(inc), previous, std::nullopt};
}

Notifier notifier(std::string type) {
  Notifier n;
  n.name = type + "-1";
  n.type = type;
  if (type == "pagerduty") {
    n.url = "https://events.pagerduty.com/v2/enqueue";
    n.routing_key = "R0UT1NGKEY";
  } else if (type == "opsgenie") {
    n.url = "https://api.opsgenie.com/v2/alerts";
    n.api_key = "0PSG3N1EKEY";
  } else if (type == "alertmanager") {
    n.urls = {"http://am-1:9093", "http://am-2:9093/"};
    n.resend_interval = 1min;
  } else if (type == "webhook") {
    n.url = "https://hooks.example.com/synthprobe";
    n.headers = {{"X-Token", "W3BH00KSECRET"}};
  } else if (type == "slack") {
    n.url = "https://hooks.slack.com/services/T0/B0/XYZ";
  }
  return n;
}

std::vector<OutgoingRequest> requests(const Notifier& n, const NotificationEvent& e, TimePoint now = kNow) {
  auto built = build_requests(n, e, now);
  REQUIRE_MESSAGE(built.ok(), built.error);
  return built.requests;
}

std::string header(const OutgoingRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

json::value body(const OutgoingRequest& r) { return json::parse(r.body); }

std::string str(const json::value& v) { return std::string(v.as_string()); }

}  // namespace

// ---------------------------------------------------------------------------------------------- payloads

TEST_CASE("pagerduty: open and update trigger, with the documented fields") {
  const Notifier n = notifier("pagerduty");
  for (auto kind : {NotificationKind::open, NotificationKind::update}) {
    auto rs = requests(n, event(kind));
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].url == "https://events.pagerduty.com/v2/enqueue");
    CHECK(header(rs[0], "Content-Type") == "application/json");
    const json::object b = body(rs[0]).as_object();
    CHECK(str(b.at("routing_key")) == "R0UT1NGKEY");
    CHECK(str(b.at("event_action")) == "trigger");
    CHECK(str(b.at("dedup_key")) == "synthprobe/shop/eu-west");
    const json::object& p = b.at("payload").as_object();
    CHECK(str(p.at("summary")) == "shop: checkout down (status 503)");
    CHECK(str(p.at("source")) == "eu-west-1a");
    CHECK(str(p.at("severity")) == "error");
    CHECK(str(p.at("component")) == "shop");
    CHECK(str(p.at("group")) == "eu-west");
    CHECK(str(p.at("timestamp")) == "2026-11-27T10:16:00Z");
    CHECK(p.at("custom_details") == json::value(incident()));
  }
}

TEST_CASE("pagerduty: P1 is critical, P3 warning") {
  const Notifier n = notifier("pagerduty");
  auto p1 = body(requests(n, event(NotificationKind::open, incident("P1")))[0]);
  auto p3 = body(requests(n, event(NotificationKind::open, incident("P3")))[0]);
  CHECK(str(p1.at("payload").at("severity")) == "critical");
  CHECK(str(p3.at("payload").at("severity")) == "warning");
}

TEST_CASE("pagerduty: resolve by dedup key") {
  auto rs = requests(notifier("pagerduty"), event(NotificationKind::resolve, resolved_incident()));
  REQUIRE(rs.size() == 1);
  const json::object b = body(rs[0]).as_object();
  CHECK(str(b.at("routing_key")) == "R0UT1NGKEY");
  CHECK(str(b.at("event_action")) == "resolve");
  CHECK(str(b.at("dedup_key")) == "synthprobe/shop/eu-west");
}

TEST_CASE("opsgenie: create with alias, priority, message and the GenieKey header") {
  const Notifier n = notifier("opsgenie");
  auto rs = requests(n, event(NotificationKind::open));
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].url == "https://api.opsgenie.com/v2/alerts");
  CHECK(header(rs[0], "Authorization") == "GenieKey 0PSG3N1EKEY");
  CHECK(header(rs[0], "Content-Type") == "application/json");
  const json::object b = body(rs[0]).as_object();
  CHECK(str(b.at("alias")) == "synthprobe/shop/eu-west");
  CHECK(str(b.at("priority")) == "P2");
  CHECK(str(b.at("message")) == "shop: checkout down (status 503)");
  CHECK(str(b.at("source")) == "eu-west-1a");
  CHECK(str(b.at("description")).find("status 503 not in [2xx]") != std::string::npos);
  for (const auto& kv : b.at("details").as_object()) CHECK_MESSAGE(kv.value().is_string(), std::string(kv.key()));
  CHECK(str(b.at("details").at("incident_id")) == "shop-eu-west-20261127T101500Z");
  CHECK(str(b.at("details").at("team")) == "web");
  std::set<std::string> tags;
  for (const auto& t : b.at("tags").as_array()) tags.insert(str(t));
  CHECK(tags.count("site:shop") == 1);
  CHECK(tags.count("team:web") == 1);

  auto update = body(requests(n, event(NotificationKind::update, incident("P1"), 2, Severity::P2))[0]);
  CHECK(str(update.at("alias")) == "synthprobe/shop/eu-west");
  CHECK(str(update.at("priority")) == "P1");
}

TEST_CASE("opsgenie: the message stays within 130 characters") {
  json::object inc = incident();
  inc["summary"] = std::string(300, 'x');
  auto b = body(requests(notifier("opsgenie"), event(NotificationKind::open, inc))[0]);
  CHECK(str(b.at("message")).size() <= 130);
  CHECK(str(b.at("message")).substr(0, 100) == std::string(100, 'x'));
}

TEST_CASE("opsgenie: resolve closes the alert by alias") {
  auto rs = requests(notifier("opsgenie"), event(NotificationKind::resolve, resolved_incident()));
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].url ==
        "https://api.opsgenie.com/v2/alerts/synthprobe%2Fshop%2Feu-west/close?identifierType=alias");
  CHECK(header(rs[0], "Authorization") == "GenieKey 0PSG3N1EKEY");
  CHECK(body(rs[0]).is_object());
}

TEST_CASE("opsgenie: an update is the create, then what changed as a note, then the priority when it changed") {
  json::object inc = incident();
  inc["severity"] = "P1";
  auto rs = requests(notifier("opsgenie"), event(NotificationKind::update, inc, 2, Severity::P2));
  REQUIRE(rs.size() == 3);
  CHECK(rs[0].method == "POST");
  CHECK(rs[0].url == "https://api.opsgenie.com/v2/alerts");
  // A repeated create of an open alias is deduplicated: the change reaches the alert as a note.
  CHECK(rs[1].method == "POST");
  CHECK(rs[1].url == "https://api.opsgenie.com/v2/alerts/synthprobe%2Fshop%2Feu-west/notes?identifierType=alias");
  CHECK(str(body(rs[1]).at("note")) == "Updated: P1 (was P2), partial. shop: checkout down (status 503)");
  CHECK(header(rs[1], "Authorization") == "GenieKey 0PSG3N1EKEY");
  CHECK(rs[2].method == "PUT");
  CHECK(rs[2].url == "https://api.opsgenie.com/v2/alerts/synthprobe%2Fshop%2Feu-west/priority?identifierType=alias");
  CHECK(str(body(rs[2]).at("priority")) == "P1");
  CHECK(header(rs[2], "Authorization") == "GenieKey 0PSG3N1EKEY");
  // Without a change of severity: the create and the note.
  CHECK(requests(notifier("opsgenie"), event(NotificationKind::update, inc, 3, Severity::P1)).size() == 2);
  // An open is the create alone.
  CHECK(requests(notifier("opsgenie"), event(NotificationKind::open, inc, 1)).size() == 1);
}

TEST_CASE("opsgenie: details stay within the service's 8,000 characters however many labels a site has") {
  json::object inc = incident();
  json::object labels;
  for (int i = 0; i < 200; ++i) labels["label" + std::to_string(i)] = std::string(300, 'v');
  inc["labels"] = labels;
  const auto rs = requests(notifier("opsgenie"), event(NotificationKind::open, inc, 1));
  const json::value b = body(rs[0]);
  std::size_t total = 0;
  for (const auto& kv : b.at("details").as_object()) total += kv.key().size() + kv.value().as_string().size();
  CHECK(total <= 8000);
  CHECK(b.at("details").as_object().contains("incident_id"));  // what matters comes first
}

TEST_CASE("pagerduty: payload.timestamp is when the probe detected the change, not when a retry is sent") {
  NotificationEvent e = event(NotificationKind::open);
  e.detected_at = kNow - 10min;
  const auto rs = requests(notifier("pagerduty"), e, kNow);
  CHECK(str(body(rs[0]).at("payload").at("timestamp")) == "2026-11-27T10:06:00Z");
  // It survives the store.
  auto back = synthprobe::event_from_json_text(synthprobe::event_to_json_text(e));
  REQUIRE(back.has_value());
  CHECK(back->detected_at == e.detected_at);
}

TEST_CASE("alertmanager: every url gets the alert, endsAt = now + 4 x resend_interval while open") {
  const Notifier n = notifier("alertmanager");
  auto rs = requests(n, event(NotificationKind::open));
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].url == "http://am-1:9093/api/v2/alerts");
  CHECK(rs[1].url == "http://am-2:9093/api/v2/alerts");
  CHECK(rs[0].body == rs[1].body);
  const json::array alerts = body(rs[0]).as_array();
  REQUIRE(alerts.size() == 1);
  const json::object& a = alerts[0].as_object();
  const json::object& labels = a.at("labels").as_object();
  CHECK(str(labels.at("alertname")) == "SiteDown");
  CHECK(str(labels.at("site")) == "shop");
  CHECK(str(labels.at("severity")) == "P2");
  CHECK(str(labels.at("region")) == "eu-west");
  CHECK(str(labels.at("probe")) == "eu-west-1a");
  CHECK(str(labels.at("team")) == "web");
  const json::object& annotations = a.at("annotations").as_object();
  CHECK(str(annotations.at("summary")) == "shop: checkout down (status 503)");
  CHECK(str(annotations.at("incident_id")) == "shop-eu-west-20261127T101500Z");
  const std::string description = str(annotations.at("description"));
  CHECK(description.find("checkout") != std::string::npos);
  CHECK(description.find("status 503 not in [2xx]") != std::string::npos);
  CHECK(str(a.at("startsAt")) == "2026-11-27T10:15:00Z");
  CHECK(str(a.at("endsAt")) == "2026-11-27T10:20:00Z");

  Notifier slow = n;
  slow.resend_interval = 5min;
  auto later = body(requests(slow, event(NotificationKind::update), kNow + 90s)[0]);
  CHECK(str(later.at(0).at("endsAt")) == "2026-11-27T10:37:30Z");
}

TEST_CASE("alertmanager: the incident's labels never override the alert's own") {
  json::object inc = incident();
  inc["labels"] = json::object{{"severity", "low"}, {"site", "other"}, {"env", "prod"}};
  auto alert = body(requests(notifier("alertmanager"), event(NotificationKind::open, inc))[0]).at(0);
  CHECK(str(alert.at("labels").at("severity")) == "P2");
  CHECK(str(alert.at("labels").at("site")) == "shop");
  CHECK(str(alert.at("labels").at("env")) == "prod");
}

TEST_CASE("alertmanager: resolve sets endsAt to now") {
  auto rs = requests(notifier("alertmanager"), event(NotificationKind::resolve, resolved_incident()));
  REQUIRE(rs.size() == 2);
  const json::array alerts = body(rs[1]).as_array();
  REQUIRE(alerts.size() == 1);
  CHECK(str(alerts[0].at("endsAt")) == "2026-11-27T10:16:00Z");
  CHECK(str(alerts[0].at("startsAt")) == "2026-11-27T10:15:00Z");
  CHECK(str(alerts[0].at("labels").at("severity")) == "P2");
}

TEST_CASE("alertmanager: a severity change resolves the old alert and fires the new one") {
  auto rs = requests(notifier("alertmanager"), event(NotificationKind::update, incident("P1"), 2, Severity::P2));
  const json::array alerts = body(rs[0]).as_array();
  REQUIRE(alerts.size() == 2);
  CHECK(str(alerts[0].at("labels").at("severity")) == "P2");
  CHECK(str(alerts[0].at("endsAt")) == "2026-11-27T10:16:00Z");
  CHECK(str(alerts[1].at("labels").at("severity")) == "P1");
  CHECK(str(alerts[1].at("endsAt")) == "2026-11-27T10:20:00Z");

  SUBCASE("an update without a severity change fires one alert") {
    auto same = body(requests(notifier("alertmanager"), event(NotificationKind::update, incident(), 2, Severity::P2))[0]);
    CHECK(same.as_array().size() == 1);
  }
}

TEST_CASE("alertmanager: each url is a target of its own") {
  const Notifier n = notifier("alertmanager");
  CHECK(synthprobe::delivery_targets(n) == n.urls);
  CHECK(synthprobe::delivery_targets(notifier("slack")) == std::vector<std::string>{""});
  auto only = build_requests(n, event(NotificationKind::open), kNow, "http://am-2:9093/");
  REQUIRE(only.ok());
  REQUIRE(only.requests.size() == 1);
  CHECK(only.requests[0].url == "http://am-2:9093/api/v2/alerts");
  CHECK_FALSE(build_requests(n, event(NotificationKind::open), kNow, "http://gone:9093").ok());
}

TEST_CASE("webhook: the contract's envelope and the configured headers") {
  auto rs = requests(notifier("webhook"), event(NotificationKind::update, incident(), 3));
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].url == "https://hooks.example.com/synthprobe");
  CHECK(header(rs[0], "X-Token") == "W3BH00KSECRET");
  CHECK(header(rs[0], "Content-Type") == "application/json");
  const json::object b = body(rs[0]).as_object();
  CHECK(b.size() == 5);
  CHECK(str(b.at("version")) == "1");
  CHECK(str(b.at("event_id")) == "evt-3");
  CHECK(b.at("sequence").to_number<std::uint64_t>() == 3);
  CHECK(str(b.at("event")) == "update");
  CHECK(b.at("incident") == json::value(incident()));
  CHECK(str(body(requests(notifier("webhook"), event(NotificationKind::resolve, resolved_incident()))[0]).at("event")) ==
        "resolve");

  Notifier own = notifier("webhook");
  own.headers["content-type"] = "application/vnd.example+json";
  auto custom = requests(own, event(NotificationKind::open));
  int content_types = 0;
  for (const auto& [k, v] : custom[0].headers) content_types += k == "Content-Type" || k == "content-type";
  CHECK(content_types == 1);
  CHECK(header(custom[0], "content-type") == "application/vnd.example+json");
}

TEST_CASE("slack: a readable line per event, no emoji") {
  const Notifier n = notifier("slack");
  auto text = [&](const NotificationEvent& e) { return str(body(requests(n, e)[0]).at("text")); };
  const std::string open = text(event(NotificationKind::open));
  CHECK(open.rfind("[P2] shop: checkout down (status 503) — opened 10:15:00Z\n", 0) == 0);
  CHECK(open.substr(open.find('\n') + 1) ==
        "Partial outage (checkout); seen by probe eu-west-1a in eu-west; incident shop-eu-west-20261127T101500Z");

  const std::string update = text(event(NotificationKind::update, incident("P1"), 2, Severity::P2));
  CHECK(update.rfind("[P1] shop: checkout down (status 503) — updated (was P2), opened 10:15:00Z\n", 0) == 0);

  const std::string resolved = text(event(NotificationKind::resolve, resolved_incident()));
  CHECK(resolved.rfind("Resolved: [P2] shop: checkout down (status 503) — opened 10:15:00Z, resolved 10:42:00Z (27m)\n", 0) == 0);

  for (const std::string& t : {open, update, resolved}) {
    CHECK(std::count(t.begin(), t.end(), '\n') == 1);
    CHECK(t.find(":rotating_light:") == std::string::npos);
    CHECK(t.find("\xF0\x9F") == std::string::npos);  // no 4-byte emoji
  }
}

TEST_CASE("slack: an incident opened on another day shows the date; markup characters are escaped") {
  json::object inc = incident();
  inc["summary"] = "shop: <checkout> & cart down";
  auto b = body(requests(notifier("slack"), event(NotificationKind::open, inc), kNow + 24h)[0]);
  CHECK(str(b.at("text")).rfind("[P2] shop: &lt;checkout&gt; &amp; cart down — opened 2026-11-27 10:15:00Z", 0) == 0);
}

// ------------------------------------------------------------------------------------------------ roles

namespace {
// The team as the incident object carries it (incident.cpp's to_json): unset roles are null.
json::object incident_with_team() {
  json::object o = incident("P1");
  o["team"] = json::parse(R"j({"commander":{"name":"Ana Ruiz","notifier":"oncall"},
    "technical_lead":{"name":"https://rota.example.com/web-sre","notifier":null},"communications_lead":null,
    "support_lead":{"name":"Support & Billing","notifier":null}})j");
  return o;
}
}  // namespace

TEST_CASE("alertmanager: the annotations name each role that is set") {
  auto alert = body(requests(notifier("alertmanager"), event(NotificationKind::open, incident_with_team()))[0]).at(0);
  const json::object& annotations = alert.at("annotations").as_object();
  CHECK(str(annotations.at("commander")) == "Ana Ruiz");
  CHECK(str(annotations.at("technical_lead")) == "https://rota.example.com/web-sre");
  CHECK(str(annotations.at("support_lead")) == "Support & Billing");
  CHECK_FALSE(annotations.contains("communications_lead"));
  CHECK_FALSE(alert.at("labels").as_object().contains("commander"));  // a role is no identity of the alert
  // The resolve carries them too; an incident without a team adds none.
  json::object resolved = incident_with_team();
  resolved["resolved_at"] = "2026-11-27T10:42:00Z";
  auto end = body(requests(notifier("alertmanager"), event(NotificationKind::resolve, resolved))[0]).at(0);
  CHECK(str(end.at("annotations").at("commander")) == "Ana Ruiz");
  auto plain = body(requests(notifier("alertmanager"), event(NotificationKind::open))[0]).at(0);
  CHECK(plain.at("annotations").as_object().size() == 3);
}

TEST_CASE("opsgenie: the details name each role that is set, within the 8,000 characters") {
  json::object inc = incident_with_team();
  const json::value b = body(requests(notifier("opsgenie"), event(NotificationKind::open, inc))[0]);
  const json::object& details = b.at("details").as_object();
  CHECK(str(details.at("commander")) == "Ana Ruiz");
  CHECK(str(details.at("technical_lead")) == "https://rota.example.com/web-sre");
  CHECK(str(details.at("support_lead")) == "Support & Billing");
  CHECK_FALSE(details.contains("communications_lead"));

  // A site with many large labels and long evidence: the roles still fit, ahead of the labels.
  json::object labels;
  for (int i = 0; i < 200; ++i) labels["label" + std::to_string(i)] = std::string(300, 'v');
  inc["labels"] = labels;
  json::array failing;
  for (int i = 0; i < 50; ++i)
    failing.push_back(json::object{{"name", "check" + std::to_string(i)}, {"message", std::string(200, 'm')}});
  inc["failing_checks"] = failing;
  const json::value big = body(requests(notifier("opsgenie"), event(NotificationKind::open, inc))[0]);
  std::size_t total = 0;
  for (const auto& kv : big.at("details").as_object()) total += kv.key().size() + kv.value().as_string().size();
  CHECK(total <= 8000);
  CHECK(str(big.at("details").at("commander")) == "Ana Ruiz");
  CHECK(str(big.at("details").at("support_lead")) == "Support & Billing");
}

TEST_CASE("slack: a third line names the team; none without one") {
  auto text = [](const NotificationEvent& e) { return str(body(requests(notifier("slack"), e)[0]).at("text")); };
  const std::string open = text(event(NotificationKind::open, incident_with_team()));
  CHECK(std::count(open.begin(), open.end(), '\n') == 2);
  CHECK(open.substr(open.rfind('\n') + 1) ==
        "Team: commander Ana Ruiz; technical lead https://rota.example.com/web-sre; support lead Support &amp; Billing");
  const std::string plain = text(event(NotificationKind::open));
  CHECK(plain.find("Team:") == std::string::npos);
}

TEST_CASE("an incident without what a payload needs is an error naming the notifier, never a secret") {
  json::object inc = incident();
  inc.erase("dedup_key");
  for (const char* type : {"pagerduty", "opsgenie", "webhook", "alertmanager", "slack"}) {
    auto built = build_requests(notifier(type), event(NotificationKind::open, inc), kNow);
    CHECK_FALSE(built.ok());
    CHECK(built.requests.empty());
    CHECK(built.error.find("dedup_key") != std::string::npos);
    CHECK(built.error.find(std::string(type) + "-1") != std::string::npos);
    for (const char* secret : {"R0UT1NGKEY", "0PSG3N1EKEY", "W3BH00KSECRET"})
      CHECK(built.error.find(secret) == std::string::npos);
  }
  json::object bad_severity = incident("P9");
  CHECK_FALSE(build_requests(notifier("pagerduty"), event(NotificationKind::open, bad_severity), kNow).ok());
  Notifier unknown = notifier("pagerduty");
  unknown.type = "carrier-pigeon";
  CHECK_FALSE(build_requests(unknown, event(NotificationKind::open), kNow).ok());
}

TEST_CASE("a resolved incident without a severity resolves the one last sent") {
  json::object inc = resolved_incident();
  inc["severity"] = nullptr;
  auto rs = requests(notifier("alertmanager"), event(NotificationKind::resolve, inc, 4, Severity::P1));
  CHECK(str(body(rs[0]).at(0).at("labels").at("severity")) == "P1");
}

TEST_CASE("event kinds by name") {
  CHECK(synthprobe::to_string(NotificationKind::resolve) == "resolve");
  CHECK(synthprobe::parse_notification_kind("update") == NotificationKind::update);
  CHECK_FALSE(synthprobe::parse_notification_kind("close").has_value());
}

// ------------------------------------------------------------------------------------- delivery policy

TEST_CASE("classify: 2xx delivered; 408, 429, 5xx and no answer retry; other 4xx permanent") {
  using synthprobe::classify;
  CHECK(classify(200) == DeliveryResult::delivered);
  CHECK(classify(202) == DeliveryResult::delivered);
  CHECK(classify(204) == DeliveryResult::delivered);
  CHECK(classify(400) == DeliveryResult::permanent_failure);
  CHECK(classify(401) == DeliveryResult::permanent_failure);
  CHECK(classify(403) == DeliveryResult::permanent_failure);
  CHECK(classify(404) == DeliveryResult::permanent_failure);
  CHECK(classify(422) == DeliveryResult::permanent_failure);
  CHECK(classify(408) == DeliveryResult::retry);
  CHECK(classify(429) == DeliveryResult::retry);
  CHECK(classify(500) == DeliveryResult::retry);
  CHECK(classify(502) == DeliveryResult::retry);
  CHECK(classify(503) == DeliveryResult::retry);
  CHECK(classify(std::optional<int>{}) == DeliveryResult::retry);  // network error, timeout
  CHECK(classify(0) == DeliveryResult::retry);                     // curl: no response
  CHECK(classify(301) == DeliveryResult::permanent_failure);
  CHECK(synthprobe::to_string(DeliveryResult::permanent_failure) == "permanent_failure");
}

TEST_CASE("combine: several requests of one event") {
  using synthprobe::combine;
  using R = DeliveryResult;
  CHECK(combine(std::vector<R>{R::delivered, R::delivered}) == R::delivered);
  CHECK(combine(std::vector<R>{R::delivered, R::retry}) == R::retry);
  CHECK(combine(std::vector<R>{R::permanent_failure, R::retry}) == R::retry);
  CHECK(combine(std::vector<R>{R::delivered, R::permanent_failure}) == R::permanent_failure);
}

TEST_CASE("backoff: 1s doubling to a 5m cap, jitter within [ceiling/2, ceiling]") {
  using synthprobe::backoff;
  using synthprobe::backoff_ceiling;
  CHECK(backoff_ceiling(1) == 1s);
  CHECK(backoff_ceiling(2) == 2s);
  CHECK(backoff_ceiling(3) == 4s);
  CHECK(backoff_ceiling(4) == 8s);
  CHECK(backoff_ceiling(9) == 256s);
  CHECK(backoff_ceiling(10) == 5min);
  CHECK(backoff_ceiling(1000) == 5min);
  CHECK(backoff_ceiling(0) == 1s);
  for (int attempt : {1, 2, 3, 6, 10, 50}) {
    const auto ceiling = backoff_ceiling(attempt);
    CHECK(backoff(attempt, 0.0) == ceiling / 2);
    CHECK(backoff(attempt, 0.5) == ceiling * 3 / 4);
    CHECK(backoff(attempt, 0.999999) <= ceiling);
    CHECK(backoff(attempt, 0.999999) >= ceiling - 1ms);
    CHECK(backoff(attempt, 7.0) == ceiling);   // out of range: clamped
    CHECK(backoff(attempt, -1.0) == ceiling / 2);
  }
}

// ---------------------------------------------------------------------------------------------- outbox

namespace {

std::uint64_t next_entry_id = 1;

OutboxEntry entry(std::string notifier, std::string incident_id, NotificationKind kind, std::uint64_t sequence,
                  std::string target = "", std::string dedup_key = "synthprobe/shop/eu-west") {
  json::object inc = incident();
  inc["id"] = incident_id;
  OutboxEntry e;
  e.id = next_entry_id++;
  e.notifier = std::move(notifier);
  e.target = std::move(target);
  e.dedup_key = std::move(dedup_key);
  e.incident_id = incident_id;
  e.event = event(kind, std::move(inc), sequence);
  e.event.event_id = e.notifier + "/" + incident_id + "/" + std::to_string(sequence);
  return e;
}

std::vector<std::string> event_ids(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.event.event_id);
  return ids;
}

// Sends the ready heads and reports each delivered, as the dispatcher does; returns what went out.
std::vector<std::string> deliver_all(Outbox& box, TimePoint now) {
  std::vector<std::string> sent;
  for (int round = 0; round < 100; ++round) {
    const auto ready = box.next_ready(now);
    if (ready.empty()) break;
    for (const auto& e : ready) {
      REQUIRE(box.begin_send(e.id));
      sent.push_back(e.event.event_id);
      box.remove(e.id);
    }
  }
  return sent;
}

}  // namespace

TEST_CASE("outbox: one queue sends its head only, in order, never a resolve before its open") {
  Outbox box;
  box.add(entry("oncall", "inc-1", NotificationKind::open, 1), true);
  box.add(entry("oncall", "inc-1", NotificationKind::update, 2), true);
  box.add(entry("oncall", "inc-1", NotificationKind::resolve, 3), true);
  const auto ready = box.next_ready(kNow);
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].event.kind == NotificationKind::open);
  REQUIRE(box.begin_send(ready[0].id));
  CHECK_FALSE(box.begin_send(ready[0].id));  // never twice at once
  CHECK(box.next_ready(kNow).empty());        // in flight: nothing else of the queue goes
  // A retry keeps its place at the head: the update waits behind it.
  const OutboxEntry* retried = box.reschedule(ready[0].id, kNow + 2s);
  REQUIRE(retried != nullptr);
  CHECK(retried->attempts == 1);
  CHECK(box.next_ready(kNow).empty());
  CHECK(box.next_due() == kNow + 2s);
  CHECK(deliver_all(box, kNow + 2s) ==
        std::vector<std::string>{"oncall/inc-1/1", "oncall/inc-1/2", "oncall/inc-1/3"});
  CHECK(box.size() == 0);
}

TEST_CASE("outbox: a late resolve of one incident never lands after the next incident's open of the same site") {
  // Receivers key alerts by dedup key: incident A's retrying resolve must go before incident B's trigger.
  Outbox box;
  const OutboxEntry a_resolve = entry("pd", "shop-A", NotificationKind::resolve, 2);
  box.add(a_resolve, true);
  REQUIRE(box.begin_send(a_resolve.id));
  box.reschedule(a_resolve.id, kNow + 1s);  // answered 503
  box.add(entry("pd", "shop-B", NotificationKind::open, 1), true);
  CHECK(box.next_ready(kNow).empty());  // B's open waits for A's resolve
  CHECK(deliver_all(box, kNow + 1s) == std::vector<std::string>{"pd/shop-A/2", "pd/shop-B/1"});
}

TEST_CASE("outbox: queues do not hold each other up (notifiers, targets, sites)") {
  Outbox box;
  const OutboxEntry stuck = entry("am", "inc-1", NotificationKind::open, 1, "http://am-2:9093");
  box.add(stuck, true);
  box.add(entry("am", "inc-1", NotificationKind::open, 1, "http://am-1:9093"), true);
  box.add(entry("hook", "inc-1", NotificationKind::open, 1), true);
  box.add(entry("hook", "blog-1", NotificationKind::open, 1, "", "synthprobe/blog/eu-west"), true);
  REQUIRE(box.begin_send(stuck.id));
  box.reschedule(stuck.id, kNow + 5min);
  CHECK(event_ids(box.next_ready(kNow)) == std::vector<std::string>{"am/inc-1/1", "hook/inc-1/1", "hook/blog-1/1"});
  CHECK(box.pending_count("am") == 2);
  CHECK(box.pending_in_queue("am", "http://am-2:9093", "synthprobe/shop/eu-west") == 1);
  CHECK(box.pending_for_incident("hook", "blog-1") == 1);
}

TEST_CASE("outbox: an event is not sent before the store says it is on disk") {
  Outbox box;
  const OutboxEntry e = entry("hook", "inc-1", NotificationKind::open, 1);
  box.add(e, false);
  CHECK(box.next_ready(kNow).empty());
  CHECK_FALSE(box.next_due().has_value());
  CHECK_FALSE(box.begin_send(e.id));
  box.mark_durable(e.id);
  CHECK(box.next_ready(kNow).size() == 1);
}

TEST_CASE("outbox: an event survives its trip through the store's text, with no secret in it") {
  Notifier pd = notifier("pagerduty");
  NotificationEvent e = event(NotificationKind::update, incident("P1"), 4, Severity::P2);
  const std::string text = synthprobe::event_to_json_text(e);
  CHECK(text.find(pd.routing_key) == std::string::npos);
  auto back = synthprobe::event_from_json_text(text);
  REQUIRE(back.has_value());
  CHECK(back->kind == NotificationKind::update);
  CHECK(back->sequence == 4);
  CHECK(back->event_id == "evt-4");
  CHECK(back->previous_severity == Severity::P2);
  CHECK(back->incident == e.incident);
  // Requests built from the stored event are the ones built from the original.
  CHECK(requests(pd, *back)[0].body == requests(pd, e)[0].body);
  CHECK_FALSE(synthprobe::event_from_json_text("{not json").has_value());
  CHECK_FALSE(synthprobe::event_from_json_text(R"({"event":"open"})").has_value());
  CHECK_FALSE(synthprobe::event_from_json_text(R"({"event":"explode","sequence":1,"event_id":"x","incident":{}})").has_value());
}

// Found by fuzzing (tests/fuzz/corpus/outbox_event/detected_at_far.json, far_year.json): a stored
// detected_at_ms far from now overflowed the clock when read, and an incident opened in 4052 when a Slack
// text was built (undefined behaviour both).
TEST_CASE("outbox: a damaged stored event is read without what would overflow the clock") {
  NotificationEvent e = event(NotificationKind::open);
  e.detected_at = kNow;
  json::object o = json::parse(synthprobe::event_to_json_text(e)).as_object();
  for (const std::int64_t far : {std::int64_t{17'957'074'560'000}, std::int64_t{-9'000'000'000'000'000}}) {
    o["detected_at_ms"] = far;
    const auto back = synthprobe::event_from_json_text(json::serialize(o));
    REQUIRE(back.has_value());
    CHECK_FALSE(back->detected_at.has_value());  // the send time stands in, as for an event without one
    CHECK(requests(notifier("pagerduty"), *back).size() == 1);
  }
  json::object far_incident = incident();
  far_incident["opened_at"] = "4052-11-27T10:15:00Z";
  const auto slack = requests(notifier("slack"), event(NotificationKind::open, far_incident));
  CHECK(str(body(slack[0]).at("text")).find("4052-11-27T10:15:00Z") != std::string::npos);  // shown as stored
}
