// SiteIncidents in a large outage: the evidence of open incidents is refreshed a bounded number of checks
// a tick, every site in turn, and a new board copies only the incidents that changed.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/time_format.h"
#include "exporters/metrics/incident_metrics.h"
#include "exporters/notify/dispatcher.h"
#include "exporters/store/state_store.h"
#include "probe/daemon/site_incidents.h"
#include "probe/engine/curl_multi.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe;
using namespace synthprobe::testing;
using namespace std::chrono_literals;
namespace net = boost::asio;

namespace {

constexpr std::uint32_t kSites = 60;
constexpr std::uint32_t kChecksPerSite = 50;  // 3,000 checks: more than one tick's evidence budget

// Every check of every site down, so each site has an open P1 incident from the start.
struct Outage {
  TempDir dir;
  net::io_context io;
  CurlMulti multi{io};
  Logger logger;
  prometheus::Registry registry;
  IncidentMetrics metrics{registry, ProbeIdentity{"probe-a", "eu"}};
  std::unique_ptr<store::StateStore> store;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<SiteIncidents> incidents;
  std::vector<CheckHealth> health;
  std::size_t described = 0;  // describe() calls: one per check whose evidence is assessed
  Timestamp now = *parse_rfc3339("2026-12-03T08:00:00Z");
  MemberStatus down{CheckState::down, true, config::Severity::P1};

  Outage() {
    store::StateStore::Options options;
    options.dir = dir.path();
    options.post = [this](std::function<void()> f) { net::post(io, std::move(f)); };
    store = std::make_unique<store::StateStore>(options);
    (void)store->open();
    dispatcher = std::make_unique<Dispatcher>(io, multi, *store, logger, Dispatcher::Hooks{});
    incidents = std::make_unique<SiteIncidents>(SiteIncidents::Deps{
        *store, *dispatcher, metrics, logger,
        [this](std::uint32_t id) {
          ++described;
          return health[id];
        },
        {}, {}});
    config::Config config;
    config.probe.name = "probe-a";
    config.probe.region = "eu";
    std::vector<SiteIncidents::Member> members;
    for (std::uint32_t s = 0; s < kSites; ++s) {
      config::Site site;
      site.name = "site-" + std::to_string(s);
      config.sites.push_back(site);
    }
    for (std::uint32_t s = 0; s < kSites; ++s) {
      for (std::uint32_t c = 0; c < kChecksPerSite; ++c) {
        CheckHealth h;
        h.name = "check-" + std::to_string(s) + "-" + std::to_string(c);
        h.area = "checkout";
        h.severity = config::Severity::P1;
        h.state = CheckState::down;
        h.reason = Reason::connect;
        h.message = "connection refused";
        members.push_back({static_cast<std::uint32_t>(health.size()), config.sites[s].name, down});
        health.push_back(h);
      }
    }
    incidents->configure(config, members, now);
  }
  ~Outage() {
    dispatcher->stop();
    store->stop();
  }

  // A run of every check: each site's evidence is stale again.
  void run_everything() {
    for (std::uint32_t s = 0; s < kSites; ++s)
      for (std::uint32_t c = 0; c < kChecksPerSite; ++c) incidents->on_run(s, down, down, now);
  }
  std::size_t tick() {
    now += 1s;
    described = 0;
    incidents->tick(now);
    return described;
  }
  std::map<std::string, const Incident*> shown() const {
    std::map<std::string, const Incident*> out;
    for (const auto& [site, in] : incidents->board()->open_by_site) out[site] = in.get();
    return out;
  }
};

}  // namespace

TEST_CASE("a large outage: evidence is refreshed a bounded number of checks a tick, every site in turn") {
  Outage o;
  REQUIRE(o.incidents->open_incidents().size() == kSites);
  REQUIRE(o.shown().size() == kSites);
  o.tick();  // whatever configure() left

  o.run_everything();
  // 3,000 checks are stale: 2,000 (40 sites) in the first tick, the other 1,000 in the next, none after.
  CHECK(o.tick() == 2000);
  CHECK(o.tick() == 1000);
  CHECK(o.tick() == 0);

  // Stale again: the turn goes on where it stopped, so the sites the last full tick left out come first.
  o.run_everything();
  CHECK(o.tick() == 2000);
  CHECK(o.tick() == 1000);
}

TEST_CASE("a new board copies only the incidents that changed; the others are the same objects") {
  Outage o;
  o.run_everything();
  for (int i = 0; i < 3; ++i) o.tick();
  const auto before = o.shown();
  const auto board_before = o.incidents->board();

  // One check of site-7 runs: only that site's evidence is refreshed and its incident copied again.
  o.incidents->on_run(7, o.down, o.down, o.now);
  CHECK(o.tick() == kChecksPerSite);
  const auto after = o.shown();
  CHECK(o.incidents->board() != board_before);
  REQUIRE(after.size() == before.size());
  for (const auto& [site, incident] : after) {
    if (site == "site-7")
      CHECK(incident != before.at(site));
    else
      CHECK(incident == before.at(site));
  }

  // Nothing ran: no new board at all.
  const auto board_now = o.incidents->board();
  CHECK(o.tick() == 0);
  CHECK(o.incidents->board() == board_now);
}
