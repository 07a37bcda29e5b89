// Incidents end to end: `synthprobe run` against a test shop whose answers the test switches, with
// notification receivers on loopback (webhook receivers that accept, fail, refuse or hang, and a real
// Alertmanager). Covers the life cycle and its API, metrics and review file, min_severity, retries with
// backoff, permanent failures, timeouts, crash safety of the outbox (kill -9), and Alertmanager re-sends.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <csignal>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "common/utf8.h"
#include "tests/support/incident_fixture.h"
#include "tests/support/process.h"
#include "common/time_format.h"
#include "tests/support/exposition.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe::testing;
using namespace synthprobe::testing::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Seconds since the epoch of an RFC 3339 time as Alertmanager writes it (any fraction, Z or an offset).
double rfc3339_seconds(const std::string& text) {
  std::smatch m;
  const std::regex re(R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|([+-])(\d\d):(\d\d)))");
  REQUIRE_MESSAGE(std::regex_match(text, m, re), text);
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  double t = static_cast<double>(timegm(&tm));
  if (m[7].matched) t += std::stod("0" + m[7].str());
  if (m[9].matched) {
    const double offset = std::stoi(m[10]) * 3600.0 + std::stoi(m[11]) * 60.0;
    t += m[9] == "+" ? -offset : offset;
  }
  return t;
}

}  // namespace

TEST_CASE("life cycle: open P2 partial, escalate to P1 full, resolve; webhook, API, review file and metrics") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  const std::string config = probe_header() + site_table("shop", shop.base()) +
                             check_table("home", "shop", "storefront", "P1", "/") +
                             check_table("search", "shop", "storefront", "P3", "/search") +
                             check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                             webhook_table("hook", hook.url("/hook")) +
                             "[[heartbeat]]\nurl = \"" + hook.url("/heartbeat") + "\"\ninterval = \"1s\"\n";
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(3); }, 30s), d.log());
  CHECK(d.incidents().empty());
  CHECK(hook.accepted_events().empty());
  // The dead man's switch is pinged while checks run.
  CHECK_MESSAGE(eventually([&] { return hook.count_path("/heartbeat") >= 1; }, 30s), d.log());

  // checkout fails: P2, partial, areas [checkout].
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return !hook.accepted_events().empty(); }, 30s), d.log());
  const json::object open = hook.accepted_events().front();
  CHECK(open.at("version") == "1");
  CHECK(open.at("event") == "open");
  CHECK(sequence_of(open) == 1);
  CHECK(!str(open.at("event_id")).empty());
  const json::object& inc = open.at("incident").as_object();
  const std::string id = str(inc.at("id"));
  CHECK_MESSAGE(std::regex_match(id, std::regex(R"(shop-test-region-\d{8}T\d{6}Z)")), id);
  CHECK(inc.at("site") == "shop");
  CHECK(inc.at("dedup_key") == "synthprobe/shop/test-region");
  CHECK(inc.at("probe") == "e2e-probe");
  CHECK(inc.at("region") == "test-region");
  CHECK(inc.at("labels").at("team") == "web");
  CHECK(inc.at("severity") == "P2");
  CHECK(inc.at("extent") == "partial");
  CHECK(inc.at("areas") == json::array{"checkout"});
  CHECK(inc.at("resolved_at").is_null());
  REQUIRE(inc.at("failing_checks").as_array().size() == 1);
  CHECK(inc.at("failing_checks").at(0).at("name") == "checkout");
  CHECK(inc.at("failing_checks").at(0).at("status_code") == 503);

  // While open, /api/status shows it on the site and /api/incidents/{id} answers.
  {
    auto status = d.get_json("/api/status");
    REQUIRE(status);
    CHECK(str(status->at("sites").at(0).at("incident").at("id")) == id);
    auto one = d.get_json("/api/incidents/" + id);
    REQUIRE(one);
    CHECK(str(one->at("id")) == id);
    CHECK(one->at("resolved_at").is_null());
    CHECK(http_request(d.url("/api/incidents/shop-nope-20000101T000000Z")).status == 404);
  }

  // Everything fails: P1, full.
  shop.all_down = true;
  auto has_full_p1 = [&] {
    for (const auto& e : hook.accepted_events())
      if (e.at("event") == "update" && e.at("incident").at("severity") == "P1" && e.at("incident").at("extent") == "full")
        return true;
    return false;
  };
  REQUIRE_MESSAGE(eventually(has_full_p1, 30s), (describe(hook.accepted_events()) + d.log()));

  // Recovery: resolve.
  shop.heal();
  auto resolved = [&] {
    for (const auto& e : hook.accepted_events())
      if (e.at("event") == "resolve") return true;
    return false;
  };
  REQUIRE_MESSAGE(eventually(resolved, 30s), (describe(hook.accepted_events()) + d.log()));

  // In order, sequences 1..n without gaps, one incident, no duplicate event_id, open first, resolve last.
  const std::vector<json::object> events = hook.accepted_events();
  INFO(describe(events));
  REQUIRE(events.size() >= 3);
  std::set<std::string> event_ids;
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(sequence_of(events[i]) == i + 1);
    CHECK(events[i].at("version") == "1");
    CHECK(str(events[i].at("incident").at("id")) == id);
    CHECK(event_ids.insert(str(events[i].at("event_id"))).second);
    const std::string kind = str(events[i].at("event"));
    if (i == 0) CHECK(kind == "open");
    else if (i + 1 == events.size()) CHECK(kind == "resolve");
    else CHECK(kind == "update");
  }
  const json::object& last = events.back().at("incident").as_object();
  CHECK(last.at("resolved_at").is_string());

  // The API lists it, newest first, with the timeline.
  const json::array list = d.incidents();
  REQUIRE(!list.empty());
  const json::object& listed = list.at(0).as_object();
  CHECK(str(listed.at("id")) == id);
  CHECK(listed.at("resolved_at").is_string());
  const std::set<std::string> timeline = timeline_events(listed);
  for (const char* e : {"first_failure", "opened", "notified", "resolved"})
    CHECK_MESSAGE(timeline.contains(e), e << " missing in " << json::serialize(listed.at("timeline")));
  CHECK((timeline.contains("severity_changed") || timeline.contains("extent_changed")));
  CHECK(listed.at("time_to_detect_seconds").is_number());
  // Deliveries after the resolve reach the resolved incident's timeline too.
  auto resolve_noted = [&] {
    auto one = d.get_json("/api/incidents/" + id);
    if (!one) return false;
    for (const auto& e : one->at("timeline").as_array())
      if (e.at("event") == "notified" && str(e.at("detail")).starts_with("hook: resolve delivered")) return true;
    return false;
  };
  CHECK_MESSAGE(eventually(resolve_noted, 10s), http_request(d.url("/api/incidents/" + id)).body);
  auto status = d.get_json("/api/status");
  REQUIRE(status);
  CHECK(status->at("sites").at(0).at("incident").is_null());

  const HttpGetResult report = http_request(d.url("/api/incidents/" + id + "/report"));
  CHECK(report.status == 200);
  CHECK(report.body.find(id) != std::string::npos);
  CHECK(report.body.find("## Timeline") != std::string::npos);
  CHECK(report.body.find("first_failure") != std::string::npos);
  CHECK(report.body.find("resolved") != std::string::npos);

  const fs::path review = d.state_dir / "incidents" / (id + ".md");
  REQUIRE_MESSAGE(eventually([&] { return fs::exists(review); }, 10s), review.string());
  std::ifstream in(review);
  const std::string review_text((std::istreambuf_iterator<char>(in)), {});
  CHECK(review_text.find("## Timeline") != std::string::npos);
  CHECK(review_text.find("opened") != std::string::npos);

  // Metrics.
  CHECK_MESSAGE(eventually([&] { return sample_is(d, notifications("hook", "resolve", "delivered"), 1); }, 10s), d.metrics());
  const std::string text = d.metrics();
  CHECK(sample(text, "synthprobe_incidents_total{severity=\"P2\",site=\"shop\"}") == 1.0);
  CHECK(sample(text, "synthprobe_incidents_total{severity=\"P1\",site=\"shop\"}") == 0.0);
  CHECK(sample(text, notifications("hook", "open", "delivered")) == 1.0);
  for (const char* sev : {"P1", "P2", "P3"})
    CHECK(sample(text, "synthprobe_incident_open{severity=\"" + std::string(sev) + "\",site=\"shop\"}") == 0.0);
  CHECK(sample(text, "synthprobe_notification_queue{notifier=\"hook\"}") == 0.0);

  d.process.signal(SIGTERM);
  CHECK(d.process.wait(20s) == std::optional<int>(0));
}

