// `synthprobe demo` end to end, in fast motion: the binary with its embedded demo shop, the standard
// script and the shipped demo.toml, every time in them scaled by one factor (the hidden --time-scale), read
// through /api/incidents as an operator would. One loop of the script must tell the story the demo
// promises: a P2 on checkout with the customer-update clock counting down, escalation to P1, the update
// overdue, the resolve, a relapse of the same incident inside the recovery watch, its resolve, and later a
// P3 for slow pages. The clock is the real one; only the bounds of the waits are generous.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/time_format.h"
#include "config/config_loader.h"
#include "probe/demo/demo_time_scale.h"
#include "tests/support/deploy_files.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// 6 minutes of script in 36 s; the probe checks every 0.5 s, so each phase still spans the same runs.
constexpr double kTimeScale = 0.1;

std::string bin() {
  const char* b = std::getenv("SYNTHPROBE_BIN");
  REQUIRE_MESSAGE(b, "SYNTHPROBE_BIN is set by ctest");
  return b;
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

Timestamp time_of(const json::value& v) {
  const auto t = parse_rfc3339(str(v));
  REQUIRE_MESSAGE(t, "not an RFC 3339 time: " << json::serialize(v));
  return *t;
}

// What one poll of /api/incidents showed of one incident.
struct Seen {
  Timestamp at;  // when the answer came
  std::string severity;
  bool open = false;
  bool comms_overdue = false;
  int relapses = 0;
  std::optional<Timestamp> customer_update_due;
};

Seen seen_of(const json::object& incident, Timestamp at) {
  Seen s;
  s.at = at;
  s.severity = str(incident.at("severity"));
  s.open = incident.at("resolved_at").is_null();
  s.comms_overdue = incident.at("comms_overdue").as_bool();
  s.relapses = static_cast<int>(incident.at("relapses").to_number<double>());
  if (incident.at("customer_update_due").is_string()) s.customer_update_due = time_of(incident.at("customer_update_due"));
  return s;
}

// The index of the first timeline event `name` at or after `from` whose detail contains `detail`;
// timeline.size() when there is none.
std::size_t find_event(const json::array& timeline, std::size_t from, std::string_view name, std::string_view detail = "") {
  for (std::size_t i = from; i < timeline.size(); ++i) {
    const json::object& e = timeline[i].as_object();
    if (str(e.at("event")) == name && str(e.at("detail")).find(detail) != std::string::npos) return i;
  }
  return timeline.size();
}

std::size_t count_events(const json::array& timeline, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(timeline.begin(), timeline.end(), [&](const json::value& e) {
    return str(e.at("event")) == name;
  }));
}

}  // namespace

