// The dispatcher against a receiver that answers 500 for ten minutes of a fake clock: events wait with
// growing backoff, stay in order per dedup key, and are all delivered once it recovers.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/time_format.h"
#include "exporters/notify/dispatcher.h"
#include "exporters/store/state_store.h"
#include "probe/engine/curl_multi.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;
using namespace std::chrono_literals;
namespace net = boost::asio;
namespace json = boost::json;

namespace {

Incident incident(const std::string& id, config::Severity severity, Timestamp opened) {
  Incident in;
  in.id = id;
  in.site = "shop";
  in.dedup_key = "synthprobe/shop/eu";
  in.probe = "p";
  in.region = "eu";
  in.severity = severity;
  in.extent = Extent::partial;
  in.summary = "shop: checkout down";
  in.opened_at = opened;
  return in;
}

struct Accepted {
  std::string event;
  std::string incident;
};

// A dispatcher on a fake wall clock with its own state store, sending to real loopback receivers.
struct Rig {
  TempDir dir;
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> keep_running = net::make_work_guard(io);
  CurlMulti multi{io};
  Logger logger;
  std::unique_ptr<store::StateStore> store;
  std::unique_ptr<Dispatcher> dispatcher;
  Timestamp fake = *parse_rfc3339("2026-11-27T10:00:00Z");
  std::map<std::string, int> results;

  explicit Rig(const std::vector<config::Notifier>& notifiers) {
    store::StateStore::Options options;
    options.dir = dir.path();
    options.post = [this](std::function<void()> f) { net::post(io, std::move(f)); };
    store = std::make_unique<store::StateStore>(options);
    (void)store->open();
    Dispatcher::Hooks hooks;
    hooks.attempt = [this](const std::string&, NotificationKind, DeliveryResult r) { ++results[std::string(to_string(r))]; };
    hooks.clock = [this] { return fake; };
    dispatcher = std::make_unique<Dispatcher>(io, multi, *store, logger, hooks);
    dispatcher->configure(notifiers);
  }
  ~Rig() {
    dispatcher->stop();
    store->stop();
  }

  // The notifiers that got an event.
  std::vector<std::string> announce(const Incident& in, IncidentAction::Kind kind) {
    std::vector<std::string> told;
    const auto seq = store->stage([&](store::PendingWrites& w) { told = dispatcher->announce(in, kind, w, fake); });
    dispatcher->send_when_committed(seq);
    return told;
  }
  // As the daemon's housekeeping does once a second.
  void resend(const std::vector<const Incident*>& open) {
    dispatcher->resend(open, fake);
    run_for(0ms);
  }
  void run_for(std::chrono::milliseconds real) {
    dispatcher->tick();
    io.restart();
    io.run_for(real);
  }
  // Runs until everything queued was delivered (or given up); a few seconds at most.
  void settle() {
    for (int i = 0; i < 100 && dispatcher->pending() > 0; ++i) run_for(50ms);
    REQUIRE(dispatcher->pending() == 0);
  }
};

// What a loopback receiver heard: each request's path and body, in arrival order.
struct Heard {
  std::string path;
  json::value body;
};

struct Recorder {
  std::mutex mutex;
  std::vector<Heard> heard;
  TestServer server{[this](const TestRequest& req) {
    std::lock_guard lock(mutex);
    heard.push_back({req.target, json::parse(req.body)});
    return TestResponse{};
  }};
  std::vector<Heard> at(std::string_view path) {
    std::lock_guard lock(mutex);
    std::vector<Heard> out;
    for (const auto& h : heard)
      if (h.path == path) out.push_back(h);
    return out;
  }
};

config::Notifier webhook(const std::string& name, const std::string& url, config::Severity min_severity) {
  config::Notifier n;
  n.name = name;
  n.type = "webhook";
  n.url = url;
  n.min_severity = min_severity;
  n.timeout = 2s;
  return n;
}

}  // namespace