TEST_CASE("min_severity: a P1-only notifier hears of the incident when it reaches P1, and of its resolve") {
  Shop shop;
  Receiver p1only([](std::size_t, const TestRequest&) { return answer(200); });
  Receiver all([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  const std::string config = probe_header() + site_table("shop", shop.base()) + site_table("blog", shop.base()) +
                             check_table("home", "shop", "storefront", "P1", "/") +
                             check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                             check_table("post", "blog", "posts", "P3", "/blog") +
                             webhook_table("p1only", p1only.url("/hook"), "min_severity = \"P1\"\n") +
                             webhook_table("all", all.url("/hook"));
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(3); }, 30s), d.log());

  // A P2 incident on shop and a P3 one on blog: only the default notifier hears of them.
  shop.set_down("/checkout", true);
  shop.set_down("/blog", true);
  auto opens_seen = [&] {
    std::set<std::string> sites;
    for (const auto& e : all.accepted_events())
      if (e.at("event") == "open") sites.insert(str(e.at("incident").at("site")) + str(e.at("incident").at("severity")));
    return sites.contains("shopP2") && sites.contains("blogP3");
  };
  REQUIRE_MESSAGE(eventually(opens_seen, 30s), (describe(all.accepted_events()) + d.log()));
  // Both notifiers are sent to in the same pass: give a wrongly sent event time to arrive.
  std::this_thread::sleep_for(1500ms);
  CHECK_MESSAGE(p1only.count() == 0, describe(p1only.accepted_events()));

  // Escalation to P1: the P1 notifier gets its first event, an open at P1.
  shop.set_down("/", true);
  REQUIRE_MESSAGE(eventually([&] { return !p1only.accepted_events().empty(); }, 30s), d.log());
  const json::object first = p1only.accepted_events().front();
  CHECK(first.at("event") == "open");
  CHECK(sequence_of(first) == 1);
  CHECK(first.at("incident").at("site") == "shop");
  CHECK(first.at("incident").at("severity") == "P1");

  // Recovery: the P1 notifier gets the shop's resolve; the default one gets both resolves.
  shop.heal();
  auto resolves = [&](const Receiver& r) {
    std::set<std::string> sites;
    for (const auto& e : r.accepted_events())
      if (e.at("event") == "resolve") sites.insert(str(e.at("incident").at("site")));
    return sites;
  };
  REQUIRE_MESSAGE(eventually([&] { return resolves(all).size() == 2 && resolves(p1only).size() == 1; }, 30s),
                  (describe(all.accepted_events()) + "--\n" + describe(p1only.accepted_events()) + d.log()));
  const std::vector<json::object> events = p1only.accepted_events();
  INFO(describe(events));
  CHECK(events.back().at("event") == "resolve");
  CHECK(events.back().at("incident").at("site") == "shop");
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].at("incident").at("site") == "shop");  // never a word of the P3 incident
    CHECK(sequence_of(events[i]) == i + 1);
  }
  CHECK(d.metrics().find("notifier=\"p1only\"") != std::string::npos);

  // Both incidents are listed, newest first.
  const json::array list = d.incidents();
  REQUIRE(list.size() == 2);
  CHECK(rfc3339_seconds(str(list.at(0).at("opened_at"))) >= rfc3339_seconds(str(list.at(1).at("opened_at"))));
  std::set<std::string> listed_sites{str(list.at(0).at("site")), str(list.at(1).at("site"))};
  CHECK(listed_sites == std::set<std::string>{"shop", "blog"});
}

