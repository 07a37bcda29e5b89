// Drills end to end: `synthprobe drill` against a running `synthprobe run` with webhook and Slack
// receivers on loopback: who hears a drill of each severity, what they get, the printed report and exit
// code, a receiver that refuses, the drill kept out of the incidents, a kill -9 during a drill (resolved
// at the next start), and the API's refusals.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "tests/support/incident_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe::testing;
using namespace synthprobe::testing::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string kToken = "drill-token-0123456789";

std::string with_token(const std::string& header) {
  return std::regex_replace(header, std::regex("state_dir"), "api_token = \"" + kToken + "\"\nstate_dir");
}

std::string slack_table(const std::string& name, const std::string& url, const std::string& extra) {
  return "[[notifier]]\nname = \"" + name + "\"\ntype = \"slack\"\nurl = \"" + url + "\"\n" + extra + "\n";
}

}  // namespace

TEST_CASE("synthprobe drill: every notifier that would receive the severity hears a labelled open and resolve") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  Receiver page([](std::size_t, const TestRequest&) { return answer(200); });
  Receiver chat([](std::size_t, const TestRequest&) {
    TestResponse r = answer(400);
    r.body = "invalid_token";
    return r;
  });
  TempDir dir;
  const std::string config = with_token(probe_header()) + site_table("shop", shop.base()) +
                             check_table("home", "shop", "browse", "P2", "/") + webhook_table("hook", hook.url("/hook")) +
                             webhook_table("page", page.url("/page"), "min_severity = \"P1\"") +
                             slack_table("chat", chat.url("/chat"), "min_severity = \"P1\"") +
                             site_table("web shop #2", shop.base()) + check_table("web-home", "web shop #2", "browse", "P3", "/");
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(2); }, 30s), d.log());

  // A P3 drill reaches only the notifier that takes P3; all delivered: exit 0.
  std::string out;
  CHECK_MESSAGE(run_command(bin() + " drill --config " + d.config_path + " --site shop --severity P3 --duration 1s --wait 20s",
                            &out) == 0,
                out << d.log());
  CHECK(out.find("ok: 1 of 1 notifiers got the open and the resolve") != std::string::npos);
  CHECK_MESSAGE(std::regex_search(out, std::regex(R"(hook +delivered in \d+ ms +delivered in \d+ ms)")), out);
  REQUIRE(hook.accepted_events("/hook").size() == 2);
  const json::object open = hook.accepted_events("/hook")[0];
  const json::object resolve = hook.accepted_events("/hook")[1];
  CHECK(open.at("event") == "open");
  CHECK(resolve.at("event") == "resolve");
  CHECK(open.at("incident").at("drill") == true);
  CHECK(str(open.at("incident").at("id")).starts_with("drill-shop-test-region-"));
  CHECK(open.at("incident").at("dedup_key") == "synthprobe-drill/shop/test-region");
  CHECK(str(open.at("incident").at("summary")).starts_with("[DRILL] shop: test incident (P3)"));
  CHECK(page.count() == 0);
  CHECK(chat.count() == 0);

  // A P1 drill reaches all three; Slack refuses it: the report says so and the exit code is 1.
  CHECK_MESSAGE(run_command(bin() + " drill --config " + d.config_path + " --site shop --severity P1 --duration 1s --wait 20s",
                            &out) == 1,
                out << d.log());
  CHECK(out.find("FAILED: 2 of 3 notifiers got the open and the resolve") != std::string::npos);
  CHECK(out.find("failed: HTTP 400: invalid_token") != std::string::npos);
  CHECK(page.accepted_events("/page").size() == 2);
  REQUIRE(chat.count() >= 1);
  CHECK(chat.all()[0].body.find("[P1] [DRILL] shop") != std::string::npos);
  CHECK(hook.accepted_events("/hook").size() == 4);

  // A site whose name needs percent-encoding in the report's URL.
  CHECK_MESSAGE(run_command(bin() + " drill --config " + d.config_path + " --site 'web shop #2' --severity P3 --duration 1s --wait 20s",
                            &out) == 0,
                out << d.log());
  CHECK(out.find("ok: 1 of 1 notifiers") != std::string::npos);
  CHECK(hook.accepted_events("/hook").size() == 6);

  // Drills are kept apart: no incident, no incident metric; the API lists them, newest first.
  CHECK(d.incidents().empty());
  CHECK(sample(d.metrics(), "synthprobe_incident_open{site=\"shop\"}").value_or(0) == 0.0);
  const auto drills = d.get_json("/api/drills");
  REQUIRE(drills);
  REQUIRE(drills->as_array().size() == 3);
  CHECK(drills->as_array()[0].at("site") == "web shop #2");
  CHECK(drills->as_array()[1].at("severity") == "P1");
  CHECK(drills->as_array()[1].at("ok") == false);
  CHECK(drills->as_array()[2].at("ok") == true);
  const std::string id = str(drills->as_array()[2].at("id"));
  CHECK(d.get_json("/api/drills/" + id)->at("finished") == true);
  CHECK(http_request(d.url("/api/drills/nope")).status == 404);

  // Each finished drill has its review draft in state_dir/drills (apart from real incidents' reviews),
  // and the API serves it.
  const std::string failed_id = str(drills->as_array()[1].at("id"));
  const auto review_file = d.state_dir / "drills" / (failed_id + ".md");
  REQUIRE_MESSAGE(eventually([&] { return std::filesystem::exists(review_file); }, 10s), d.log());
  std::ifstream in(review_file);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(written.find("**This was a drill**") != std::string::npos);
  CHECK(written.find("| chat | failed: HTTP 400: invalid_token |") != std::string::npos);
  CHECK(written.find("**Failed:** 2 of 3 notifiers") != std::string::npos);
  const auto served = http_request(d.url("/api/drills/" + failed_id + "/report"));
  CHECK(served.status == 200);
  CHECK(served.body == written);
  CHECK(std::filesystem::exists(d.state_dir / "drills" / (id + ".md")));
  CHECK(http_request(d.url("/api/drills/nope/report")).status == 404);

  // Refusals: no token, an unknown site, a bad body; the CLI says what the probe answered.
  CHECK(http_request(d.url("/api/drills"), true, {"Content-Type: application/json"}).status == 401);
  const auto bad = http_post_json(d.url("/api/drills"), R"({"site":"shop","severity":"P0"})", {"Authorization: Bearer " + kToken});
  CHECK(bad.status == 400);
  CHECK(bad.body.find("P1, P2 or P3") != std::string::npos);
  CHECK(run_command(bin() + " drill --config " + d.config_path + " --site nowhere", &out) == 2);
  CHECK(out.find("404: no site named \"nowhere\"") != std::string::npos);
  CHECK(run_command(bin() + " drill --config " + d.config_path + " --site shop --severity P9", &out) == 2);
  CHECK(run_command(bin() + " drill --config " + d.config_path + " --site shop --duration 3h", &out) == 2);
  CHECK(out.find("from 1s to 1h") != std::string::npos);
  const auto too_long = http_post_json(d.url("/api/drills"), R"({"site":"shop","duration":"3h"})", {"Authorization: Bearer " + kToken});
  CHECK(too_long.status == 400);
  CHECK(too_long.body.find("from 1s to 1h") != std::string::npos);
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}

