// Notifications: the payload each notifier type sends, what an answer means, backoff, and the outbox.

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "exporters/notify/delivery_policy.h"
#include "exporters/notify/notification_payloads.h"
#include "exporters/notify/outbox.h"
#include "tests/support/temp_dir.h"

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
  return NotificationEvent{kind, sequence, "evt-" + std::to_string(sequence), std::move(inc), previous};
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

TEST_CASE("opsgenie: an escalation also sets the priority of the open alert by alias") {
  json::object inc = incident();
  inc["severity"] = "P1";
  auto rs = requests(notifier("opsgenie"), event(NotificationKind::update, inc, 2, Severity::P2));
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].method == "POST");
  CHECK(rs[1].method == "PUT");
  CHECK(rs[1].url == "https://api.opsgenie.com/v2/alerts/synthprobe%2Fshop%2Feu-west/priority?identifierType=alias");
  CHECK(str(body(rs[1]).at("priority")) == "P1");
  CHECK(header(rs[1], "Authorization") == "GenieKey 0PSG3N1EKEY");
  // Without a change of severity an update is the create alone.
  CHECK(requests(notifier("opsgenie"), event(NotificationKind::update, inc, 3, Severity::P1)).size() == 1);
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

OutboxEntry entry(std::string notifier, std::string incident_id, NotificationKind kind, std::uint64_t sequence,
                  std::string target = "") {
  json::object inc = incident();
  inc["id"] = incident_id;
  OutboxEntry e;
  e.notifier = std::move(notifier);
  e.target = std::move(target);
  e.event = event(kind, std::move(inc), sequence);
  e.event.event_id = e.notifier + "/" + incident_id + "/" + std::to_string(sequence);
  return e;
}

std::vector<std::string> event_ids(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.event.event_id);
  return ids;
}

std::size_t line_count(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

void append_raw(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << bytes;
}

void require_ok(const synthprobe::OutboxStatus& s) { REQUIRE_MESSAGE(s.ok(), s.error()); }

}  // namespace

TEST_CASE("outbox: appended events come back after a restart, in order, with every field") {
  synthprobe::testing::TempDir tmp;
  const auto dir = tmp.path() / "state" / "outbox";
  {
    Outbox box(dir);
    auto load = box.load();
    REQUIRE(load.status.ok());
    CHECK(load.pending.empty());
    OutboxEntry a = entry("oncall", "shop-1", NotificationKind::open, 1);
    a.event.previous_severity = Severity::P3;
    a.next_attempt_at = kNow;
    OutboxEntry b = entry("oncall", "shop-1", NotificationKind::update, 2);
    OutboxEntry c = entry("chat", "blog-1", NotificationKind::open, 1);
    require_ok(box.append(a));
    require_ok(box.append(b));
    require_ok(box.append(c));
    CHECK(a.id < b.id);
    CHECK(b.id < c.id);
    CHECK(a.incident_id == "shop-1");  // taken from the incident
    CHECK(std::filesystem::exists(dir / "outbox.jsonl"));
    CHECK(line_count(box.file()) == 3);
  }
  Outbox again(dir);
  auto load = again.load();
  REQUIRE(load.status.ok());
  CHECK_FALSE(load.torn_tail);
  CHECK(load.bad_lines == 0);
  REQUIRE(load.pending.size() == 3);
  CHECK(event_ids(load.pending) == std::vector<std::string>{"oncall/shop-1/1", "oncall/shop-1/2", "chat/blog-1/1"});
  const OutboxEntry& a = load.pending[0];
  CHECK(a.notifier == "oncall");
  CHECK(a.target.empty());
  CHECK(a.incident_id == "shop-1");
  CHECK(a.event.kind == NotificationKind::open);
  CHECK(a.event.sequence == 1);
  CHECK(a.event.previous_severity == Severity::P3);
  CHECK(a.attempts == 0);
  CHECK(a.next_attempt_at == kNow);
  CHECK(str(a.event.incident.at("dedup_key")) == "synthprobe/shop/eu-west");
  CHECK(a.event.incident.at("failing_checks").at(0).at("status_code").to_number<int>() == 503);
  CHECK_FALSE(load.pending[1].event.previous_severity.has_value());
  CHECK(again.pending_count("oncall") == 2);
  CHECK(again.pending_count("chat") == 1);
  CHECK(again.pending_count("nobody") == 0);

  // New ids continue after the loaded ones.
  OutboxEntry d = entry("chat", "blog-1", NotificationKind::resolve, 2);
  require_ok(again.append(d));
  CHECK(d.id > load.pending.back().id);
}