TEST_CASE("retry: a receiver failing twice with 500 gets the event once it accepts, with growing backoff") {
  Shop shop;
  Receiver hook([](std::size_t index, const TestRequest&) { return answer(index < 2 ? 500 : 200); });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    webhook_table("hook", hook.url("/hook")));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);

  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 1; }, 30s), d.log());
  CHECK_MESSAGE(eventually([&] { return sample_is(d, notifications("hook", "open", "delivered"), 1); }, 10s), d.metrics());
  const std::string text = d.metrics();
  CHECK(sample(text, notifications("hook", "open", "retry")) == 2.0);
  CHECK(sample(text, notifications("hook", "open", "delivered")) == 1.0);
  CHECK(sample(text, "synthprobe_notification_queue{notifier=\"hook\"}") == 0.0);

  const std::vector<Received> got = hook.all();
  REQUIRE(got.size() == 3);
  // The same event three times.
  CHECK(got[0].body == got[1].body);
  CHECK(got[1].body == got[2].body);
  CHECK(hook.accepted_events().front().at("event") == "open");
  // Backoff: about 1s, then about 2s (jittered to at least half of each).
  const auto gap1 = got[1].at - got[0].at;
  const auto gap2 = got[2].at - got[1].at;
  INFO("gaps: " << std::chrono::duration<double>(gap1).count() << "s, " << std::chrono::duration<double>(gap2).count() << "s");
  CHECK(gap1 >= 500ms);
  CHECK(gap2 >= 500ms);
  CHECK(gap2 >= 900ms);  // the second backoff's lower bound is 1s

  // The timeline says it was delivered, once.
  const json::array list = d.incidents();
  REQUIRE(list.size() == 1);
  CHECK(timeline_events(list.at(0).as_object()).contains("notified"));
}

TEST_CASE("permanent failure: a 400 is counted, not retried, and noted in the timeline") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(400); });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    webhook_table("hook", hook.url("/hook")));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);

  REQUIRE_MESSAGE(eventually([&] { return sample_is(d, notifications("hook", "open", "permanent_failure"), 1); }, 30s),
                  (d.metrics() + d.log()));
  // Not retried: still one request a few seconds later (a retry would have come within 1s).
  std::this_thread::sleep_for(3s);
  CHECK(hook.count() == 1);
  const std::string text = d.metrics();
  CHECK(sample(text, notifications("hook", "open", "permanent_failure")) == 1.0);
  CHECK(!sample(text, notifications("hook", "open", "retry")).has_value());
  CHECK(!sample(text, notifications("hook", "open", "delivered")).has_value());
  CHECK(sample(text, "synthprobe_notification_queue{notifier=\"hook\"}") == 0.0);

  const json::array list = d.incidents();
  REQUIRE(list.size() == 1);
  const json::object& inc = list.at(0).as_object();
  CHECK(inc.at("resolved_at").is_null());
  CHECK_MESSAGE(timeline_events(inc).contains("notify_failed"), json::serialize(inc.at("timeline")));
  CHECK(!timeline_events(inc).contains("notified"));
  CHECK(d.log().find("notification failed permanently") != std::string::npos);
}

TEST_CASE("invalid UTF-8 from a target reaches the APIs, the incident and the receiver as valid JSON") {
  TestServer target([](const TestRequest&) {
    TestResponse r;
    r.headers = {{"X-Note", "caf\xE9 \xFF\xFE broken"}};
    r.body = "ok";
    return r;
  });
  // Like a strict receiver (Boost.JSON rejects invalid UTF-8): a body it cannot parse gets a 400.
  Receiver hook([](std::size_t, const TestRequest& req) {
    json::error_code ec;
    (void)json::parse(req.body, ec);
    return answer(ec ? 400 : 200);
  });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", target.url("")) +
                    "[[check]]\nname = \"note\"\nsite = \"shop\"\narea = \"storefront\"\nseverity = \"P2\"\n"
                    "url = \"${base}/\"\nexpect = { headers = { x-note = \"^fine\" } }\n\n" +
                    webhook_table("hook", hook.url("/hook")));
  REQUIRE_MESSAGE(eventually([&] { return hook.count() >= 1; }, 30s), d.log());
  REQUIRE(eventually([&] { return sample_is(d, notifications("hook", "open", "delivered"), 1); }, 10s));
  for (const char* path : {"/api/status", "/api/incidents", "/status.json"}) {
    CAPTURE(path);
    const HttpGetResult r = http_request(d.url(path));
    CHECK(r.status == 200);
    CHECK(synthprobe::utf8::is_valid(r.body));
    json::error_code ec;
    (void)json::parse(r.body, ec);
    CHECK_MESSAGE(!ec, ec.message());
  }
  const json::array list = d.incidents();
  REQUIRE(list.size() == 1);
  const std::string message(list[0].at("failing_checks").as_array().at(0).at("message").as_string());
  CHECK(message.find("caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD broken") != std::string::npos);
  CHECK(hook.all().front().body.find("caf\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("a hanging receiver times out after the notifier's timeout and is retried") {
  Shop shop;
  Receiver hook([](std::size_t index, const TestRequest&) {
    if (index == 0) {
      TestResponse r;
      r.action = TestResponse::Action::hang;
      return r;
    }
    return answer(200);
  });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    webhook_table("hook", hook.url("/hook"), "timeout = \"1s\"\n"));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);

  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 1; }, 30s), d.log());
  CHECK_MESSAGE(eventually([&] { return sample_is(d, notifications("hook", "open", "delivered"), 1); }, 10s), d.metrics());
  CHECK(sample(d.metrics(), notifications("hook", "open", "retry")) == 1.0);
  const std::vector<Received> got = hook.all();
  REQUIRE(got.size() == 2);
  CHECK(got[0].body == got[1].body);
  CHECK(got[0].answered == 0);  // left hanging
  // The timeout (1s) and then the backoff (at least 0.5s) passed between the two.
  CHECK(got[1].at - got[0].at >= 1400ms);
  CHECK(d.log().find("notification will be retried") != std::string::npos);
}