TEST_CASE("synthprobe demo in fast motion: P2 with the comms clock, P1, overdue, resolve, relapse of the same incident, resolve, then P3 degraded") {
  config::LoadResult shipped = config::load_config_file(testing::source_dir() + "/config/examples/demo.toml");
  REQUIRE(shipped.config);
  const config::Site* site = shipped.config->find_site("demo-shop");
  REQUIRE(site != nullptr);
  const auto comms_deadline = demo::scale_duration(site->comms_deadline, kTimeScale);

  TempDir dir;
  const std::string listen = "127.0.0.1:" + std::to_string(closed_port());
  const std::string log_path = (dir.path() / "demo.log").string();
  ChildProcess demo({bin(), "demo", "--listen", listen, "--time-scale", std::to_string(kTimeScale), "--state-dir",
                     (dir.path() / "state").string(), "--shop-port", "0"},
                    log_path);
  const std::string api = "http://" + listen + "/api/incidents";

  // Poll as the demo's view does, until a second incident (the slow pages') has opened. One loop of the
  // script takes 36 s; the bound is generous.
  std::map<std::string, std::vector<Seen>> history;
  json::array incidents;
  const auto deadline = std::chrono::steady_clock::now() + 100s;
  while (std::chrono::steady_clock::now() < deadline && demo.running()) {
    const HttpGetResult r = http_request(api);
    const Timestamp at = std::chrono::system_clock::now();
    if (r.status == 200) {
      incidents = json::parse(r.body).at("incidents").as_array();
      for (const json::value& i : incidents) history[str(i.at("id"))].push_back(seen_of(i.as_object(), at));
      if (incidents.size() >= 2) break;
    }
    std::this_thread::sleep_for(100ms);
  }
  CAPTURE(json::serialize(incidents));
  const std::string log = testing::read_text_file(log_path);
  const std::string log_tail = log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  CAPTURE(log_tail);
  REQUIRE(incidents.size() == 2);  // exactly: the relapse reopened the first, no third one

  std::vector<json::object> by_open;
  for (const json::value& i : incidents) by_open.push_back(i.as_object());
  std::sort(by_open.begin(), by_open.end(),
            [](const json::object& a, const json::object& b) { return time_of(a.at("opened_at")) < time_of(b.at("opened_at")); });
  const json::object& checkout = by_open[0];
  const json::object& slow = by_open[1];
  const std::string id = str(checkout.at("id"));
  CAPTURE(id);

  {  // the checkout incident's timeline: opened P2, P1, overdue, resolved, relapsed, resolved
    const json::array& timeline = checkout.at("timeline").as_array();
    const std::size_t opened = find_event(timeline, 0, "opened", "P2");
    REQUIRE(opened < timeline.size());
    CHECK(str(timeline[opened].at("detail")).find("checkout") != std::string::npos);
    const std::size_t p1 = find_event(timeline, opened, "severity_changed", "-> P1");
    const std::size_t overdue = find_event(timeline, opened, "comms_overdue");
    const std::size_t resolved = find_event(timeline, p1, "resolved");
    const std::size_t relapsed = find_event(timeline, resolved, "relapsed", "P2");
    const std::size_t resolved_again = find_event(timeline, relapsed + 1, "resolved");
    CHECK(p1 < timeline.size());
    CHECK(overdue < resolved);  // the customer update fell due while it was open
    CHECK(resolved < timeline.size());
    REQUIRE(relapsed < timeline.size());
    CHECK(str(timeline[relapsed].at("detail")).find("checkout") != std::string::npos);
    CHECK(str(timeline[relapsed].at("detail")).find("within the recovery watch") != std::string::npos);
    CHECK(resolved_again < timeline.size());
    CHECK(count_events(timeline, "opened") == 1);
    CHECK(count_events(timeline, "relapsed") == 1);
    CHECK(checkout.at("relapses").to_number<double>() == 1);
    CHECK_FALSE(checkout.at("resolved_at").is_null());
    // The clock: due comms_deadline (scaled) after the open.
    CHECK(time_of(checkout.at("customer_update_due")) - time_of(checkout.at("opened_at")) == comms_deadline);
  }

  {  // as the API showed it: P2 counting down, P1, overdue, resolved, reopened under the same id, resolved
    const std::vector<Seen>& seen = history[id];
    REQUIRE_FALSE(seen.empty());
    const Seen& first = seen.front();
    CHECK(first.severity == "P2");
    CHECK(first.open);
    CHECK_FALSE(first.comms_overdue);
    REQUIRE(first.customer_update_due);
    CHECK(*first.customer_update_due > first.at);  // the countdown runs

    auto find = [&](std::size_t from, auto pred) {
      return static_cast<std::size_t>(std::find_if(seen.begin() + static_cast<std::ptrdiff_t>(from), seen.end(), pred) -
                                      seen.begin());
    };
    const std::size_t p1 = find(0, [](const Seen& s) { return s.open && s.severity == "P1"; });
    const std::size_t overdue = find(0, [](const Seen& s) { return s.open && s.comms_overdue; });
    const std::size_t resolved = find(0, [](const Seen& s) { return !s.open; });
    CHECK(p1 < resolved);
    CHECK(overdue < resolved);
    REQUIRE(resolved < seen.size());
    CHECK(seen[resolved].relapses == 0);
    const std::size_t reopened = find(resolved, [](const Seen& s) { return s.open; });
    REQUIRE(reopened < seen.size());
    CHECK(seen[reopened].relapses == 1);
    CHECK(seen[reopened].severity == "P2");
    CHECK(find(reopened, [](const Seen& s) { return !s.open; }) < seen.size());
  }

  {  // slow pages: a P3 degraded incident of its own, after the relapse resolved
    CHECK(str(slow.at("id")) != id);
    CHECK(str(slow.at("severity")) == "P3");
    CHECK(str(slow.at("extent")) == "degraded");
    CHECK(slow.at("relapses").to_number<double>() == 0);
    CHECK(time_of(slow.at("opened_at")) > time_of(checkout.at("resolved_at")));
  }

  demo.signal(SIGINT);
  CHECK(demo.wait(10s) == 0);
}