TEST_CASE("kill -9 during a drill: the next start resolves it, so no drill page stays open") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  const std::string config = with_token(probe_header()) + site_table("shop", shop.base()) +
                             check_table("home", "shop", "browse", "P2", "/") + webhook_table("hook", hook.url("/hook"));
  std::string id;
  {
    Daemon d(dir, config);
    const auto started = http_post_json(d.url("/api/drills"), R"({"site":"shop","severity":"P2","duration":"10m"})",
                                        {"Authorization: Bearer " + kToken});
    REQUIRE_MESSAGE(started.status == 201, started.body);
    REQUIRE_MESSAGE(eventually([&] { return hook.accepted_events("/hook").size() == 1; }, 30s), d.log());
    id = str(hook.accepted_events("/hook")[0].at("incident").at("id"));
    d.process.signal(SIGKILL);
    d.process.wait(30s);
  }
  CHECK(hook.accepted_events("/hook").size() == 1);
  Daemon d(dir, config);
  // Delivery is at least once: a kill -9 before the open's delivery was committed sends the open again.
  const auto resolved = [&] {
    for (const auto& e : hook.accepted_events("/hook"))
      if (e.at("event") == "resolve") return true;
    return false;
  };
  REQUIRE_MESSAGE(eventually(resolved, 30s), d.log());
  const auto events = hook.accepted_events("/hook");
  CHECK(events.back().at("event") == "resolve");
  for (const auto& e : events) CHECK(str(e.at("incident").at("id")) == id);
  CHECK(events.size() <= 3);
  REQUIRE_MESSAGE(eventually([&] {
                    auto r = d.get_json("/api/drills/" + id);
                    return r && r->at("finished") == true;
                  }, 30s),
                  d.log());
  const json::value report = *d.get_json("/api/drills/" + id);
  CHECK(str(report.at("note")).find("restarted during the drill") != std::string::npos);
  CHECK(report.at("ok") == true);
  CHECK(d.incidents().empty());
}

TEST_CASE("without [probe] api_token, drills are refused by the probe and by the CLI") {
  Shop shop;
  TempDir dir;
  Daemon d(dir, probe_header() + site_table("shop", shop.base()) + check_table("home", "shop", "browse", "P2", "/"));
  const auto r = http_request(d.url("/api/drills"), true, {"Content-Type: application/json"});
  CHECK(r.status == 403);
  CHECK(r.body.find("api_token") != std::string::npos);
  std::string out;
  CHECK(run_command(bin() + " drill --config " + d.config_path + " --site shop", &out) == 2);
  CHECK(out.find("drill needs [probe] api_token") != std::string::npos);
}