TEST_CASE("crash safety: an open pending at kill -9 is delivered after the restart, under the same incident") {
  Shop shop;
  std::atomic<bool> accept{false};
  Receiver hook([&accept](std::size_t, const TestRequest&) { return answer(accept ? 200 : 503); });
  TempDir dir;
  const std::string config = probe_header() + site_table("shop", shop.base()) +
                             check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                             webhook_table("hook", hook.url("/hook"));
  std::string first_id;
  {
    Daemon d(dir, config);
    REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
    shop.set_down("/checkout", true);
    // The open was tried and refused: it is pending in the outbox.
    REQUIRE_MESSAGE(eventually([&] { return hook.count() >= 1; }, 30s), d.log());
    CHECK(sample(d.metrics(), "synthprobe_notification_queue{notifier=\"hook\"}") == 1.0);
    const json::array list = d.incidents();
    REQUIRE(list.size() == 1);
    first_id = str(list.at(0).at("id"));
    d.process.signal(SIGKILL);
    CHECK(d.process.wait(10s) == std::optional<int>(-SIGKILL));
  }
  const std::size_t refused = hook.count();
  CHECK(hook.accepted_events().empty());
  {
    // The body of every refused attempt was the open.
    for (const auto& r : hook.all()) CHECK(json::parse(r.body).at("event") == "open");
  }
  accept = true;

  Daemon d(dir, config);
  INFO("refused before the crash: " << refused);
  REQUIRE_MESSAGE(eventually([&] { return !hook.accepted_events().empty(); }, 30s), d.log());
  const json::object open = hook.accepted_events().front();
  CHECK(open.at("event") == "open");
  CHECK(sequence_of(open) == 1);
  CHECK(str(open.at("incident").at("id")) == first_id);
  CHECK(d.log().find("notifications pending from before the restart") != std::string::npos);

  // Still the same incident after the restart: not opened again.
  {
    const json::array list = d.incidents();
    INFO(json::serialize(list));
    REQUIRE(list.size() == 1);
    CHECK(str(list.at(0).at("id")) == first_id);
    const std::string text = d.metrics();
    for (const char* sev : {"P1", "P2", "P3"}) {
      const auto opened = sample(text, "synthprobe_incidents_total{severity=\"" + std::string(sev) + "\",site=\"shop\"}");
      CHECK((!opened || *opened == 0.0));
    }
    CHECK(sample(text, "synthprobe_incident_open{severity=\"P2\",site=\"shop\"}") == 1.0);
  }

  // Recovery: the resolve follows the open, for the same incident.
  shop.heal();
  auto resolved = [&] {
    for (const auto& e : hook.accepted_events())
      if (e.at("event") == "resolve") return true;
    return false;
  };
  REQUIRE_MESSAGE(eventually(resolved, 30s), (describe(hook.accepted_events()) + d.log()));
  const std::vector<json::object> events = hook.accepted_events();
  INFO(describe(events));
  CHECK(events.front().at("event") == "open");
  CHECK(events.back().at("event") == "resolve");
  std::uint64_t previous = 0;
  for (const auto& e : events) {
    CHECK(str(e.at("incident").at("id")) == first_id);
    CHECK(sequence_of(e) > previous);
    previous = sequence_of(e);
    if (&e != &events.front()) CHECK(e.at("event") != "open");
  }
  // Every request ever made, refused or accepted, was about the one incident.
  for (const auto& r : hook.all()) CHECK(str(json::parse(r.body).at("incident").at("id")) == first_id);
  const json::array list = d.incidents();
  REQUIRE(list.size() == 1);
  CHECK(str(list.at(0).at("id")) == first_id);
  CHECK(list.at(0).at("resolved_at").is_string());
}