TEST_CASE("outbox: no secret reaches the file") {
  synthprobe::testing::TempDir tmp;
  Outbox box(tmp.path());
  OutboxEntry e = entry("oncall", "shop-1", NotificationKind::open, 1);
  require_ok(box.append(e));
  std::ifstream in(box.file());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* secret : {"R0UT1NGKEY", "0PSG3N1EKEY", "W3BH00KSECRET"})
    CHECK(text.find(secret) == std::string::npos);
}

TEST_CASE("outbox: done marks remove events, also after a restart") {
  synthprobe::testing::TempDir tmp;
  Outbox box(tmp.path());
  OutboxEntry a = entry("oncall", "shop-1", NotificationKind::open, 1);
  OutboxEntry b = entry("oncall", "blog-1", NotificationKind::open, 1);
  require_ok(box.append(a));
  require_ok(box.append(b));
  require_ok(box.mark_done(a.id, DeliveryResult::delivered));
  CHECK(box.pending_count("oncall") == 1);
  CHECK(box.find(a.id) == nullptr);
  Outbox again(tmp.path());
  auto load = again.load();
  CHECK(event_ids(load.pending) == std::vector<std::string>{"oncall/blog-1/1"});
  require_ok(again.mark_done(b.id, DeliveryResult::permanent_failure));
  CHECK(Outbox(tmp.path()).load().pending.empty());
}

TEST_CASE("outbox: one queue sends its head only, in order, never a resolve before its open") {
  synthprobe::testing::TempDir tmp;
  Outbox box(tmp.path());
  std::vector<OutboxEntry> events{entry("oncall", "shop-1", NotificationKind::open, 1),
                                  entry("oncall", "shop-1", NotificationKind::update, 2),
                                  entry("oncall", "shop-1", NotificationKind::resolve, 3)};
  require_ok(box.append(events));
  CHECK(line_count(box.file()) == 3);

  auto ready = box.next_ready(kNow);
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].event.kind == NotificationKind::open);

  // Being sent: not handed out twice.
  CHECK(box.begin_send(ready[0].id));
  CHECK(box.next_ready(kNow).empty());

  // Failed: it stays the head, waiting out its backoff, and the resolve still waits behind it.
  require_ok(box.finish(ready[0].id, DeliveryResult::retry, kNow, 0.0));
  CHECK(box.find(ready[0].id)->attempts == 1);
  CHECK(box.find(ready[0].id)->next_attempt_at == kNow + 500ms);
  CHECK(box.next_due() == kNow + 500ms);
  CHECK(box.next_ready(kNow + 499ms).empty());
  ready = box.next_ready(kNow + 500ms);
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].event.kind == NotificationKind::open);

  require_ok(box.finish(ready[0].id, DeliveryResult::delivered, kNow + 1s, 0.0));
  ready = box.next_ready(kNow + 1s);
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].event.kind == NotificationKind::update);
  require_ok(box.finish(ready[0].id, DeliveryResult::permanent_failure, kNow + 1s, 0.0));
  ready = box.next_ready(kNow + 1s);
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].event.kind == NotificationKind::resolve);
  require_ok(box.finish(ready[0].id, DeliveryResult::delivered, kNow + 1s, 0.0));
  CHECK(box.next_ready(kNow + 1h).empty());
  CHECK_FALSE(box.next_due().has_value());
  CHECK(box.pending_count("oncall") == 0);
}

