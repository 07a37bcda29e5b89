// Drills, the pure parts: the drill incident (its own id and dedup key, [DRILL], drill: true), what each
// notifier type sends for it, the delivery report (per notifier, per event, Alertmanager's targets,
// retries, refusals, expiry), its JSON round trip through the store, the API's request body, and the
// table `synthprobe drill` prints.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "common/json_format.h"
#include "exporters/notify/drill_report.h"
#include "exporters/notify/drill_review.h"
#include "exporters/notify/notification_payloads.h"
#include "probe/cli/drill_command.h"
#include "probe/daemon/drill_runner.h"
#include "probe/incidents/drill.h"
#include "probe/incidents/incident_report.h"

using namespace synthprobe;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const Timestamp kStart = std::chrono::sys_days{std::chrono::year{2026} / 12 / 2} + 9h;

config::Site shop() {
  config::Site s;
  s.name = "shop";
  s.labels = {{"team", "web"}};
  s.team.commander = config::TeamMember{"Ana", "oncall"};
  return s;
}

Incident drill(config::Severity severity = config::Severity::P1) {
  return make_drill_incident(shop(), {"probe-a", "eu", ""}, severity, 120s, kStart);
}

config::Notifier notifier(const std::string& type) {
  config::Notifier n;
  n.name = type;
  n.type = type;
  n.url = "http://127.0.0.1:9/" + type;
  n.urls = {"http://127.0.0.1:9/am1", "http://127.0.0.1:9/am2"};
  n.routing_key = "rk";
  n.api_key = "key";
  return n;
}

NotificationEvent event_for(const Incident& in, NotificationKind kind) {
  NotificationEvent e;
  e.kind = kind;
  e.sequence = 1;
  e.event_id = in.id + "/x/1";
  e.incident = to_json(in);
  return e;
}

}  // namespace

TEST_CASE("the drill incident: its own id and dedup key, labelled, carrying the site's labels and team") {
  const Incident in = drill();
  CHECK(in.id == "drill-shop-eu-20261202T090000Z");
  CHECK(in.dedup_key == "synthprobe-drill/shop/eu");
  CHECK(in.dedup_key != incident_dedup_key("shop", "eu"));  // never folded into a real page of the site
  CHECK(in.drill);
  CHECK(in.summary.starts_with("[DRILL] shop: test incident (P1)"));
  CHECK(in.summary.find("resolves in 2m") != std::string::npos);
  CHECK(in.extent == Extent::full);
  CHECK(drill(config::Severity::P2).extent == Extent::partial);
  CHECK(drill(config::Severity::P3).extent == Extent::degraded);
  CHECK(in.labels.at("team") == "web");
  REQUIRE(in.team.commander.has_value());
  CHECK(in.team.commander->notifier == "oncall");
  CHECK(!in.resolved_at);

  const Incident done = resolve_drill_incident(in, kStart + 120s);
  CHECK(done.resolved_at == kStart + 120s);
  CHECK(done.timeline.back().event == TimelineEvent::resolved);

  // drill survives the JSON the store and the notifiers read; a real incident says false.
  const json::object o = to_json(done);
  CHECK(o.at("drill") == true);
  auto back = incident_from_json(o);
  REQUIRE(back);
  CHECK(back->drill);
  Incident real = in;
  real.drill = false;
  CHECK(to_json(real).at("drill") == false);
  json::object bad = o;
  bad["drill"] = "yes";
  CHECK_FALSE(incident_from_json(bad).has_value());

  CHECK(render_review_markdown(done).find("**This was a drill**") != std::string::npos);
  CHECK(render_review_markdown(real).find("This was a drill") == std::string::npos);
}

TEST_CASE("what each notifier type sends for a drill is marked as one") {
  const Incident in = drill();
  const auto now = kStart + 1s;
  for (const std::string type : {"pagerduty", "opsgenie", "webhook", "slack", "alertmanager"}) {
    CAPTURE(type);
    const BuiltRequests built = build_requests(notifier(type), event_for(in, NotificationKind::open), now);
    REQUIRE(built.ok());
    CHECK(built.requests.front().body.find("[DRILL]") != std::string::npos);
  }
  const auto am = build_requests(notifier("alertmanager"), event_for(in, NotificationKind::open), now);
  const json::value alerts = json::parse(am.requests.front().body);
  CHECK(alerts.at(0).at("labels").at("drill") == "true");  // routes can send drills to a test receiver
  CHECK(alerts.at(0).at("labels").at("site") == "shop");
  const auto hook = build_requests(notifier("webhook"), event_for(in, NotificationKind::open), now);
  CHECK(json::parse(hook.requests.front().body).at("incident").at("drill") == true);
  const auto pd = build_requests(notifier("pagerduty"), event_for(in, NotificationKind::open), now);
  CHECK(json::parse(pd.requests.front().body).at("dedup_key") == "synthprobe-drill/shop/eu");

  Incident real = in;
  real.drill = false;
  const auto am_real = build_requests(notifier("alertmanager"), event_for(real, NotificationKind::open), now);
  CHECK_FALSE(json::parse(am_real.requests.front().body).at(0).at("labels").as_object().contains("drill"));
}