namespace {

// A real Alertmanager on loopback, clustering off.
struct Alertmanager {
  explicit Alertmanager(const TempDir& dir)
      : port(closed_port()),
        config(dir.write("am.yml", "route:\n  receiver: \"null\"\n  group_by: [site]\nreceivers:\n  - name: \"null\"\n")),
        process({"/usr/bin/prometheus-alertmanager", "--config.file=" + config,
                 "--storage.path=" + (dir.path() / "am").string(),
                 "--web.listen-address=127.0.0.1:" + std::to_string(port), "--cluster.listen-address="},
                (dir.path() / "alertmanager.log").string()),
        log_path((dir.path() / "alertmanager.log").string()) {
    REQUIRE_MESSAGE(eventually([&] { return http_request(url("/-/ready")).status == 200; }, 30s), log());
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  std::string log() const {
    std::ifstream in(log_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // The SiteDown alerts for `site` that GET /api/v2/alerts<query> returns.
  std::vector<json::object> site_down(const std::string& site, const std::string& query = "") const {
    std::vector<json::object> out;
    HttpGetResult r = http_request(url("/api/v2/alerts" + query));
    if (r.status != 200) return out;
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& a : v.as_array()) {
      const json::object& labels = a.at("labels").as_object();
      if (labels.contains("alertname") && labels.at("alertname") == "SiteDown" && labels.contains("site") &&
          str(labels.at("site")) == site)
        out.push_back(a.as_object());
    }
    return out;
  }

  unsigned short port;
  std::string config;
  ChildProcess process;
  std::string log_path;
};

}  // namespace

TEST_CASE("a real Alertmanager: SiteDown appears with the contract's labels, is re-sent while open, resolves") {
  REQUIRE_MESSAGE(fs::exists("/usr/bin/prometheus-alertmanager"),
                  "prometheus-alertmanager is installed by scripts/install-deps.sh test");
  TempDir dir;
  Alertmanager am(dir);
  Shop shop;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    "[[notifier]]\nname = \"am\"\ntype = \"alertmanager\"\nurls = [\"" + am.url("") +
                    "\"]\nresend_interval = \"1s\"\n\n");
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  CHECK(am.site_down("shop").empty());

  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return am.site_down("shop").size() == 1; }, 30s), (d.log() + am.log()));
  const json::object alert = am.site_down("shop").front();
  INFO(json::serialize(alert));
  const json::object& labels = alert.at("labels").as_object();
  CHECK(labels.at("alertname") == "SiteDown");
  CHECK(labels.at("site") == "shop");
  CHECK(labels.at("severity") == "P2");
  CHECK(labels.at("region") == "test-region");
  CHECK(labels.at("probe") == "e2e-probe");
  CHECK(labels.at("team") == "web");  // the site's labels
  CHECK(labels.size() == 6);
  CHECK(alert.at("status").at("state") == "active");
  CHECK(str(alert.at("annotations").at("summary")).find("checkout") != std::string::npos);
  const std::string incident_id = str(alert.at("annotations").at("incident_id"));
  CHECK(std::regex_match(incident_id, std::regex(R"(shop-test-region-\d{8}T\d{6}Z)")));

  // Re-sent every resend_interval while open: endsAt (now + 4 x 1s at each send) and updatedAt move on.
  const double ends_at = rfc3339_seconds(str(alert.at("endsAt")));
  const double updated_at = rfc3339_seconds(str(alert.at("updatedAt")));
  const double starts_at = rfc3339_seconds(str(alert.at("startsAt")));
  // endsAt = send time + 4 x resend_interval: in the future while open.
  CHECK(ends_at > static_cast<double>(std::time(nullptr)));
  auto moved = [&] {
    auto now = am.site_down("shop");
    return now.size() == 1 && rfc3339_seconds(str(now.front().at("endsAt"))) >= ends_at + 0.9 &&
           rfc3339_seconds(str(now.front().at("updatedAt"))) > updated_at;
  };
  CHECK_MESSAGE(eventually(moved, 20s), d.log());
  {
    auto now = am.site_down("shop");
    REQUIRE(now.size() == 1);
    CHECK(rfc3339_seconds(str(now.front().at("startsAt"))) == doctest::Approx(starts_at));  // the same alert, not a new one
  }
  CHECK(sample(d.metrics(), notifications("am", "update", "delivered")).value_or(0) >= 1.0);

  // Recovery: resolved (endsAt = now), so Alertmanager 0.25 drops it from GET /api/v2/alerts, active or not.
  shop.heal();
  REQUIRE_MESSAGE(eventually([&] { return am.site_down("shop", "?active=true").empty(); }, 30s), d.log());
  CHECK(am.site_down("shop").empty());
  CHECK(sample(d.metrics(), notifications("am", "resolve", "delivered")) == 1.0);
  // Resolved and no longer re-sent: it stays gone.
  std::this_thread::sleep_for(2500ms);
  CHECK(am.site_down("shop").empty());
}