TEST_CASE("outbox: queues do not hold each other up") {
  synthprobe::testing::TempDir tmp;
  Outbox box(tmp.path());
  std::vector<OutboxEntry> events{entry("oncall", "shop-1", NotificationKind::open, 1),
                                  entry("oncall", "shop-1", NotificationKind::resolve, 2),
                                  entry("chat", "shop-1", NotificationKind::open, 1),
                                  entry("oncall", "blog-1", NotificationKind::open, 1),
                                  entry("am", "shop-1", NotificationKind::open, 1, "http://am-1:9093"),
                                  entry("am", "shop-1", NotificationKind::open, 1, "http://am-2:9093"),
                                  entry("am", "shop-1", NotificationKind::resolve, 2, "http://am-1:9093"),
                                  entry("am", "shop-1", NotificationKind::resolve, 2, "http://am-2:9093")};
  require_ok(box.append(events));
  CHECK(box.pending_count("am") == 4);

  // oncall/shop-1 and am-1 keep failing: everyone else goes on, in order.
  auto ready = box.next_ready(kNow);
  REQUIRE(ready.size() == 5);
  for (const auto& e : ready) {
    CHECK(e.event.kind == NotificationKind::open);
    const bool failing = (e.notifier == "oncall" && e.incident_id == "shop-1") || e.target == "http://am-1:9093";
    require_ok(box.finish(e.id, failing ? DeliveryResult::retry : DeliveryResult::delivered, kNow, 0.5));
  }
  ready = box.next_ready(kNow);
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].notifier == "am");
  CHECK(ready[0].target == "http://am-2:9093");
  CHECK(ready[0].event.kind == NotificationKind::resolve);
  require_ok(box.finish(ready[0].id, DeliveryResult::delivered, kNow, 0.5));

  // The failing heads come back after their backoff, still before their resolves.
  ready = box.next_ready(kNow + 1s);
  REQUIRE(ready.size() == 2);
  for (const auto& e : ready) CHECK(e.event.kind == NotificationKind::open);
  CHECK(box.pending_count("oncall") == 2);
  CHECK(box.pending_count("chat") == 0);
  CHECK(box.pending_count("am") == 2);
}

TEST_CASE("outbox: attempts and the next attempt survive a restart") {
  synthprobe::testing::TempDir tmp;
  OutboxEntry e = entry("oncall", "shop-1", NotificationKind::open, 1);
  {
    Outbox box(tmp.path());
    require_ok(box.append(e));
    require_ok(box.finish(e.id, DeliveryResult::retry, kNow, 0.0));
    require_ok(box.finish(e.id, DeliveryResult::retry, kNow, 1.0));
  }
  Outbox again(tmp.path());
  auto load = again.load();
  REQUIRE(load.pending.size() == 1);
  CHECK(load.pending[0].attempts == 2);
  CHECK(load.pending[0].next_attempt_at == kNow + 2s);
  CHECK(again.next_ready(kNow + 1s).empty());
  CHECK(again.next_ready(kNow + 2s).size() == 1);
}

TEST_CASE("outbox: compact keeps the pending events only, and a second load agrees") {
  synthprobe::testing::TempDir tmp;
  Outbox box(tmp.path(), {.compact_after = 0});
  std::vector<OutboxEntry> events;
  for (int i = 0; i < 20; ++i)
    events.push_back(entry("oncall", "site-" + std::to_string(i), NotificationKind::open, 1));
  require_ok(box.append(events));
  for (int i = 0; i < 20; ++i) {
    if (i % 4 == 0) require_ok(box.finish(events[i].id, DeliveryResult::retry, kNow, 0.0));
    else if (i % 4 != 1) require_ok(box.mark_done(events[i].id, DeliveryResult::delivered));
  }
  const auto before = box.pending();
  REQUIRE(before.size() == 10);
  CHECK(box.needs_compaction() == false);  // compact_after = 0: only when asked
  require_ok(box.compact());
  CHECK(line_count(box.file()) == 10);
  CHECK_FALSE(std::filesystem::exists(box.file().string() + ".tmp"));
  CHECK(event_ids(box.pending()) == event_ids(before));

  Outbox again(tmp.path());
  auto load = again.load();
  REQUIRE(load.status.ok());
  CHECK(event_ids(load.pending) == event_ids(before));
  for (std::size_t i = 0; i < before.size(); ++i) {
    CHECK(load.pending[i].id == before[i].id);
    CHECK(load.pending[i].attempts == before[i].attempts);
    CHECK(load.pending[i].next_attempt_at == before[i].next_attempt_at);
  }

  // Appends after a compaction go to the new file.
  OutboxEntry late = entry("oncall", "late", NotificationKind::open, 1);
  require_ok(box.append(late));
  CHECK(late.id > before.back().id);
  CHECK(Outbox(tmp.path()).load().pending.size() == 11);
}