TEST_CASE("the delivery report: each notifier's open and resolve, with how long each took") {
  DrillReport r;
  r.incident = drill();
  r.resolves_at = kStart + 120s;
  r.wait_until = kStart + 240s;
  r.opened({{"pd", 1}, {"am", 2}, {"chat", 1}}, kStart);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.all_answered());

  r.delivery("pd", "", NotificationKind::open, DeliveryResult::delivered, "", kStart + 250ms);
  // Alertmanager: delivered when both targets took it; a re-send to the same target does not count twice.
  r.delivery("am", "http://a", NotificationKind::open, DeliveryResult::delivered, "", kStart + 100ms);
  r.delivery("am", "http://a", NotificationKind::open, DeliveryResult::delivered, "", kStart + 60s);
  CHECK(r.deliveries[1].open.result() == "pending");
  r.delivery("am", "http://b", NotificationKind::open, DeliveryResult::retry, "HTTP 503: busy", kStart + 1s);
  CHECK(r.deliveries[1].open.detail == "HTTP 503: busy");
  r.delivery("am", "http://b", NotificationKind::open, DeliveryResult::delivered, "", kStart + 3s);
  CHECK(r.deliveries[1].open.ok());
  CHECK(*r.deliveries[1].open.seconds == doctest::Approx(3.0));
  r.delivery("chat", "", NotificationKind::open, DeliveryResult::permanent_failure, "HTTP 400: invalid_token", kStart + 1s);
  CHECK(r.deliveries[2].open.result() == "failed");
  CHECK(*r.deliveries[0].open.seconds == doctest::Approx(0.25));
  CHECK(r.deliveries[0].resolve.result() == "not_sent");

  r.incident = resolve_drill_incident(r.incident, kStart + 120s);
  r.resolved({{"pd", 1}, {"am", 2}, {"chat", 1}}, kStart + 120s);
  CHECK(r.deliveries[0].resolve.result() == "pending");
  r.delivery("pd", "", NotificationKind::resolve, DeliveryResult::delivered, "", kStart + 121s);
  r.delivery("am", "http://a", NotificationKind::resolve, DeliveryResult::delivered, "", kStart + 121s);
  CHECK_FALSE(r.all_answered());
  r.delivery("am", "http://b", NotificationKind::resolve, DeliveryResult::expired, "too old", kStart + 122s);
  CHECK(r.all_answered());  // chat's open failed for good: its resolve is not waited for
  CHECK_FALSE(r.ok());
  CHECK(r.deliveries[1].resolve.result() == "expired");

  // Through the store's JSON and back.
  const json::object o = to_json(r);
  CHECK(o.at("ok") == false);
  CHECK(o.at("deliveries").at(0).at("open").at("result") == "delivered");
  const auto back = drill_report_from_json(json::parse(serialize_json(o)));
  REQUIRE(back);
  CHECK(serialize_json(to_json(*back)) == serialize_json(o));
  json::object damaged = o;
  damaged["deliveries"].as_array()[0].as_object()["open"].as_object()["delivered"] = 7;  // more than its targets
  CHECK_FALSE(drill_report_from_json(damaged).has_value());
  damaged = o;
  damaged["incident"].as_object()["drill"] = false;  // a real incident is never read as a drill
  CHECK_FALSE(drill_report_from_json(damaged).has_value());

  // The table synthprobe drill prints.
  const std::string table = render_drill_report(o);
  INFO(table);
  CHECK(table.find("pd        delivered in 250 ms              delivered in 1s") != std::string::npos);
  CHECK(table.find("failed: HTTP 400: invalid_token") != std::string::npos);
  CHECK(table.find("expired: too old") != std::string::npos);
  CHECK(table.find("FAILED: 1 of 3 notifiers got the open and the resolve") != std::string::npos);
}

TEST_CASE("a drill every notifier delivered is ok; one nobody receives is not") {
  DrillReport r;
  r.incident = resolve_drill_incident(drill(), kStart + 1s);
  CHECK_FALSE(r.ok());  // nothing was tested
  r.opened({{"pd", 1}}, kStart);
  r.resolved({{"pd", 1}}, kStart + 1s);
  r.delivery("pd", "", NotificationKind::open, DeliveryResult::delivered, "", kStart);
  r.delivery("pd", "", NotificationKind::update, DeliveryResult::permanent_failure, "ignored", kStart);
  r.delivery("pd", "", NotificationKind::resolve, DeliveryResult::delivered, "", kStart + 2s);
  CHECK(r.ok());
  CHECK(render_drill_report(to_json(r)).find("ok: 1 of 1 notifiers") != std::string::npos);
}