TEST_CASE("reload: removing the only down check resolves the site's incident at once") {
  Shop shop;
  shop.set_down("/checkout", true);
  TempDir dir;
  const std::string both = probe_header() + site_table("shop", shop.base()) +
                           check_table("home", "shop", "storefront", "P3", "/") +
                           check_table("checkout", "shop", "checkout", "P2", "/checkout");
  Daemon d(dir, both);
  REQUIRE_MESSAGE(eventually([&] {
                    auto list = d.incidents();
                    return !list.empty() && list[0].at("resolved_at").is_null();
                  }, 30s),
                  d.log());
  // The checkout check goes; home keeps passing, so no run of it would ever change the site's state.
  std::ofstream(d.config_path) << std::regex_replace(
      probe_header() + site_table("shop", shop.base()) + check_table("home", "shop", "storefront", "P3", "/"),
      std::regex("LISTEN_PORT"), std::to_string(d.port));
  CHECK(http_request(d.url("/-/reload"), true).status == 200);
  CHECK_MESSAGE(eventually([&] {
                  auto list = d.incidents();
                  return !list.empty() && !list[0].at("resolved_at").is_null();
                }, 10s),
                d.log());
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

TEST_CASE("an incident that spans a restart: probe_stopped/probe_started, the blind time, and the evidence kept") {
  Shop shop;
  shop.set_down("/checkout", true);
  TempDir dir;
  const std::string config = probe_header() + site_table("shop", shop.base()) +
                             check_table("home", "shop", "storefront", "P3", "/") +
                             check_table("checkout", "shop", "checkout", "P2", "/checkout");
  std::string id;
  json::object phases_before;
  {
    Daemon d(dir, config);
    REQUIRE_MESSAGE(eventually([&] {
                      auto list = d.incidents();
                      return !list.empty() && list[0].at("resolved_at").is_null();
                    }, 30s),
                    d.log());
    id = str(d.incidents()[0].at("id"));
    phases_before = d.incidents()[0].at("failing_checks").as_array().at(0).at("phases").as_object();
    d.process.signal(SIGTERM);
    REQUIRE(d.process.wait(30s) == std::optional<int>(0));
  }
  std::this_thread::sleep_for(2500ms);  // the probe is away: nobody watches the shop
  shop.heal();                           // ... and the outage ends while it is

  Daemon d(dir, config);
  // Back: the same incident, with the gap on its timeline and the evidence of before (not blank phases).
  json::object inc;
  REQUIRE_MESSAGE(eventually([&] {
                    auto list = d.incidents();
                    if (list.empty()) return false;
                    inc = list[0].as_object();
                    return timeline_events(inc).contains("probe_started");
                  }, 30s),
                  d.log());
  CHECK(str(inc.at("id")) == id);
  CHECK(timeline_events(inc).contains("probe_stopped"));
  CHECK(inc.at("probe_blind_seconds").to_number<double>() >= 2.0);
  const json::array failing = inc.at("failing_checks").as_array();
  REQUIRE(failing.size() == 1);
  CHECK(failing[0].at("status_code") == 503);
  CHECK(failing[0].at("message") == "status 503 not in [2xx]");
  // The run's phases, not zeros (housekeeping refreshes the evidence each second, so not to the microsecond).
  const json::object& phases_after = failing[0].at("phases").as_object();
  for (const char* phase : {"connect", "processing"}) {
    CAPTURE(phase);
    CHECK(phases_before.at(phase).to_number<double>() > 0.0);
    CHECK(phases_after.at(phase).to_number<double>() > 0.0);
  }

  // It resolves on the runs after the restart, and its review says how long the probe was blind.
  REQUIRE_MESSAGE(eventually([&] {
                    auto list = d.incidents();
                    return !list.empty() && !list[0].at("resolved_at").is_null();
                  }, 30s),
                  d.log());
  const HttpGetResult review = http_request(d.url("/api/incidents/" + id + "/report"));
  REQUIRE(review.status == 200);
  CHECK(review.body.find("| Probe not running |") != std::string::npos);
  CHECK(review.body.find("nothing was detected or sent then") != std::string::npos);
  CHECK(review.body.find("probe_stopped") != std::string::npos);
  CHECK(review.body.find("probe_started") != std::string::npos);
  // The draft on disk is private to the probe's user.
  REQUIRE(eventually([&] { return fs::exists(d.state_dir / "incidents" / (id + ".md")); }, 10s));
  CHECK((fs::status(d.state_dir / "incidents" / (id + ".md")).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

TEST_CASE("kill -9 during an outage: the restart records when the probe was last alive") {
  Shop shop;
  shop.set_down("/checkout", true);
  TempDir dir;
  const std::string config = probe_header() + site_table("shop", shop.base()) +
                             check_table("checkout", "shop", "checkout", "P2", "/checkout");
  std::string id;
  {
    Daemon d(dir, config);
    REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty(); }, 30s), d.log());
    id = str(d.incidents()[0].at("id"));
    std::this_thread::sleep_for(1500ms);  // at least one "alive" mark on disk
    d.process.signal(SIGKILL);
    REQUIRE(d.process.wait(10s) == std::optional<int>(-SIGKILL));
  }
  Daemon d(dir, config);
  json::object inc;
  REQUIRE_MESSAGE(eventually([&] {
                    auto list = d.incidents();
                    if (list.empty()) return false;
                    inc = list[0].as_object();
                    return timeline_events(inc).contains("probe_started");
                  }, 30s),
                  d.log());
  CHECK(str(inc.at("id")) == id);
  CHECK(timeline_events(inc).contains("probe_stopped"));  // at the last sign of life before the crash
  CHECK(inc.at("resolved_at").is_null());
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

// ---- paging order and delivery limits (hardening) ----------------------------------------------

TEST_CASE("a late resolve never closes the next incident's page: events of one dedup key stay in order") {
  // PagerDuty, Opsgenie and Alertmanager key alerts by the dedup key, not by the incident: if incident A's
  // retried resolve arrived after incident B's trigger, it would close B's page while the site is down.
  Shop shop;
  std::atomic<int> resolves{0};
  Receiver hook([&](std::size_t, const TestRequest& req) {
    const bool resolve = req.body.find("\"event\":\"resolve\"") != std::string::npos;
    if (resolve && resolves++ == 0) {  // A's resolve fails once, and asks for a pause long enough for B to open
      TestResponse r = answer(503);
      r.headers = {{"Retry-After", "4"}};
      return r;
    }
    return answer(200);
  });
  TempDir dir;
  // No recovery watch here: going down again right after is a new incident, not a relapse of the first.
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + "recovery_watch = \"0s\"\n" +
                    check_table("checkout", "shop", "checkout", "P2", "/checkout") + webhook_table("hook", hook.url("/hook")));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 1; }, 30s), d.log());
  shop.heal();
  REQUIRE_MESSAGE(eventually([&] { return resolves.load() >= 1; }, 30s), d.log());
  shop.set_down("/checkout", true);  // B opens while A's resolve waits for its retry
  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() >= 3; }, 30s), (describe(hook.accepted_events()) + d.log()));
  const auto events = hook.accepted_events();
  INFO(describe(events));
  const std::string a = str(events[0].at("incident").at("id"));
  CHECK(events[0].at("event") == "open");
  CHECK(events[1].at("event") == "resolve");
  CHECK(str(events[1].at("incident").at("id")) == a);
  CHECK(events[2].at("event") == "open");
  CHECK(str(events[2].at("incident").at("id")) != a);
}