TEST_CASE("a receiver failing for ten minutes: backoff, order per dedup key, delivery on recovery") {
  std::atomic<bool> failing{true};
  std::mutex mutex;
  std::vector<Accepted> accepted;
  std::atomic<int> attempts{0};
  TestServer receiver([&](const TestRequest& req) {
    ++attempts;
    TestResponse r;
    if (failing) {
      r.status = 500;
      return r;
    }
    const json::value body = json::parse(req.body);
    std::lock_guard lock(mutex);
    accepted.push_back({std::string(body.at("event").as_string()), std::string(body.at("incident").at("id").as_string())});
    return r;
  });
  Rig rig({webhook("hook", receiver.url("/hook"), config::Severity::P3)});
  Timestamp& fake = rig.fake;

  Incident a = incident("shop-A", config::Severity::P2, fake);
  rig.announce(a, IncidentAction::Kind::open);
  rig.run_for(200ms);
  // Ten minutes of a failing receiver, in steps of 20 s of fake time; A escalates, resolves, B opens.
  for (int step = 1; step <= 30; ++step) {
    fake += 20s;
    if (step == 5) {
      a.severity = config::Severity::P1;
      rig.announce(a, IncidentAction::Kind::update);
    }
    if (step == 10) {
      a.resolved_at = fake;
      rig.announce(a, IncidentAction::Kind::resolve);
    }
    if (step == 12) rig.announce(incident("shop-B", config::Severity::P2, fake), IncidentAction::Kind::open);
    rig.run_for(60ms);
  }
  const int failed_attempts = attempts.load();
  INFO("attempts in ten minutes: " << failed_attempts);
  CHECK(failed_attempts >= 6);    // 1, 2, 4, ... s apart: a handful, not one per step
  CHECK(failed_attempts <= 20);   // and never more than the backoff allows
  CHECK(rig.dispatcher->pending() == 4);
  CHECK(accepted.empty());

  failing = false;
  for (int step = 0; step < 40 && rig.dispatcher->pending() > 0; ++step) {
    fake += 30s;  // the backoff reached its 5-minute cap: let fake time pass it
    rig.run_for(100ms);
  }
  CHECK(rig.dispatcher->pending() == 0);
  std::lock_guard lock(mutex);
  REQUIRE(accepted.size() == 4);
  CHECK(accepted[0].event == "open");
  CHECK(accepted[0].incident == "shop-A");
  CHECK(accepted[1].event == "update");
  CHECK(accepted[2].event == "resolve");
  CHECK(accepted[2].incident == "shop-A");
  CHECK(accepted[3].event == "open");  // B waited behind A's resolve: same dedup key
  CHECK(accepted[3].incident == "shop-B");
  CHECK(rig.results["delivered"] == 4);
  CHECK(rig.results["retry"] == failed_attempts);
}

TEST_CASE("a role's notifier hears the P1 open, and nothing below its min_severity") {
  Recorder receiver;
  Rig rig({webhook("pager", receiver.server.url("/pager"), config::Severity::P3),
           webhook("comms", receiver.server.url("/comms"), config::Severity::P1)});
  Incident a = incident("shop-A", config::Severity::P2, rig.fake);
  a.team.communications_lead = config::TeamMember{"Sam Lee", "comms"};
  CHECK(rig.announce(a, IncidentAction::Kind::open) == std::vector<std::string>{"pager"});
  rig.settle();
  CHECK(receiver.at("/comms").empty());

  // It becomes a P1: the role's notifier hears its first event of the incident, as an open.
  rig.fake += 1min;
  a.severity = config::Severity::P1;
  CHECK(rig.announce(a, IncidentAction::Kind::update) == std::vector<std::string>{"pager", "comms"});
  rig.settle();
  const auto comms = receiver.at("/comms");
  REQUIRE(comms.size() == 1);
  CHECK(comms[0].body.at("event").as_string() == "open");
  CHECK(comms[0].body.at("incident").at("severity").as_string() == "P1");
  CHECK(comms[0].body.at("incident").at("team").at("communications_lead").at("name").as_string() == "Sam Lee");
  CHECK(receiver.at("/pager").back().body.at("event").as_string() == "update");

  // The next incident of the site opens at P1: every role's notifier gets the open at once.
  rig.fake += 1min;
  a.resolved_at = rig.fake;
  rig.announce(a, IncidentAction::Kind::resolve);
  rig.fake += 1min;
  Incident b = incident("shop-B", config::Severity::P1, rig.fake);
  b.team = a.team;
  CHECK(rig.announce(b, IncidentAction::Kind::open) == std::vector<std::string>{"pager", "comms"});
  rig.settle();
  CHECK(receiver.at("/comms").back().body.at("incident").at("id").as_string() == "shop-B");
}