TEST_CASE("a notifier a reload removed before the resolve: noted, not waited for") {
  DrillReport r;
  r.incident = drill();
  r.opened({{"pd", 1}, {"old", 1}}, kStart);
  r.delivery("pd", "", NotificationKind::open, DeliveryResult::delivered, "", kStart);
  r.delivery("old", "", NotificationKind::open, DeliveryResult::delivered, "", kStart);
  r.incident = resolve_drill_incident(r.incident, kStart + 60s);
  r.resolved({{"pd", 1}}, kStart + 60s);
  CHECK(r.deliveries[1].resolve.result() == "failed");
  CHECK(r.deliveries[1].resolve.detail.find("left the config") != std::string::npos);
  r.delivery("pd", "", NotificationKind::resolve, DeliveryResult::delivered, "", kStart + 61s);
  CHECK(r.all_answered());
  CHECK_FALSE(r.ok());
}

TEST_CASE("the drill's review draft: marked as a drill, what each notifier got, the verdict, blanks for the team") {
  DrillReport r;
  r.incident = drill();
  r.resolves_at = kStart + 120s;
  r.wait_until = kStart + 240s;
  r.opened({{"pd", 1}, {"chat", 1}}, kStart);
  r.delivery("pd", "", NotificationKind::open, DeliveryResult::delivered, "", kStart + 250ms);
  r.delivery("chat", "", NotificationKind::open, DeliveryResult::permanent_failure, "HTTP 400: bad | token", kStart + 1s);
  const std::string running = render_drill_review_markdown(r);
  CHECK(running.find("**Still running:** 0 of 2 notifiers") != std::string::npos);
  CHECK(running.find("| pd | delivered in 250 ms | not sent |") != std::string::npos);

  r.incident = resolve_drill_incident(r.incident, kStart + 120s);
  r.resolved({{"pd", 1}, {"chat", 1}}, kStart + 120s);
  r.delivery("pd", "", NotificationKind::resolve, DeliveryResult::delivered, "", kStart + 121s);
  r.finished = true;
  const std::string md = render_drill_review_markdown(r);
  INFO(md);
  CHECK(md.starts_with("# Drill review: [DRILL] shop: test incident (P1)"));
  CHECK(md.find("**This was a drill**") != std::string::npos);
  CHECK(md.find("| Incident commander | Ana | oncall |") != std::string::npos);  // the team, from the site
  CHECK(md.find("| pd | delivered in 250 ms | delivered in 1s |") != std::string::npos);
  CHECK(md.find("| chat | failed: HTTP 400: bad \\| token | ") != std::string::npos);  // a '|' cannot break the table
  CHECK(md.find("**Failed:** 1 of 2 notifiers got the open and the resolve.") != std::string::npos);
  // Deliveries before what people write; no root cause or customer impact for a test.
  CHECK(md.find("## Deliveries") < md.find("## What the drill showed"));
  CHECK(md.find("## What the drill showed") < md.find("## Action items"));
  CHECK(md.find("## Root cause") == std::string::npos);
  CHECK(md.find("## Impact on customers") == std::string::npos);

  r.deliveries[1].open.failed = false;
  r.deliveries[1].open.delivered = 1;
  r.deliveries[1].resolve.delivered = 1;
  CHECK(render_drill_review_markdown(r).find("**Passed:** 2 of 2 notifiers") != std::string::npos);

  DrillReport nobody;
  nobody.incident = resolve_drill_incident(drill(), kStart);
  nobody.finished = true;
  nobody.note = "no notifier receives a P1 of site \"shop\": nothing was tested";
  const std::string empty = render_drill_review_markdown(nobody);
  CHECK(empty.find("No notifier would receive this drill") != std::string::npos);
  CHECK(empty.find("**Failed:** 0 of 0 notifiers") != std::string::npos);
}

TEST_CASE("POST /api/drills: the body, with clear errors") {
  std::string why;
  auto r = parse_drill_request(R"({"site":"shop"})", why);
  REQUIRE(r);
  CHECK(r->severity == config::Severity::P1);
  CHECK(r->duration == 60s);
  CHECK(r->wait == 120s);
  r = parse_drill_request(R"({"site":"shop","severity":"P3","duration":"90s","wait":"10s"})", why);
  REQUIRE(r);
  CHECK(r->severity == config::Severity::P3);
  CHECK(r->duration == 90s);
  CHECK(r->wait == 10s);
  const std::pair<const char*, const char*> bad[] = {
      {"not json", "send JSON"},
      {R"({})", "\"site\" is required"},
      {R"({"site":""})", "\"site\" is required"},
      {R"({"site":"shop","severity":"P0"})", "P1, P2 or P3"},
      {R"({"site":"shop","duration":"2h"})", "from 1s to 1h"},
      {R"({"site":"shop","duration":"0s"})", "from 1s to 1h"},
      {R"({"site":"shop","wait":"soon"})", "\"wait\" must be a duration"},
      {R"({"site":"shop","duration":60})", "\"duration\" must be a string"},
      {R"({"site":"shop","colour":"red"})", "unknown field \"colour\""},
  };
  for (const auto& [body, message] : bad) {
    CAPTURE(body);
    why.clear();
    CHECK_FALSE(parse_drill_request(body, why).has_value());
    CHECK(why.find(message) != std::string::npos);
  }
}