TEST_CASE("one Alertmanager down: the healthy one keeps getting re-sends") {
  Shop shop;
  Receiver healthy([](std::size_t, const TestRequest&) { return answer(200); });
  Receiver dead([](std::size_t, const TestRequest&) { return answer(503); });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) +
                    check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    "[[notifier]]\nname = \"am\"\ntype = \"alertmanager\"\nurls = [\"" + healthy.url("") + "\", \"" +
                    dead.url("") + "\"]\nresend_interval = \"1s\"\n\n");
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return healthy.count_path("/api/v2/alerts") >= 1; }, 30s), d.log());
  const std::size_t first = healthy.count_path("/api/v2/alerts");
  // Several resend intervals pass while the second Alertmanager keeps failing.
  CHECK_MESSAGE(eventually([&] { return healthy.count_path("/api/v2/alerts") >= first + 3; }, 15s), d.log());
  CHECK(dead.count_path("/api/v2/alerts") >= 1);

  // Resolved: Alertmanager hears the resolve again for a few minutes, so one lost resolve cannot leave
  // the alert firing.
  shop.heal();
  const std::size_t before_heal = healthy.all().size();
  // Posts after the heal whose alert has already ended: the resolve and its repeats.
  auto resolved_posts = [&] {
    std::size_t n = 0;
    const auto all = healthy.all();
    for (std::size_t i = before_heal; i < all.size(); ++i) {
      if (all[i].target != "/api/v2/alerts") continue;
      const json::value alerts = json::parse(all[i].body);
      const auto ends = synthprobe::parse_rfc3339(str(alerts.at(0).at("endsAt")));
      n += ends && *ends <= std::chrono::system_clock::now();
    }
    return n;
  };
  CHECK_MESSAGE(eventually([&] { return resolved_posts() >= 3; }, 15s), d.log());
}

TEST_CASE("an event not delivered within max_delivery_age expires: counted, logged, on the timeline") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(503); });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) +
                    check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    webhook_table("hook", hook.url("/hook"), "max_delivery_age = \"2s\""));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return sample_is(d, notifications("hook", "open", "expired"), 1); }, 30s), d.metrics());
  CHECK(sample(d.metrics(), "synthprobe_notification_queue{notifier=\"hook\"}") == 0.0);
  CHECK(d.log().find("notification expired undelivered") != std::string::npos);
  REQUIRE(eventually([&] {
    const auto list = d.incidents();
    if (list.empty()) return false;
    for (const auto& e : list[0].at("timeline").as_array())
      if (e.at("event") == "notify_failed" && str(e.at("detail")).find("expired") != std::string::npos) return true;
    return false;
  }, 10s));
}

TEST_CASE("Retry-After is honoured, and the receiver's error text reaches the timeline") {
  Shop shop;
  Receiver hook([](std::size_t index, const TestRequest&) {
    TestResponse r;
    if (index == 0) {
      r.status = 429;
      r.headers = {{"Retry-After", "3"}};
      r.body = R"({"error":"rate_limited"})";
      return r;
    }
    return answer(200);
  });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) +
                    check_table("checkout", "shop", "checkout", "P2", "/checkout") + webhook_table("hook", hook.url("/hook")));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 1; }, 30s), d.log());
  const auto all = hook.all();
  REQUIRE(all.size() >= 2);
  CHECK(all[1].at - all[0].at >= 2900ms);  // our backoff alone would have retried after 0.5-1 s
  CHECK(d.log().find("rate_limited") != std::string::npos);
  bool noted = false;
  const json::array list = d.incidents();
  REQUIRE(!list.empty());
  for (const auto& e : list[0].at("timeline").as_array())
    noted = noted || (e.at("event") == "notify_failed" && str(e.at("detail")).find("HTTP 429: {\"error\":\"rate_limited\"}") != std::string::npos);
  CHECK(noted);
}

// ---- the response plan: relapse, the communications clock ------------------------------------

TEST_CASE("relapse: down again within the recovery watch reopens the same incident, notifiers hear an update") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + "recovery_watch = \"5m\"\n" +
                    check_table("checkout", "shop", "checkout", "P2", "/checkout") + webhook_table("hook", hook.url("/hook")));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 1; }, 30s), d.log());
  shop.heal();
  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 2; }, 30s), d.log());
  CHECK(d.log().find("recovery watch started") != std::string::npos);
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events().size() == 3; }, 30s), d.log());
  const auto events = hook.accepted_events();
  INFO(describe(events));
  const std::string id = str(events[0].at("incident").at("id"));
  CHECK(events[1].at("event") == "resolve");
  CHECK(events[2].at("event") == "update");  // the same incident, the same dedup key
  CHECK(str(events[2].at("incident").at("id")) == id);
  CHECK(events[2].at("incident").at("relapses") == 1);
  CHECK(sequence_of(events[2]) == 3);
  CHECK(sample(d.metrics(), "synthprobe_incident_relapses_total{site=\"shop\"}") == 1.0);
  const json::array list = d.incidents();
  REQUIRE(list.size() == 1);
  CHECK(timeline_events(list[0].as_object()).contains("relapsed"));
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

