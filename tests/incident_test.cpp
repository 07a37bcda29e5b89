#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "probe/incidents/incident.h"
#include "probe/incidents/incident_report.h"
#include "common/time_format.h"
#include "probe/incidents/incident_tracker.h"
#include "probe/engine/result_json.h"
#include "probe/health/site_counts.h"
#include "probe/health/site_severity.h"

using namespace synthprobe;
using config::Severity;
namespace json = boost::json;

namespace {

Timestamp at(const char* text) {
  auto t = parse_rfc3339(text);
  REQUIRE(t.has_value());
  return *t;
}

CheckHealth check(std::string name, CheckState state, Severity severity = Severity::P3,
                  std::optional<Reason> reason = std::nullopt, long status = 0, std::string area = "") {
  CheckHealth c;
  c.area = area.empty() ? name : area;
  c.name = std::move(name);
  c.severity = severity;
  c.state = state;
  c.reason = reason;
  c.status_code = status;
  if (reason == Reason::status) c.message = "status " + std::to_string(status) + " not in [2xx]";
  if (reason == Reason::connect) c.message = "connection refused";
  if (reason == Reason::timeout) c.message = "timed out after 10s";
  return c;
}

CheckHealth up(std::string name, Severity severity = Severity::P3) {
  return check(std::move(name), CheckState::up, severity);
}
CheckHealth down(std::string name, Severity severity = Severity::P3, Reason reason = Reason::connect, long status = 0) {
  return check(std::move(name), CheckState::down, severity, reason, status);
}
CheckHealth slow(std::string name) {
  auto c = check(std::move(name), CheckState::degraded);
  c.degraded = true;
  return c;
}

SiteAssessment site(std::vector<CheckHealth> checks) { return assess("shop", checks); }

std::vector<std::string> keys_of(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

std::vector<std::string> events_of(const Incident& in) {
  std::vector<std::string> out;
  for (const auto& e : in.timeline) out.push_back(std::string(to_string(e.event)) + " " + e.detail);
  return out;
}

IncidentContext shop_context() { return {"shop", "eu-west-1a", "eu-west", {{"team", "web"}}}; }

// The four checks of the sequence test: checkout (P2) plus three P3 checks.
struct Shop {
  CheckHealth storefront = up("storefront");
  CheckHealth search = up("search");
  CheckHealth checkout = up("checkout", Severity::P2);
  CheckHealth api = up("api");
  SiteAssessment assess() const { return site({storefront, search, checkout, api}); }
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Severity and extent (contract section 7)

TEST_CASE("all up: no severity, clean") {
  const auto a = site({up("storefront"), up("checkout")});
  CHECK_FALSE(a.severity.has_value());
  CHECK(a.clean);
  CHECK(a.summary == "shop: up");
  CHECK(a.hint.empty());
  CHECK(a.first_problem.empty());
}

TEST_CASE("unknown checks (not yet run) are neither a problem nor down") {
  const auto a = site({check("storefront", CheckState::unknown), up("checkout")});
  CHECK_FALSE(a.severity.has_value());
  CHECK(a.clean);
}

TEST_CASE("failing (not yet down) is no severity, but the site is no longer clean") {
  auto failing = check("checkout", CheckState::failing, Severity::P1, Reason::status, 503);
  const auto a = site({up("storefront"), failing});
  CHECK_FALSE(a.severity.has_value());
  CHECK_FALSE(a.clean);
  CHECK(a.failing == 1);
  CHECK(a.first_problem == "checkout: status 503 not in [2xx]");
}

TEST_CASE("N = 1: its only check down is P3 full unless configured higher") {
  auto a = site({down("home")});
  REQUIRE(a.severity.has_value());
  CHECK(*a.severity == Severity::P3);  // N >= 2 is required for the "all down" P1 and the 2·D >= N P2
  CHECK(a.extent == Extent::full);
  CHECK(a.summary == "shop: home down (connect)");

  a = site({down("home", Severity::P2)});
  CHECK(*a.severity == Severity::P2);
  a = site({down("home", Severity::P1)});
  CHECK(*a.severity == Severity::P1);
  CHECK(a.extent == Extent::full);
}

TEST_CASE("P1: N >= 2 and every check down") {
  const auto a = site({down("storefront"), down("checkout")});
  CHECK(*a.severity == Severity::P1);
  CHECK(a.extent == Extent::full);
  CHECK(a.down == 2);
  CHECK(a.checks == 2);
  CHECK(a.summary == "shop: all 2 checks down (connect)");
}

TEST_CASE("P1: a P1 check down alone among many") {
  const auto a = site({up("storefront"), up("search"), up("api"), down("checkout", Severity::P1)});
  CHECK(*a.severity == Severity::P1);
  CHECK(a.extent == Extent::partial);
  CHECK(a.areas == std::vector<std::string>{"checkout"});
}

TEST_CASE("P2: a P2 check down alone") {
  const auto a = site({up("storefront"), up("search"), up("api"), down("checkout", Severity::P2, Reason::status, 503)});
  CHECK(*a.severity == Severity::P2);
  CHECK(a.extent == Extent::partial);
  CHECK(a.summary == "shop: checkout down (status 503)");
}

TEST_CASE("P2: half or more of the checks down (2·D >= N), P3 below half") {
  CHECK(*site({down("a"), down("b"), up("c"), up("d")}).severity == Severity::P2);  // 2·2 >= 4
  CHECK(*site({down("a"), up("b"), up("c"), up("d")}).severity == Severity::P3);    // 2·1 < 4
  CHECK(*site({down("a"), down("b"), up("c")}).severity == Severity::P2);           // 2·2 >= 3
  CHECK(*site({down("a"), up("b"), up("c")}).severity == Severity::P3);             // 2·1 < 3
  CHECK(*site({down("a"), up("b")}).severity == Severity::P2);                      // 2·1 >= 2
}

TEST_CASE("the highest rule wins: a P3-configured check down with a P1 one is P1") {
  CHECK(*site({down("a", Severity::P3), down("b", Severity::P1), up("c"), up("d"), up("e")}).severity ==
        Severity::P1);
  CHECK(*site({down("a", Severity::P2), up("b"), up("c")}).severity == Severity::P2);
}

TEST_CASE("degraded only: P3, extent degraded, the slow areas") {
  const auto a = site({up("checkout"), slow("storefront")});
  REQUIRE(a.severity.has_value());
  CHECK(*a.severity == Severity::P3);
  CHECK(a.extent == Extent::degraded);
  CHECK(a.areas == std::vector<std::string>{"storefront"});
  CHECK(a.summary == "shop: storefront slow (degraded)");
  CHECK(a.hint == "storefront passing but slow - capacity or a slow dependency");
  REQUIRE(a.failing_checks.size() == 1);
  CHECK_FALSE(a.failing_checks[0].reason.has_value());
}

TEST_CASE("partial: areas down are sorted and unique; degraded ones are named in the summary") {
  auto c1 = check("cart-add", CheckState::down, Severity::P3, Reason::timeout, 0, "checkout");
  auto c2 = check("cart-pay", CheckState::down, Severity::P3, Reason::timeout, 0, "checkout");
  auto c3 = check("autocomplete", CheckState::down, Severity::P3, Reason::timeout, 0, "search");
  const auto a = site({c2, c3, c1, up("home"), up("about"), up("api"), up("blog"), slow("images")});
  CHECK(*a.severity == Severity::P3);  // 2·3 < 8
  CHECK(a.extent == Extent::partial);
  CHECK(a.areas == std::vector<std::string>{"checkout", "search"});
  CHECK(a.summary == "shop: checkout, search down (timeout); images slow");
  REQUIRE(a.failing_checks.size() == 4);  // down first, then degraded
  CHECK(a.failing_checks[0].name == "cart-pay");
  CHECK(a.failing_checks[3].name == "images");
}

TEST_CASE("summary lists distinct reasons, the most common first") {
  const auto a = site({down("a", Severity::P3, Reason::timeout), down("b", Severity::P3, Reason::connect),
                       down("c", Severity::P3, Reason::connect), down("d", Severity::P3, Reason::connect)});
  CHECK(a.summary == "shop: all 4 checks down (connect, timeout)");
}

TEST_CASE("triage hints read the reason breakdown") {
  SUBCASE("3 of 4 connect: the server") {
    const auto a = site({down("a"), down("b"), down("c"), up("d")});
    CHECK(a.hint == "3 of 4 checks: connect - server or load balancer down");
  }
  SUBCASE("all connect: the server or load balancer") {
    const auto a = site({down("a"), down("b"), down("c"), down("d")});
    CHECK(a.summary == "shop: all 4 checks down (connect)");
    CHECK(a.hint == "all 4 checks: connect - server or load balancer down");
  }
  SUBCASE("5xx on one area: an application fault") {
    const auto a = site({up("storefront"), up("search"), down("checkout", Severity::P2, Reason::status, 503)});
    CHECK(a.hint == "5xx on checkout only - application fault");
  }
  SUBCASE("5xx everywhere: the application or a shared backend") {
    const auto a = site({down("a", Severity::P3, Reason::status, 500), down("b", Severity::P3, Reason::status, 502)});
    CHECK(a.hint == "all 2 checks: 5xx - application or shared backend failing");
  }
  SUBCASE("mixed reasons name the others") {
    const auto a = site({down("a"), down("b"), down("c", Severity::P3, Reason::timeout), up("d")});
    CHECK(a.hint == "2 of 4 checks: connect (also 1 timeout) - server or load balancer down");
  }
  SUBCASE("dns") {
    const auto a = site({down("a", Severity::P3, Reason::dns), up("b")});
    CHECK(a.hint == "1 of 2 checks: dns - name not resolving (DNS record or provider)");
  }
}

// ---------------------------------------------------------------------------------------------------------
// The incident record

TEST_CASE("id and dedup key") {
  CHECK(incident_id("shop", "eu-west", at("2026-11-27T10:15:00Z")) == "shop-eu-west-20261127T101500Z");
  CHECK(incident_id("shop", "eu-west", at("2026-01-02T03:04:05.999Z")) == "shop-eu-west-20260102T030405Z");
  CHECK(incident_dedup_key("shop", "eu-west") == "synthprobe/shop/eu-west");
  // Replicas splitting a site's checks page apart: one's resolve never closes another's page.
  CHECK(incident_dedup_key("shop", "eu-west", "2/5") == "synthprobe/shop/eu-west/shard-2-of-5");
}

TEST_CASE("RFC 3339: whole seconds as in the contract, milliseconds only when present, offsets read") {
  CHECK(format_rfc3339(at("2026-11-27T10:15:00Z")) == "2026-11-27T10:15:00Z");
  CHECK(format_rfc3339(at("2026-11-27T10:15:00.25Z")) == "2026-11-27T10:15:00.250Z");
  CHECK(at("2026-11-27T12:15:00+02:00") == at("2026-11-27T10:15:00Z"));
  CHECK(format_rfc3339(at("1969-12-31T23:59:59.5Z")) == "1969-12-31T23:59:59.500Z");
  CHECK_FALSE(parse_rfc3339("2026-11-27 10:15").has_value());
  CHECK_FALSE(parse_rfc3339("2026-02-30T10:15:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2026-11-27T10:15:00").has_value());  // no zone: ambiguous
  CHECK(seconds_between(at("2026-11-27T10:14:50Z"), at("2026-11-27T10:15:00Z")) == 10.0);
}

// Found by fuzzing (tests/fuzz/corpus/incident/far_year.json, incident_tracker/far_year.json,
// outbox_event/far_year.json, config_loader/maintenance_far_year.toml): a year past 2262 or before 1678
// overflowed the nanosecond Timestamp (undefined behaviour), from a damaged state file or a config.
TEST_CASE("RFC 3339: instants outside the years 1900 to 2100 are refused") {
  CHECK_FALSE(parse_rfc3339("3026-11-27T10:14:50Z").has_value());
  CHECK_FALSE(parse_rfc3339("1013-11-27T10:14:50Z").has_value());
  CHECK_FALSE(parse_rfc3339("9999-12-31T23:59:59.999Z").has_value());
  CHECK_FALSE(parse_rfc3339("0000-01-01T00:00:00Z").has_value());
  CHECK(format_rfc3339(at("1900-01-01T00:00:00Z")) == "1900-01-01T00:00:00Z");
  CHECK(format_rfc3339(at("2100-12-31T23:59:59.999Z")) == "2100-12-31T23:59:59.999Z");
  CHECK_FALSE(parse_rfc3339("2100-12-31T23:00:00-02:00").has_value());  // 2101 in UTC
  CHECK_FALSE(parse_rfc3339("1900-01-01T01:00:00+02:00").has_value());  // 1899 in UTC
  // So the difference of any two fits.
  CHECK(seconds_between(at("1900-01-01T00:00:00Z"), at("2100-12-31T23:59:59Z")) == 6'342'969'599.0);
}

TEST_CASE("durations read like a person writes them") {
  using std::chrono::milliseconds;
  CHECK(format_duration(milliseconds(1200)) == "1.2s");
  CHECK(format_duration(milliseconds(10000)) == "10s");
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(milliseconds(750'000)) == "12m 30s");
  CHECK(format_duration(milliseconds(3'900'000)) == "1h 5m");
  CHECK(format_duration(milliseconds(59'990)) == "1m");
  // Found by fuzzing (tests/fuzz/corpus/duration/int64_min, near_int64_max): rounding and negating
  // overflowed at the ends of the range.
  CHECK(format_duration(milliseconds::max()) == "2562047788015h 12m 56s");
  CHECK(format_duration(milliseconds::min()) == "-2562047788015h 12m 56s");
  CHECK(format_duration(milliseconds(-1200)) == "-1.2s");
}

namespace {
// The contract's example incident, field for field.
Incident contract_example() {
  Incident in;
  in.id = "shop-eu-west-20261127T101500Z";
  in.site = "shop";
  in.dedup_key = "synthprobe/shop/eu-west";
  in.probe = "eu-west-1a";
  in.region = "eu-west";
  in.labels = {{"team", "web"}};
  in.severity = Severity::P2;
  in.extent = Extent::partial;
  in.areas = {"checkout"};
  in.summary = "shop: checkout down (status 503)";
  in.first_failure_at = at("2026-11-27T10:14:50Z");
  in.opened_at = at("2026-11-27T10:15:00Z");
  FailingCheck c;
  c.name = "checkout";
  c.area = "checkout";
  c.reason = Reason::status;
  c.message = "status 503 not in [2xx]";
  c.status_code = 503;
  c.phases = Phases{0.0, 0.0002, 0.0, 0.004, 0.0};
  in.failing_checks = {c};
  in.timeline = {{at("2026-11-27T10:14:50Z"), TimelineEvent::first_failure, "checkout: status 503"},
                 {at("2026-11-27T10:15:00Z"), TimelineEvent::opened, "P2 partial: checkout"}};
  return in;
}
}  // namespace

TEST_CASE("JSON: the contract's field names, order and rendering") {
  const auto o = to_json(contract_example());
  CHECK(keys_of(o) == std::vector<std::string>{"id", "site", "dedup_key", "probe", "region", "labels", "severity",
                                               "extent", "areas", "summary", "first_failure_at", "opened_at",
                                               "resolved_at", "time_to_detect_seconds", "failing_checks",
                                               "timeline", "failing_checks_omitted", "probe_saturated",
                                               "probe_blind_seconds", "recovery_watch_until", "relapses",
                                               "customer_update_due", "customer_updates", "comms_overdue", "team", "drill"});
  CHECK(keys_of(o.at("failing_checks").as_array().at(0).as_object()) ==
        std::vector<std::string>{"name", "area", "reason", "message", "status_code", "phases"});
  CHECK(keys_of(o.at("timeline").as_array().at(0).as_object()) == std::vector<std::string>{"at", "event", "detail"});
  CHECK(serialize_json(o) ==
        R"j({"id":"shop-eu-west-20261127T101500Z","site":"shop","dedup_key":"synthprobe/shop/eu-west","probe":"eu-west-1a",)j"
        R"j("region":"eu-west","labels":{"team":"web"},"severity":"P2","extent":"partial","areas":["checkout"],)j"
        R"j("summary":"shop: checkout down (status 503)","first_failure_at":"2026-11-27T10:14:50Z",)j"
        R"j("opened_at":"2026-11-27T10:15:00Z","resolved_at":null,"time_to_detect_seconds":10.0,)j"
        R"j("failing_checks":[{"name":"checkout","area":"checkout","reason":"status","message":"status 503 not in [2xx]",)j"
        R"j("status_code":503,"phases":{"resolve":0.0,"connect":0.0002,"tls":0.0,"processing":0.004,"transfer":0.0}}],)j"
        R"j("timeline":[{"at":"2026-11-27T10:14:50Z","event":"first_failure","detail":"checkout: status 503"},)j"
        R"j({"at":"2026-11-27T10:15:00Z","event":"opened","detail":"P2 partial: checkout"}],)j"
            R"j("failing_checks_omitted":0,"probe_saturated":false,"probe_blind_seconds":0.0,)j"
            R"j("recovery_watch_until":null,"relapses":0,"customer_update_due":null,"customer_updates":[],)j"
            R"j("comms_overdue":false,"team":{"commander":null,"technical_lead":null,"communications_lead":null,)j"
            R"j("support_lead":null},"drill":false})j");
}

TEST_CASE("JSON: absent values are null") {
  auto in = contract_example();
  in.first_failure_at.reset();
  in.failing_checks[0].reason.reset();
  in.failing_checks[0].status_code = 0;
  const auto o = to_json(in);
  CHECK(o.at("first_failure_at").is_null());
  CHECK(o.at("time_to_detect_seconds").is_null());
  CHECK(o.at("resolved_at").is_null());
  const auto& c = o.at("failing_checks").as_array().at(0).as_object();
  CHECK(c.at("reason").is_null());
  CHECK(c.at("message").is_null());
  CHECK(c.at("status_code").is_null());
}

TEST_CASE("JSON round trip through text") {
  auto in = contract_example();
  in.resolved_at = at("2026-11-27T10:27:30.125Z");
  in.labels["env"] = "prod";
  in.extent = Extent::full;
  FailingCheck slow_check;
  slow_check.name = "search";
  slow_check.area = "search";
  slow_check.phases.processing = 1.234567;
  in.failing_checks.push_back(slow_check);
  in.timeline.push_back({at("2026-11-27T10:27:30.125Z"), TimelineEvent::resolved, "recovered after 12m 30s"});
  const std::string text = serialize_json(to_json(in));
  const auto back = incident_from_json(json::parse(text));
  REQUIRE(back.has_value());
  CHECK(serialize_json(to_json(*back)) == text);
  CHECK(back->resolved_at == in.resolved_at);
  CHECK(back->failing_checks[0].reason == Reason::status);
  CHECK_FALSE(back->failing_checks[1].reason.has_value());
  CHECK(back->failing_checks[1].phases.processing == doctest::Approx(1.234567));
  CHECK(back->timeline.size() == 3);
}

TEST_CASE("JSON: a damaged incident is rejected, not half-read") {
  CHECK_FALSE(incident_from_json(json::parse("[]")).has_value());
  CHECK_FALSE(incident_from_json(json::parse(R"({"id":"x","site":"shop"})")).has_value());
  auto o = to_json(contract_example());
  o["severity"] = "P9";
  CHECK_FALSE(incident_from_json(o).has_value());
  o = to_json(contract_example());
  o["opened_at"] = "yesterday";
  CHECK_FALSE(incident_from_json(o).has_value());
  o = to_json(contract_example());
  o["timeline"].as_array().at(0).as_object()["event"] = "exploded";
  CHECK_FALSE(incident_from_json(o).has_value());
}

// Found by fuzzing (tests/fuzz/corpus/incident/omitted_fraction.json, blind_seconds_huge.json):
// failing_checks_omitted of 0.0012 or -1 threw from to_number (an exception out of the state store's load),
// and a probe_blind_seconds of 1e300 overflowed the review's conversion to milliseconds (undefined
// behaviour).
TEST_CASE("JSON: numbers a damaged file may hold are refused, never thrown or overflowed") {
  for (const json::value& bad : {json::value(0.0012), json::value(-1), json::value(1e300)}) {
    auto o = to_json(contract_example());
    o["failing_checks_omitted"] = bad;
    CHECK_FALSE(incident_from_json(o).has_value());
  }
  for (const json::value& bad : {json::value(1e300), json::value(-5.0)}) {
    auto o = to_json(contract_example());
    o["probe_blind_seconds"] = bad;
    CHECK_FALSE(incident_from_json(o).has_value());
  }
  auto o = to_json(contract_example());
  o["failing_checks_omitted"] = 7;
  o["probe_blind_seconds"] = 300;
  const auto ok = incident_from_json(o);
  REQUIRE(ok.has_value());
  CHECK(ok->failing_checks_omitted == 7);
  CHECK(render_review_markdown(*ok).find("The probe was not running for 5m") != std::string::npos);
  // Found in review, reproduced by the incident_tracker fuzz target on
  // tests/fuzz/corpus/incident_tracker/relapses_int_max.json: a relapse added one to a stored 2^31 - 1
  // (signed overflow); 2^40 would have wrapped. A count with room for the next relapse is read.
  for (const json::value& bad : {json::value(-1), json::value(2147483647), json::value(std::int64_t{1} << 40)}) {
    o = to_json(contract_example());
    o["relapses"] = bad;
    CHECK_FALSE(incident_from_json(o).has_value());
  }
  o = to_json(contract_example());
  o["relapses"] = 2147483646;
  REQUIRE(incident_from_json(o).has_value());
  CHECK(incident_from_json(o)->relapses == 2147483646);
  o = to_json(contract_example());
  o["opened_at"] = "3026-11-27T10:14:50Z";
  CHECK_FALSE(incident_from_json(o).has_value());
  o = to_json(contract_example());
  o["timeline"].as_array().at(0).as_object()["at"] = "1013-11-27T10:14:50Z";
  CHECK_FALSE(incident_from_json(o).has_value());
}

// ---------------------------------------------------------------------------------------------------------
// The tracker

TEST_CASE("open, escalate P2 -> P1, de-escalate, resolve: actions, timeline and time to detect") {
  IncidentTracker tracker(shop_context());
  Shop shop;

  // 10:14:50 checkout's first failed run: pending, nothing announced yet.
  shop.checkout = check("checkout", CheckState::failing, Severity::P2, Reason::status, 503);
  tracker.check_transition("checkout", "checkout", CheckState::up, CheckState::failing, Reason::status,
                           "status 503 not in [2xx]", at("2026-11-27T10:14:50Z"));
  CHECK(tracker.update(shop.assess(), at("2026-11-27T10:14:50Z")).empty());
  CHECK(tracker.first_failure_at() == at("2026-11-27T10:14:50Z"));
  CHECK_FALSE(tracker.open_incident().has_value());

  // 10:15:00 checkout down: P2 partial opens.
  shop.checkout.state = CheckState::down;
  tracker.check_transition("checkout", "checkout", CheckState::failing, CheckState::down, Reason::status,
                           "status 503 not in [2xx]", at("2026-11-27T10:15:00Z"));
  auto actions = tracker.update(shop.assess(), at("2026-11-27T10:15:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::open);
  const Incident opened = actions[0].incident;
  CHECK(opened.id == "shop-eu-west-20261127T101500Z");
  CHECK(opened.dedup_key == "synthprobe/shop/eu-west");
  CHECK(opened.probe == "eu-west-1a");
  CHECK(opened.labels.at("team") == "web");
  CHECK(opened.severity == Severity::P2);
  CHECK(opened.extent == Extent::partial);
  CHECK(opened.summary == "shop: checkout down (status 503)");
  CHECK(time_to_detect_seconds(opened) == 10.0);
  CHECK(events_of(opened) == std::vector<std::string>{"first_failure checkout: status 503 not in [2xx]",
                                                      "check_down checkout: status 503 not in [2xx]",
                                                      "opened P2 partial: checkout"});

  // A later run with nothing changed: no action.
  CHECK(tracker.update(shop.assess(), at("2026-11-27T10:15:10Z")).empty());

  // 10:16:00 everything down: P1 full, one update carrying both changes.
  for (auto* c : {&shop.storefront, &shop.search, &shop.api}) {
    *c = down(c->name);
    tracker.check_transition(c->name, c->area, CheckState::failing, CheckState::down, Reason::connect,
                             "connection refused", at("2026-11-27T10:16:00Z"));
  }
  actions = tracker.update(shop.assess(), at("2026-11-27T10:16:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::update);
  CHECK(actions[0].incident.id == opened.id);
  CHECK(actions[0].incident.severity == Severity::P1);
  CHECK(actions[0].incident.extent == Extent::full);
  CHECK(actions[0].incident.areas == std::vector<std::string>{"api", "checkout", "search", "storefront"});
  CHECK(actions[0].incident.summary == "shop: all 4 checks down (connect, status 503)");

  // 10:20:00 all but checkout recover: back to P2 partial.
  for (auto* c : {&shop.storefront, &shop.search, &shop.api}) {
    *c = up(c->name);
    tracker.check_transition(c->name, c->area, CheckState::down, CheckState::up, std::nullopt, "",
                             at("2026-11-27T10:20:00Z"));
  }
  actions = tracker.update(shop.assess(), at("2026-11-27T10:20:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::update);
  CHECK(actions[0].incident.severity == Severity::P2);
  CHECK(actions[0].incident.extent == Extent::partial);

  // 10:25:00 checkout recovers: resolved.
  shop.checkout = up("checkout", Severity::P2);
  tracker.check_transition("checkout", "checkout", CheckState::down, CheckState::up, std::nullopt, "",
                           at("2026-11-27T10:25:00Z"));
  actions = tracker.update(shop.assess(), at("2026-11-27T10:25:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::resolve);
  const Incident& resolved = actions[0].incident;
  CHECK(resolved.id == opened.id);
  CHECK(resolved.resolved_at == at("2026-11-27T10:25:00Z"));
  // The evidence of the last open state stays for the review.
  CHECK(resolved.severity == Severity::P2);
  CHECK(resolved.summary == "shop: checkout down (status 503)");
  CHECK(events_of(resolved) == std::vector<std::string>{
                                   "first_failure checkout: status 503 not in [2xx]",
                                   "check_down checkout: status 503 not in [2xx]",
                                   "opened P2 partial: checkout",
                                   "check_down storefront: connection refused",
                                   "check_down search: connection refused",
                                   "check_down api: connection refused",
                                   "severity_changed P2 -> P1",
                                   "extent_changed partial -> full: api, checkout, search, storefront",
                                   "check_up storefront: down -> up",
                                   "check_up search: down -> up",
                                   "check_up api: down -> up",
                                   "severity_changed P1 -> P2",
                                   "extent_changed full -> partial: checkout",
                                   "check_up checkout: down -> up",
                                   "resolved recovered after 10m",
                               });
  CHECK_FALSE(tracker.open_incident().has_value());
  CHECK_FALSE(tracker.first_failure_at().has_value());
  CHECK(tracker.last_resolved()->id == opened.id);

  // Quiet afterwards.
  CHECK(tracker.update(shop.assess(), at("2026-11-27T10:25:30Z")).empty());
}

TEST_CASE("opening directly on the first run (open_after = 1) still records the first failure") {
  IncidentTracker tracker(shop_context());
  auto actions = tracker.update(site({down("home", Severity::P1)}), at("2026-11-27T10:00:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].incident.first_failure_at == at("2026-11-27T10:00:00Z"));
  CHECK(time_to_detect_seconds(actions[0].incident) == 0.0);
  CHECK(events_of(actions[0].incident) ==
        std::vector<std::string>{"first_failure home: connection refused", "opened P1 full: home"});
}

TEST_CASE("a failure that recovers before any severity opens nothing, and the next one starts over") {
  IncidentTracker tracker(shop_context());
  auto failing = check("checkout", CheckState::failing, Severity::P2, Reason::timeout);
  CHECK(tracker.update(site({up("home"), failing}), at("2026-11-27T10:00:00Z")).empty());
  CHECK(tracker.first_failure_at() == at("2026-11-27T10:00:00Z"));
  CHECK(tracker.update(site({up("home"), up("checkout")}), at("2026-11-27T10:00:30Z")).empty());
  CHECK_FALSE(tracker.first_failure_at().has_value());

  CHECK(tracker.update(site({up("home"), failing}), at("2026-11-27T11:00:00Z")).empty());
  failing.state = CheckState::down;
  auto actions = tracker.update(site({up("home"), failing}), at("2026-11-27T11:01:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(time_to_detect_seconds(actions[0].incident) == 60.0);
}

TEST_CASE("extent change alone (degraded -> partial) is an update; area changes alone are not") {
  IncidentTracker tracker(shop_context());
  auto actions = tracker.update(site({slow("images"), up("a"), up("b"), up("c")}), at("2026-11-27T10:00:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].incident.extent == Extent::degraded);
  CHECK(actions[0].incident.severity == Severity::P3);

  actions = tracker.update(site({slow("images"), down("a"), up("b"), up("c")}), at("2026-11-27T10:01:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::update);
  CHECK(actions[0].incident.severity == Severity::P3);
  CHECK(actions[0].incident.extent == Extent::partial);
  CHECK(events_of(actions[0].incident).back() == "extent_changed degraded -> partial: a");

  // A different single area down: same severity and extent, so no announcement, but the snapshot follows.
  CHECK(tracker.update(site({up("images"), up("a"), down("b"), up("c")}), at("2026-11-27T10:02:00Z")).empty());
  CHECK(tracker.open_incident()->areas == std::vector<std::string>{"b"});
}

TEST_CASE("a down check passing towards resolve_after keeps its failure evidence") {
  IncidentTracker tracker(shop_context());
  tracker.update(site({down("checkout", Severity::P2, Reason::status, 503), up("home")}), at("2026-11-27T10:00:00Z"));
  auto passing_but_down = check("checkout", CheckState::down, Severity::P2);
  CHECK(tracker.update(site({passing_but_down, up("home")}), at("2026-11-27T10:00:30Z")).empty());
  REQUIRE(tracker.open_incident()->failing_checks.size() == 1);
  CHECK(tracker.open_incident()->failing_checks[0].reason == Reason::status);
  CHECK(tracker.open_incident()->failing_checks[0].status_code == 503);
}

TEST_CASE("a failing check left over at resolve starts the next time to detect at the resolve") {
  IncidentTracker tracker(shop_context());
  tracker.update(site({down("a"), up("b")}), at("2026-11-27T10:00:00Z"));
  auto failing = check("b", CheckState::failing, Severity::P3, Reason::timeout);
  auto actions = tracker.update(site({up("a"), failing}), at("2026-11-27T10:05:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::resolve);
  CHECK(tracker.first_failure_at() == at("2026-11-27T10:05:00Z"));
  failing.state = CheckState::down;
  actions = tracker.update(site({up("a"), failing}), at("2026-11-27T10:05:20Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::open);
  CHECK(time_to_detect_seconds(actions[0].incident) == 20.0);
}

TEST_CASE("two incidents opened within one second get distinct ids") {
  IncidentTracker tracker(shop_context());
  auto first = tracker.update(site({down("a"), up("b")}), at("2026-11-27T10:00:00.100Z"));
  tracker.update(site({up("a"), up("b")}), at("2026-11-27T10:00:00.400Z"));
  auto second = tracker.update(site({down("a"), up("b")}), at("2026-11-27T10:00:00.800Z"));
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  CHECK(first[0].incident.id == "shop-eu-west-20261127T100000Z");
  CHECK(second[0].incident.id == "shop-eu-west-20261127T100000Z-2");
}

TEST_CASE("notifications on the timeline, with the delay since the event they announce") {
  IncidentTracker tracker(shop_context());
  const auto open = tracker.update(site({down("checkout", Severity::P2, Reason::status, 503), up("home")}),
                                   at("2026-11-27T10:15:00Z"));
  const std::string id = open.at(0).incident.id;

  const Incident* in = tracker.record_notification(id, "oncall", "open", true, at("2026-11-27T10:15:01.200Z"));
  REQUIRE(in != nullptr);
  CHECK(in->timeline.back().event == TimelineEvent::notified);
  CHECK(in->timeline.back().detail == "oncall: open delivered after 1.2s");

  in = tracker.record_notification(id, "chat", "open", false, at("2026-11-27T10:15:03Z"), "HTTP 400 Bad Request");
  CHECK(in->timeline.back().event == TimelineEvent::notify_failed);
  CHECK(in->timeline.back().detail == "chat: open failed after 3s: HTTP 400 Bad Request");

  CHECK(tracker.record_notification("no-such-id", "oncall", "open", true, at("2026-11-27T10:16:00Z")) == nullptr);

  // The resolve is delivered after the incident closed: it lands on the resolved incident.
  tracker.update(site({up("checkout", Severity::P2), up("home")}), at("2026-11-27T10:30:00Z"));
  in = tracker.record_notification(id, "oncall", "resolve", true, at("2026-11-27T10:30:00.800Z"));
  REQUIRE(in != nullptr);
  CHECK(in == &*tracker.last_resolved());
  CHECK(in->timeline.back().detail == "oncall: resolve delivered after 0.8s");
}

TEST_CASE("force_resolve: a site removed by a reload") {
  IncidentTracker tracker(shop_context());
  CHECK(tracker.force_resolve(at("2026-11-27T10:00:00Z"), "site removed from config").empty());
  tracker.update(site({down("a"), down("b")}), at("2026-11-27T10:00:00Z"));
  auto actions = tracker.force_resolve(at("2026-11-27T10:03:00Z"), "site removed from config");
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::resolve);
  CHECK(actions[0].incident.resolved_at == at("2026-11-27T10:03:00Z"));
  CHECK(events_of(actions[0].incident).back() == "resolved site removed from config");
  CHECK_FALSE(tracker.open_incident().has_value());
}

TEST_CASE("maintenance: nothing opens during the window; an open incident stays and still resolves") {
  SUBCASE("no open during maintenance; the first failure counts from the window's end") {
    IncidentTracker tracker(shop_context());
    tracker.set_in_maintenance(true);
    tracker.check_transition("a", "a", CheckState::up, CheckState::down, Reason::connect, "connection refused",
                             at("2026-11-27T02:00:00Z"));
    CHECK(tracker.update(site({down("a"), down("b")}), at("2026-11-27T02:00:00Z")).empty());
    CHECK(tracker.update(site({down("a"), down("b")}), at("2026-11-27T02:30:00Z")).empty());
    CHECK_FALSE(tracker.first_failure_at().has_value());
    tracker.set_in_maintenance(false);
    auto actions = tracker.update(site({down("a"), down("b")}), at("2026-11-27T03:00:00Z"));
    REQUIRE(actions.size() == 1);
    CHECK(actions[0].kind == IncidentAction::Kind::open);
    CHECK(time_to_detect_seconds(actions[0].incident) == 0.0);
    CHECK(events_of(actions[0].incident).front() == "first_failure a: connection refused");
  }
  SUBCASE("entering maintenance forgets a pending first failure") {
    IncidentTracker tracker(shop_context());
    tracker.update(site({check("a", CheckState::failing, Severity::P3, Reason::timeout), up("b")}),
                   at("2026-11-27T01:59:00Z"));
    CHECK(tracker.first_failure_at().has_value());
    tracker.set_in_maintenance(true);
    CHECK_FALSE(tracker.first_failure_at().has_value());
  }
  SUBCASE("an incident already open updates and resolves during maintenance") {
    IncidentTracker tracker(shop_context());
    tracker.update(site({down("a"), up("b"), up("c")}), at("2026-11-27T01:50:00Z"));
    tracker.set_in_maintenance(true);
    CHECK(tracker.open_incident().has_value());
    auto actions = tracker.update(site({down("a"), down("b"), down("c")}), at("2026-11-27T02:00:00Z"));
    REQUIRE(actions.size() == 1);
    CHECK(actions[0].kind == IncidentAction::Kind::update);
    tracker.check_transition("a", "a", CheckState::down, CheckState::up, std::nullopt, "", at("2026-11-27T02:10:00Z"));
    actions = tracker.update(site({up("a"), up("b"), up("c")}), at("2026-11-27T02:10:00Z"));
    REQUIRE(actions.size() == 1);
    CHECK(actions[0].kind == IncidentAction::Kind::resolve);
    CHECK(events_of(actions[0].incident).at(actions[0].incident.timeline.size() - 2) == "check_up a: down -> up");
    // Still in the window: a new outage opens nothing.
    CHECK(tracker.update(site({down("a"), down("b"), down("c")}), at("2026-11-27T02:20:00Z")).empty());
  }
}

TEST_CASE("save and restore mid-incident: no second open, and it still resolves") {
  IncidentTracker tracker(shop_context());
  tracker.update(site({check("checkout", CheckState::failing, Severity::P2, Reason::status, 503), up("home")}),
                 at("2026-11-27T10:14:50Z"));
  const auto opened = tracker.update(site({down("checkout", Severity::P2, Reason::status, 503), up("home")}),
                                     at("2026-11-27T10:15:00Z"));
  REQUIRE(opened.size() == 1);

  // Through text, as state_dir holds it.
  auto restored = IncidentTracker::restore(json::parse(serialize_json(tracker.save())));
  REQUIRE(restored.has_value());
  CHECK(restored->context().site == "shop");
  CHECK(restored->context().labels.at("team") == "web");
  REQUIRE(restored->open_incident().has_value());
  CHECK(restored->open_incident()->id == opened[0].incident.id);
  CHECK(serialize_json(to_json(*restored->open_incident())) == serialize_json(to_json(*tracker.open_incident())));
  CHECK(restored->open_incident()->hint == "5xx on checkout only - application fault");

  // The same outage after the restart: nothing to announce.
  CHECK(restored->update(site({down("checkout", Severity::P2, Reason::status, 503), up("home")}),
                         at("2026-11-27T10:20:00Z"))
            .empty());
  // Recovery resolves the incident opened before the restart.
  auto actions = restored->update(site({up("checkout", Severity::P2), up("home")}), at("2026-11-27T10:25:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::resolve);
  CHECK(actions[0].incident.id == opened[0].incident.id);
  CHECK(time_to_detect_seconds(actions[0].incident) == 10.0);
}

TEST_CASE("save and restore while pending keeps the first failure and its events") {
  IncidentTracker tracker(shop_context());
  tracker.check_transition("checkout", "checkout", CheckState::up, CheckState::failing, Reason::timeout,
                           "timed out after 10s", at("2026-11-27T10:14:40Z"));
  tracker.update(site({check("checkout", CheckState::failing, Severity::P2, Reason::timeout), up("home")}),
                 at("2026-11-27T10:14:40Z"));
  auto restored = IncidentTracker::restore(tracker.save());
  REQUIRE(restored.has_value());
  CHECK(restored->first_failure_at() == at("2026-11-27T10:14:40Z"));
  auto actions = restored->update(site({down("checkout", Severity::P2, Reason::timeout), up("home")}),
                                  at("2026-11-27T10:15:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(time_to_detect_seconds(actions[0].incident) == 20.0);
  CHECK(events_of(actions[0].incident).front() == "first_failure checkout: timed out after 10s");
}

TEST_CASE("restore rejects what save() did not write") {
  CHECK_FALSE(IncidentTracker::restore(json::parse("{}")).has_value());
  CHECK_FALSE(IncidentTracker::restore(json::parse(R"({"version":2,"site":"shop"})")).has_value());
  auto saved = IncidentTracker(shop_context()).save();
  saved["incident"] = json::object{{"id", "x"}};
  CHECK_FALSE(IncidentTracker::restore(saved).has_value());
  CHECK(IncidentTracker::restore(IncidentTracker(shop_context()).save()).has_value());
  // Found by fuzzing (tests/fuzz/corpus/incident_tracker/far_year.json): a pending event in the year 1013
  // overflowed the clock.
  saved = IncidentTracker(shop_context()).save();
  saved["pending"] = json::array{json::object{{"at", "1013-11-27T10:14:50Z"}, {"event", "first_failure"}, {"detail", ""}}};
  CHECK_FALSE(IncidentTracker::restore(saved).has_value());
  saved["pending"] = json::array{json::object{{"at", "2026-11-27T10:14:50Z"}, {"event", "first_failure"}, {"detail", ""}}};
  CHECK(IncidentTracker::restore(saved).has_value());
  // Found in review, reproduced by the incident_tracker fuzz target on
  // tests/fuzz/corpus/incident_tracker/same_second_int_max.json: the next incident in the same second added
  // one to a stored same_second_count of 2^31 - 1 (signed overflow).
  saved = IncidentTracker(shop_context()).save();
  for (const json::value& bad : {json::value(2147483647), json::value(std::uint64_t{1} << 63)}) {
    saved["same_second_count"] = bad;
    CHECK_FALSE(IncidentTracker::restore(saved).has_value());
  }
  saved["same_second_count"] = 2147483646;
  CHECK(IncidentTracker::restore(saved).has_value());
  // Found by fuzzing (tests/fuzz/corpus/incident_tracker/last_resolved_unresolved.json): a last resolved
  // incident without resolved_at but with a recovery watch was restored, and the next failure within the
  // watch read the empty resolved_at when it relapsed (undefined behaviour).
  saved = IncidentTracker(shop_context()).save();
  json::object unresolved = to_json(contract_example());
  unresolved["recovery_watch_until"] = "2026-11-27T10:45:00Z";
  saved["last_resolved"] = unresolved;
  CHECK_FALSE(IncidentTracker::restore(saved).has_value());
  unresolved["resolved_at"] = "2026-11-27T10:30:00Z";
  saved["last_resolved"] = unresolved;
  CHECK(IncidentTracker::restore(saved).has_value());
}

TEST_CASE("a flapping check cannot grow the timeline without bound") {
  IncidentTracker tracker(shop_context());
  tracker.update(site({down("a"), up("b"), up("c")}), at("2026-11-27T10:00:00Z"));
  Timestamp t = at("2026-11-27T10:00:00Z");
  for (int i = 0; i < 1000; ++i) {
    t += std::chrono::seconds(30);
    tracker.check_transition("b", "b", CheckState::up, CheckState::down, Reason::timeout, "timed out", t);
    t += std::chrono::seconds(30);
    tracker.check_transition("b", "b", CheckState::down, CheckState::up, std::nullopt, "", t);
  }
  const Incident& in = *tracker.open_incident();
  CHECK(in.timeline.size() == kTimelineLimit);
  CHECK(in.timeline_omitted == 2000 + 2 - kTimelineLimit);
  // The start stays, and so does the latest.
  CHECK(in.timeline[0].event == TimelineEvent::first_failure);
  CHECK(in.timeline[1].event == TimelineEvent::opened);
  CHECK(in.timeline.back().at == t);
  CHECK(in.timeline.back().event == TimelineEvent::check_up);
  const auto report = render_review_markdown(in);
  CHECK(report.find("1802 events in the middle were omitted") != std::string::npos);
}

TEST_CASE("check transitions outside an incident leave no trace; failing -> up is no event") {
  IncidentTracker tracker(shop_context());
  tracker.check_transition("a", "a", CheckState::unknown, CheckState::up, std::nullopt, "", at("2026-11-27T10:00:00Z"));
  CHECK_FALSE(tracker.first_failure_at().has_value());
  tracker.update(site({down("a"), up("b"), up("c")}), at("2026-11-27T10:01:00Z"));
  tracker.check_transition("b", "b", CheckState::up, CheckState::failing, Reason::timeout, "", at("2026-11-27T10:02:00Z"));
  tracker.check_transition("b", "b", CheckState::failing, CheckState::up, std::nullopt, "", at("2026-11-27T10:02:30Z"));
  tracker.check_transition("c", "c", CheckState::up, CheckState::degraded, std::nullopt, "", at("2026-11-27T10:03:00Z"));
  tracker.check_transition("pay", "checkout", CheckState::up, CheckState::down, Reason::timeout, "",
                           at("2026-11-27T10:04:00Z"));
  CHECK(events_of(*tracker.open_incident()) == std::vector<std::string>{"first_failure a: connection refused",
                                                                        "opened P3 partial: a",
                                                                        "check_degraded c: degraded",
                                                                        "check_down pay (checkout): timeout"});
}

// ---------------------------------------------------------------------------------------------------------
// The post-incident review

TEST_CASE("the review draft: summary, timeline, evidence, response times and blank sections") {
  IncidentTracker tracker(shop_context());
  tracker.update(site({check("checkout", CheckState::failing, Severity::P2, Reason::status, 503), up("home")}),
                 at("2026-11-27T10:14:50Z"));
  auto in = tracker.update(site({down("checkout", Severity::P2, Reason::status, 503), up("home")}),
                           at("2026-11-27T10:15:00Z"))
                .at(0)
                .incident;
  tracker.record_notification(in.id, "oncall", "open", true, at("2026-11-27T10:15:01.200Z"));
  auto checks = std::vector<CheckHealth>{up("checkout", Severity::P2), up("home")};
  in = tracker.update(assess("shop", checks), at("2026-11-27T10:27:30Z")).at(0).incident;
  // A message with a pipe must not break the table.
  in.failing_checks[0].message = "body lacks \"a|b\"";
  in.failing_checks[0].phases = Phases{0.001, 0.0002, 0.0, 0.004, 0.0};

  const std::string md = render_review_markdown(in);
  const auto has = [&](std::string_view s) { return md.find(s) != std::string::npos; };
  CHECK(md.rfind("# Post-incident review: shop: checkout down (status 503)\n", 0) == 0);
  CHECK(has("shop-eu-west-20261127T101500Z"));
  CHECK(has("| Site | shop |"));
  CHECK(has("| Region | eu-west |"));
  CHECK(has("| Probe | eu-west-1a |"));
  CHECK(has("| Labels | team=web |"));
  CHECK(has("| Severity | P2 |"));
  CHECK(has("| Extent | partial |"));
  CHECK(has("| Areas | checkout |"));
  CHECK(has("| Opened | 2026-11-27T10:15:00Z |"));
  CHECK(has("| Resolved | 2026-11-27T10:27:30Z |"));
  CHECK(has("| Duration | 12m 30s |"));
  CHECK(has("| Time to detect | 10s |"));
  CHECK(has("| Time to first notification | 1.2s |"));
  CHECK(has("## Timeline"));
  CHECK(has("| 2026-11-27T10:14:50Z | first_failure | checkout: status 503 not in [2xx] |"));
  CHECK(has("| 2026-11-27T10:15:00Z | opened | P2 partial: checkout |"));
  CHECK(has("| 2026-11-27T10:15:01.200Z | notified | oncall: open delivered after 1.2s |"));
  CHECK(has("| 2026-11-27T10:27:30Z | resolved | recovered after 12m 30s |"));
  CHECK(has("## Technical evidence"));
  CHECK(has("| checkout | checkout | status | body lacks \"a\\|b\" | 503 | 1.0 | 0.2 | 0.0 | 4.0 | 0.0 |"));
  CHECK(has("## Response times"));
  CHECK(has("| Triage hint | 5xx on checkout only - application fault |"));
  CHECK(has("Detected 10s after the first failed run"));
  CHECK(has("First notification delivered 1.2s after opening (oncall)."));
  CHECK(has("## Root cause"));
  CHECK(has("## Impact on customers"));
  CHECK(has("## Action items"));
  CHECK(has("_to be written_"));
}

TEST_CASE("the review of an open incident without notifications says so") {
  auto in = contract_example();
  const std::string md = render_review_markdown(in);
  CHECK(md.find("| Resolved | still open |") != std::string::npos);
  CHECK(md.find("Time to first notification") == std::string::npos);
  CHECK(md.find("No notification delivered.") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// The O(1) path: needs_assessment + settle must behave exactly as update() on every run.

TEST_CASE("the verdict fast path gives the same incidents and timelines as a full update on every run") {
  std::mt19937 rng(11);
  const CheckState states[] = {CheckState::up,       CheckState::up,      CheckState::failing,
                               CheckState::down,     CheckState::degraded, CheckState::unknown};
  for (int round = 0; round < 20; ++round) {
    const std::size_t n = 1 + rng() % 5;
    std::vector<CheckHealth> checks;
    for (std::size_t i = 0; i < n; ++i)
      checks.push_back(up("c" + std::to_string(i), i == 0 && rng() % 2 ? Severity::P2 : Severity::P3));
    IncidentTracker full(shop_context()), fast(shop_context());
    Timestamp now = at("2026-11-27T10:00:00Z");
    for (int step = 0; step < 400; ++step) {
      now += std::chrono::seconds(1);
      CheckHealth& c = checks[rng() % n];
      c.state = states[rng() % 6];
      c.reason = rng() % 3 == 0 ? std::optional<Reason>(Reason::connect) : std::nullopt;
      c.degraded = c.state == CheckState::degraded;
      if (rng() % 40 == 0) {
        const bool maintenance = rng() % 2 == 0;
        full.set_in_maintenance(maintenance);
        fast.set_in_maintenance(maintenance);
      }
      const SiteAssessment a = site(checks);
      const auto expected = full.update(a, now);
      SiteCounts counts;
      for (const auto& k : checks) counts.add({k.state, k.reason.has_value() || k.degraded, k.severity});
      const SiteVerdict v = counts.verdict();
      std::vector<IncidentAction> got;
      if (fast.needs_assessment(v)) got = fast.update(a, now);
      else fast.settle(v);
      CAPTURE(round);
      CAPTURE(step);
      REQUIRE(got.size() == expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].kind == expected[i].kind);
        CHECK(got[i].incident.id == expected[i].incident.id);
        CHECK(got[i].incident.severity == expected[i].incident.severity);
        CHECK(got[i].incident.extent == expected[i].incident.extent);
        CHECK(events_of(got[i].incident) == events_of(expected[i].incident));
      }
      REQUIRE(full.open_incident().has_value() == fast.open_incident().has_value());
      CHECK(full.first_failure_at() == fast.first_failure_at());
    }
  }
}

TEST_CASE("a restart during an incident: probe_stopped and probe_started, and the blind time in the review") {
  IncidentTracker t(shop_context());
  Shop s;
  s.checkout = down("checkout", Severity::P2, Reason::status, 503);
  REQUIRE(t.update(s.assess(), at("2026-11-27T10:00:00Z")).size() == 1);
  t.probe_stopped(at("2026-11-27T10:05:00Z"));
  t.probe_started(at("2026-11-27T10:05:00Z"), at("2026-11-27T10:35:00Z"));
  REQUIRE(t.open_incident().has_value());
  const Incident& in = *t.open_incident();
  CHECK(in.probe_blind_seconds == doctest::Approx(1800));
  const auto events = events_of(in);
  CHECK(events[events.size() - 2] == "probe_stopped probe eu-west-1a stopped: no checks run");
  CHECK(events.back() == "probe_started probe eu-west-1a started again after 30m without checks");
  const std::string review = render_review_markdown(in);
  CHECK(review.find("| Probe not running | 30m |") != std::string::npos);
  CHECK(review.find("The probe was not running for 30m of this incident") != std::string::npos);
  // The evidence and the blind time survive a save and restore (the state store keeps save()).
  auto restored = IncidentTracker::restore(json::parse(serialize_json(t.save())));
  REQUIRE(restored.has_value());
  CHECK(restored->open_incident()->probe_blind_seconds == doctest::Approx(1800));
  REQUIRE(restored->open_incident()->failing_checks.size() == 1);
  CHECK(restored->open_incident()->failing_checks[0].status_code == 503);
  CHECK(restored->open_incident()->failing_checks[0].message == "status 503 not in [2xx]");
}

TEST_CASE("a site with hundreds of checks down: evidence, summary and timeline details stay bounded") {
  std::vector<CheckHealth> checks;
  for (int i = 0; i < 600; ++i) checks.push_back(down("c" + std::to_string(i)));
  checks.push_back(up("last"));
  const SiteAssessment a = site(checks);
  CHECK(a.failing_checks.size() == kFailingChecksLimit);
  CHECK(a.failing_checks_omitted == 600 - kFailingChecksLimit);
  CHECK(a.summary.size() < 200);
  CHECK(a.summary.find("and 595 more down") != std::string::npos);
  IncidentTracker t(shop_context());
  const auto actions = t.update(a, at("2026-11-27T10:00:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].incident.timeline.back().detail.size() < 200);
  const json::object o = to_json(actions[0].incident);
  CHECK(o.at("failing_checks_omitted").to_number<int>() == 550);
}

// ---------------------------------------------------------------------------------------------------------
// The response plan: recovery watch and relapses, the communications clock, the team

namespace {

IncidentContext watched_context() {
  IncidentContext c = shop_context();
  c.recovery_watch = std::chrono::minutes(15);
  c.comms_deadline = std::chrono::minutes(30);
  c.team.commander = config::TeamMember{"Ana Ruiz", "oncall"};
  return c;
}

}  // namespace

TEST_CASE("a relapse within the recovery watch reopens the same incident; after the watch it is a new one") {
  IncidentTracker t(watched_context());
  Shop s;
  s.checkout = down("checkout", Severity::P2, Reason::status, 503);
  auto actions = t.update(s.assess(), at("2026-11-27T10:00:00Z"));
  REQUIRE(actions.size() == 1);
  const std::string id = actions[0].incident.id;
  s.checkout = up("checkout", Severity::P2);
  actions = t.update(s.assess(), at("2026-11-27T10:20:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::resolve);
  CHECK(actions[0].incident.watch_until == at("2026-11-27T10:35:00Z"));
  CHECK(t.watching(at("2026-11-27T10:34:59Z")));
  CHECK_FALSE(t.watching(at("2026-11-27T10:35:00Z")));

  // Down again 10 minutes later: the same incident, its story continued.
  t.check_transition("checkout", "checkout", CheckState::up, CheckState::down, Reason::status, "status 503 not in [2xx]",
                     at("2026-11-27T10:30:00Z"));
  s.checkout = down("checkout", Severity::P2, Reason::status, 503);
  actions = t.update(s.assess(), at("2026-11-27T10:30:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::relapse);
  CHECK(actions[0].incident.id == id);
  CHECK(actions[0].incident.relapses == 1);
  CHECK_FALSE(actions[0].incident.resolved_at.has_value());
  const auto events = events_of(actions[0].incident);
  CHECK(events.back() == "relapsed P2 partial: checkout (10m after it resolved, within the recovery watch)");
  CHECK(std::find(events.begin(), events.end(), "check_down checkout: status 503 not in [2xx]") != events.end());
  const std::string review = render_review_markdown(actions[0].incident);
  CHECK(review.find("Relapsed 1 time") != std::string::npos);

  // Resolved again, and down an hour later: past the watch, a new incident.
  s.checkout = up("checkout", Severity::P2);
  REQUIRE(t.update(s.assess(), at("2026-11-27T10:40:00Z")).size() == 1);
  s.checkout = down("checkout", Severity::P2, Reason::status, 503);
  actions = t.update(s.assess(), at("2026-11-27T11:40:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::open);
  CHECK(actions[0].incident.id != id);
}

TEST_CASE("the verdict fast path agrees on relapses too") {
  IncidentTracker t(watched_context());
  Shop s;
  s.checkout = down("checkout", Severity::P2, Reason::status, 503);
  REQUIRE(t.update(s.assess(), at("2026-11-27T10:00:00Z")).size() == 1);
  s.checkout = up("checkout", Severity::P2);
  REQUIRE(t.update(s.assess(), at("2026-11-27T10:05:00Z")).size() == 1);
  SiteCounts counts;
  for (const auto& c : {s.storefront, s.search, s.api}) counts.add({c.state, false, c.severity});
  counts.add({CheckState::down, true, Severity::P2});
  CHECK(t.needs_assessment(counts.verdict()));  // a severity within the watch: a relapse to assess
}

TEST_CASE("the communications clock: due 30 minutes after opening, overdue once, met by an update") {
  IncidentTracker t(watched_context());
  Shop s;
  s.checkout = down("checkout", Severity::P2, Reason::status, 503);
  auto actions = t.update(s.assess(), at("2026-11-27T10:00:00Z"));
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].incident.customer_update_due == at("2026-11-27T10:30:00Z"));
  CHECK(actions[0].incident.team.commander->name == "Ana Ruiz");
  CHECK_FALSE(t.check_comms(at("2026-11-27T10:29:59Z")).has_value());
  auto overdue = t.check_comms(at("2026-11-27T10:30:00Z"));
  REQUIRE(overdue.has_value());
  CHECK(overdue->kind == IncidentAction::Kind::comms_overdue);
  CHECK(overdue->incident.comms_overdue);
  CHECK(events_of(overdue->incident).back() == "comms_overdue no customer update 30m after opening");
  CHECK_FALSE(t.check_comms(at("2026-11-27T10:31:00Z")).has_value());  // once
  CHECK(t.record_comms("We found the cause; a fix is rolling out.", "operator", at("2026-11-27T10:40:00Z")));
  const Incident& in = *t.open_incident();
  REQUIRE(in.comms.size() == 1);
  CHECK(events_of(in).back() == "comms_update operator: We found the cause; a fix is rolling out.");
  const std::string review = render_review_markdown(in);
  CHECK(review.find("First update 40m after opening (operator): late.") != std::string::npos);
  CHECK(review.find("| Incident commander | Ana Ruiz | oncall |") != std::string::npos);
  // What the store keeps comes back.
  auto restored = incident_from_json(json::parse(serialize_json(to_json(in))));
  REQUIRE(restored.has_value());
  CHECK(restored->comms.size() == 1);
  CHECK(restored->comms_overdue);
  CHECK(restored->customer_update_due == in.customer_update_due);
  CHECK(restored->team == in.team);
  // An update in time meets the clock.
  IncidentTracker quick(watched_context());
  REQUIRE(quick.update(s.assess(), at("2026-11-27T12:00:00Z")).size() == 1);
  CHECK(quick.record_comms("Investigating.", "status page", at("2026-11-27T12:05:00Z")));
  CHECK_FALSE(quick.check_comms(at("2026-11-27T13:00:00Z")).has_value());
  CHECK_FALSE(IncidentTracker(watched_context()).record_comms("x", "operator", at("2026-11-27T12:00:00Z")));
}