TEST_CASE("relapse: PagerDuty re-triggers the same dedup key, Alertmanager fires the same labels and stops resolving") {
  Recorder receiver;
  config::Notifier pd;
  pd.name = "pd";
  pd.type = "pagerduty";
  pd.url = receiver.server.url("/pd");
  pd.routing_key = "R0UT1NGKEY";
  pd.timeout = 2s;
  config::Notifier am;
  am.name = "am";
  am.type = "alertmanager";
  am.urls = {receiver.server.url("/am")};
  am.resend_interval = 1min;
  am.timeout = 2s;
  Rig rig({pd, am});
  const std::string alerts = "/am/api/v2/alerts";
  // Alertmanager's alert at the given request (one alert: no severity change here), and whether it fires at `now`.
  auto alert_at = [&](std::size_t i) { return receiver.at(alerts).at(i).body.at(0).as_object(); };
  auto firing = [&](const json::object& alert) { return *parse_rfc3339(alert.at("endsAt").as_string()) > rig.fake; };

  Incident a = incident("shop-A", config::Severity::P2, rig.fake);
  rig.announce(a, IncidentAction::Kind::open);
  rig.settle();
  const json::object first = alert_at(0);
  CHECK(firing(first));

  // It resolves with a recovery watch of 15 minutes; Alertmanager hears the resolve again a minute later.
  rig.fake += 2min;
  a.resolved_at = rig.fake;
  a.watch_until = rig.fake + 15min;
  rig.announce(a, IncidentAction::Kind::resolve);
  rig.settle();
  rig.fake += 61s;
  rig.resend({});
  rig.settle();
  REQUIRE(receiver.at(alerts).size() == 3);
  CHECK_FALSE(firing(alert_at(1)));
  CHECK_FALSE(firing(alert_at(2)));
  REQUIRE(receiver.at("/pd").size() == 2);
  CHECK(receiver.at("/pd")[1].body.at("event_action").as_string() == "resolve");

  // Down again within the watch: the same incident relapses.
  rig.fake += 1min;
  a.resolved_at.reset();
  a.watch_until.reset();
  a.relapses = 1;
  CHECK(rig.announce(a, IncidentAction::Kind::relapse) == std::vector<std::string>{"pd", "am"});
  rig.settle();
  const auto pd_heard = receiver.at("/pd");
  REQUIRE(pd_heard.size() == 3);
  CHECK(pd_heard[2].body.at("event_action").as_string() == "trigger");
  CHECK(pd_heard[2].body.at("dedup_key") == pd_heard[0].body.at("dedup_key"));
  CHECK(pd_heard[2].body.at("dedup_key").as_string() == "synthprobe/shop/eu");
  REQUIRE(receiver.at(alerts).size() == 4);
  const json::object again = alert_at(3);
  CHECK(again.at("labels") == first.at("labels"));
  CHECK(firing(again));

  // The minutes after: re-sends keep it firing; the resolve from before the relapse is never sent again.
  for (int minute = 1; minute <= 6; ++minute) {
    const std::size_t before = receiver.at(alerts).size();
    rig.fake += 61s;
    rig.resend({&a});
    rig.settle();
    const auto now_heard = receiver.at(alerts);
    INFO("minute " << minute << " after the relapse");
    CHECK(now_heard.size() == before + 1);
    for (std::size_t i = before; i < now_heard.size(); ++i) {
      CHECK(now_heard[i].body.as_array().size() == 1);
      CHECK(firing(now_heard[i].body.at(0).as_object()));
    }
  }
}