TEST_CASE("the communications clock: overdue is noted and sent to who asked; an operator update meets it") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  Receiver boss([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  const std::string token = "comms-token-0123456789";
  std::string config = std::regex_replace(probe_header(), std::regex("state_dir"), "api_token = \"" + token + "\"\nstate_dir") +
                       site_table("shop", shop.base()) + "comms_deadline = \"2s\"\n" +
                       check_table("checkout", "shop", "checkout", "P2", "/checkout") + webhook_table("hook", hook.url("/hook")) +
                       webhook_table("boss", boss.url("/boss"), "notify_on_comms_overdue = true");
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty(); }, 30s), d.log());
  const std::string id = str(d.incidents()[0].at("id"));
  REQUIRE_MESSAGE(eventually([&] { return sample(d.metrics(), "synthprobe_incident_comms_overdue{site=\"shop\"}") == 1.0; }, 15s),
                  d.log());
  REQUIRE(eventually([&] { return boss.accepted_events("/boss").size() == 2; }, 15s));
  CHECK(boss.accepted_events("/boss")[1].at("event") == "update");
  CHECK(boss.accepted_events("/boss")[1].at("incident").at("comms_overdue") == true);
  std::this_thread::sleep_for(1s);
  CHECK(hook.accepted_events().size() == 1);  // the other notifier did not ask

  // The operator records an update, through the API (token required) and through the CLI.
  const std::string url = d.url("/api/incidents/" + id + "/comms");
  CHECK(http_request(url, true, {"Content-Type: application/json"}).status == 401);
  std::string out;
  CHECK(run_command(bin() + " comms --config " + d.config_path + " --incident " + id +
                        " 'Payments fail for some customers; a fix is rolling out.'",
                    &out) == 0);
  CHECK(out.find("recorded") != std::string::npos);
  CHECK(run_command(bin() + " comms --config " + d.config_path + " --incident nope 'x'", &out) == 1);
  CHECK(out.find("404") != std::string::npos);
  const json::object in = d.get_json("/api/incidents/" + id)->as_object();
  REQUIRE(in.at("customer_updates").as_array().size() >= 1);
  bool operator_update = false;
  for (const auto& u : in.at("customer_updates").as_array())
    operator_update = operator_update || (u.at("source") == "operator" &&
                                          u.at("message") == "Payments fail for some customers; a fix is rolling out.");
  CHECK(operator_update);
  CHECK(sample(d.metrics(), "synthprobe_incident_comms_overdue{site=\"shop\"}") == 0.0);
  CHECK(http_request(d.url("/status")).body.find("a fix is rolling out.") != std::string::npos);
  const std::string review = http_request(d.url("/api/incidents/" + id + "/report")).body;
  CHECK(review.find("## Communications") != std::string::npos);
  CHECK(review.find("(operator): late.") != std::string::npos);
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

TEST_CASE("the communications clock without [probe] api_token: the comms endpoint answers 403 and records nothing") {
  Shop shop;
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + check_table("checkout", "shop", "checkout", "P2", "/checkout"));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty(); }, 30s), d.log());
  const std::string id = str(d.incidents()[0].at("id"));
  const std::string url = d.url("/api/incidents/" + id + "/comms");
  const std::string body = R"({"message": "We are on it."})";
  // With or without a bearer token: no token is configured, so none can be right.
  for (const auto& headers : {std::vector<std::string>{}, std::vector<std::string>{"Authorization: Bearer comms-token-0123456789"}}) {
    const auto r = http_post_json(url, body, headers);
    CHECK(r.status == 403);
    CHECK(r.body.find("api_token") != std::string::npos);
  }
  CHECK(d.get_json("/api/incidents/" + id)->at("customer_updates").as_array().empty());
}

TEST_CASE("the communications clock: the status page showing the site's message meets it, and nothing goes overdue") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  const std::string message = "Checkout is failing for some customers; we are working on it.";
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + "comms_deadline = \"4s\"\nstatus_message = \"" + message +
                    "\"\n" + check_table("checkout", "shop", "checkout", "P2", "/checkout") +
                    webhook_table("hook", hook.url("/hook"), "notify_on_comms_overdue = true"));
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(1); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty(); }, 30s), d.log());
  const json::object opened = d.incidents()[0].as_object();
  const std::string id = str(opened.at("id"));
  CHECK(opened.at("customer_updates").as_array().empty());  // not before the page is shown

  const auto page = http_request(d.url("/status"));
  CHECK(page.status == 200);
  CHECK(page.body.find("Checkout is failing for some customers") != std::string::npos);
  REQUIRE_MESSAGE(eventually([&] { return !d.get_json("/api/incidents/" + id)->at("customer_updates").as_array().empty(); }, 10s),
                  d.log());
  const json::object in = d.get_json("/api/incidents/" + id)->as_object();
  const json::array& updates = in.at("customer_updates").as_array();
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].at("source") == "status page");
  CHECK(str(updates[0].at("message")) == message);
  CHECK(rfc3339_seconds(str(updates[0].at("at"))) <= rfc3339_seconds(str(in.at("customer_update_due"))));
  // Showing the page again records nothing more.
  CHECK(http_request(d.url("/status")).status == 200);

  // Past the deadline (checked once a second): met, so no overdue event, metric or notification.
  const double due = rfc3339_seconds(str(in.at("customer_update_due")));
  while (static_cast<double>(std::time(nullptr)) < due + 3) std::this_thread::sleep_for(200ms);
  const json::object later = d.get_json("/api/incidents/" + id)->as_object();
  CHECK(later.at("comms_overdue") == false);
  CHECK_FALSE(timeline_events(later).contains("comms_overdue"));
  CHECK(later.at("customer_updates").as_array().size() == 1);
  CHECK(sample(d.metrics(), "synthprobe_incident_comms_overdue{site=\"shop\"}") == 0.0);
  CHECK(hook.accepted_events().size() == 1);  // the open only
  const std::string review = http_request(d.url("/api/incidents/" + id + "/report")).body;
  CHECK(review.find("(status page): on time.") != std::string::npos);
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}
