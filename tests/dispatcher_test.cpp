// The dispatcher against a receiver that answers 500 for ten minutes of a fake clock: events wait with
// growing backoff, stay in order per dedup key, and are all delivered once it recovers.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <mutex>

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

  TempDir dir;
  net::io_context io;
  auto keep_running = net::make_work_guard(io);  // run_for waits its time even with nothing queued
  CurlMulti multi(io);
  Logger logger;
  store::StateStore::Options options;
  options.dir = dir.path();
  options.post = [&io](std::function<void()> f) { net::post(io, std::move(f)); };
  store::StateStore store(options);
  (void)store.open();

  Timestamp fake = *parse_rfc3339("2026-11-27T10:00:00Z");
  std::map<std::string, int> results;
  Dispatcher::Hooks hooks;
  hooks.attempt = [&](const std::string&, NotificationKind, DeliveryResult r) { ++results[std::string(to_string(r))]; };
  hooks.clock = [&] { return fake; };
  Dispatcher dispatcher(io, multi, store, logger, hooks);
  config::Notifier hook;
  hook.name = "hook";
  hook.type = "webhook";
  hook.url = receiver.url("/hook");
  hook.timeout = 2s;
  dispatcher.configure({hook});

  auto announce = [&](const Incident& in, IncidentAction::Kind kind) {
    const auto seq = store.stage([&](store::PendingWrites& w) { dispatcher.announce(in, kind, w, fake); });
    dispatcher.send_when_committed(seq);
  };
  auto run_for = [&](std::chrono::milliseconds real) {
    dispatcher.tick();  // as the daemon's housekeeping does once a second
    io.restart();
    io.run_for(real);
  };

  Incident a = incident("shop-A", config::Severity::P2, fake);
  announce(a, IncidentAction::Kind::open);
  run_for(200ms);
  // Ten minutes of a failing receiver, in steps of 20 s of fake time; A escalates, resolves, B opens.
  for (int step = 1; step <= 30; ++step) {
    fake += 20s;
    if (step == 5) {
      a.severity = config::Severity::P1;
      announce(a, IncidentAction::Kind::update);
    }
    if (step == 10) {
      a.resolved_at = fake;
      announce(a, IncidentAction::Kind::resolve);
    }
    if (step == 12) announce(incident("shop-B", config::Severity::P2, fake), IncidentAction::Kind::open);
    run_for(60ms);
  }
  const int failed_attempts = attempts.load();
  INFO("attempts in ten minutes: " << failed_attempts);
  CHECK(failed_attempts >= 6);    // 1, 2, 4, ... s apart: a handful, not one per step
  CHECK(failed_attempts <= 20);   // and never more than the backoff allows
  CHECK(dispatcher.pending() == 4);
  CHECK(accepted.empty());

  failing = false;
  for (int step = 0; step < 40 && dispatcher.pending() > 0; ++step) {
    fake += 30s;  // the backoff reached its 5-minute cap: let fake time pass it
    run_for(100ms);
  }
  CHECK(dispatcher.pending() == 0);
  std::lock_guard lock(mutex);
  REQUIRE(accepted.size() == 4);
  CHECK(accepted[0].event == "open");
  CHECK(accepted[0].incident == "shop-A");
  CHECK(accepted[1].event == "update");
  CHECK(accepted[2].event == "resolve");
  CHECK(accepted[2].incident == "shop-A");
  CHECK(accepted[3].event == "open");  // B waited behind A's resolve: same dedup key
  CHECK(accepted[3].incident == "shop-B");
  CHECK(results["delivered"] == 4);
  CHECK(results["retry"] == failed_attempts);
  dispatcher.stop();
  store.stop();
}