TEST_CASE("outbox: compacts by itself once done records pile up") {
  synthprobe::testing::TempDir tmp;
  Outbox box(tmp.path(), {.compact_after = 8});
  OutboxEntry keep = entry("oncall", "keep", NotificationKind::open, 1);
  require_ok(box.append(keep));
  for (int i = 0; i < 6; ++i) {
    OutboxEntry e = entry("oncall", "gone-" + std::to_string(i), NotificationKind::open, 1);
    require_ok(box.append(e));
    require_ok(box.mark_done(e.id, DeliveryResult::delivered));
  }
  CHECK(line_count(box.file()) < 13);
  CHECK_FALSE(box.needs_compaction());
  CHECK(event_ids(Outbox(tmp.path()).load().pending) == std::vector<std::string>{"oncall/keep/1"});
}

TEST_CASE("outbox: a torn last line is dropped and reported, everything before it kept") {
  synthprobe::testing::TempDir tmp;
  OutboxEntry a = entry("oncall", "shop-1", NotificationKind::open, 1);
  OutboxEntry b = entry("oncall", "shop-1", NotificationKind::update, 2);
  {
    Outbox box(tmp.path());
    require_ok(box.append(a));
    require_ok(box.append(b));
  }
  append_raw(tmp.path() / "outbox.jsonl", R"({"op":"event","id":3,"notifier":"oncall","tar)");

  Outbox box(tmp.path());
  auto load = box.load();
  REQUIRE(load.status.ok());
  CHECK(load.torn_tail);
  CHECK(load.bad_lines == 0);
  REQUIRE(load.warnings.size() == 1);
  CHECK(load.warnings[0].find("incomplete last line") != std::string::npos);
  CHECK(event_ids(load.pending) == std::vector<std::string>{"oncall/shop-1/1", "oncall/shop-1/2"});

  // The torn bytes are gone: the next event is a line of its own.
  OutboxEntry c = entry("oncall", "shop-1", NotificationKind::resolve, 3);
  require_ok(box.append(c));
  auto reload = Outbox(tmp.path()).load();
  CHECK_FALSE(reload.torn_tail);
  CHECK(reload.bad_lines == 0);
  CHECK(event_ids(reload.pending) ==
        std::vector<std::string>{"oncall/shop-1/1", "oncall/shop-1/2", "oncall/shop-1/3"});
}

TEST_CASE("outbox: an unreadable line in the middle is skipped and reported") {
  synthprobe::testing::TempDir tmp;
  OutboxEntry a = entry("oncall", "shop-1", NotificationKind::open, 1);
  OutboxEntry b = entry("oncall", "blog-1", NotificationKind::open, 1);
  {
    Outbox box(tmp.path());
    require_ok(box.append(a));
  }
  append_raw(tmp.path() / "outbox.jsonl", "not json\n{\"op\":\"mystery\"}\n");
  {
    Outbox box(tmp.path());
    require_ok(box.append(b));
  }
  auto load = Outbox(tmp.path()).load();
  REQUIRE(load.status.ok());
  CHECK(load.bad_lines == 2);
  CHECK_FALSE(load.torn_tail);
  CHECK(event_ids(load.pending) == std::vector<std::string>{"oncall/shop-1/1", "oncall/blog-1/1"});
}

TEST_CASE("outbox: disk errors are values; the events stay queued in memory") {
  synthprobe::testing::TempDir tmp;
  // A regular file where the outbox directory should be.
  const auto dir = std::filesystem::path(tmp.write("outbox", "in the way"));
  Outbox box(dir);
  OutboxEntry e = entry("oncall", "shop-1", NotificationKind::open, 1);
  synthprobe::OutboxStatus s = box.append(e);
  CHECK_FALSE(s.ok());
  CHECK(s.error().find("memory only") != std::string::npos);
  CHECK(box.pending_count("oncall") == 1);
  CHECK(box.next_ready(kNow).size() == 1);
  CHECK_FALSE(box.mark_done(e.id, DeliveryResult::delivered).ok());
  CHECK(box.pending_count("oncall") == 0);

  SUBCASE("an unreadable outbox file is reported and left alone") {
    synthprobe::testing::TempDir other;
    std::filesystem::create_directories(other.path() / "outbox.jsonl");  // a directory: read fails
    Outbox unreadable(other.path());
    auto load = unreadable.load();
    CHECK_FALSE(load.status.ok());
    CHECK(load.status.error().find("outbox.jsonl") != std::string::npos);
    CHECK_FALSE(unreadable.compact().ok());
    OutboxEntry f = entry("oncall", "shop-1", NotificationKind::open, 1);
    CHECK_FALSE(unreadable.append(f).ok());
    CHECK(std::filesystem::is_directory(other.path() / "outbox.jsonl"));
  }
}
