// `synthprobe report` on what a real `synthprobe run` recorded: an outage that opened and resolved an
// incident, a customer update, and a drill; read while the probe runs, in each format, and the HTML
// opened in headless Chromium (screenshot kept in build/tests/artifacts/).
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <csignal>
#include <filesystem>
#include <regex>

#include "tests/support/incident_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe::testing;
using namespace synthprobe::testing::e2e;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::string kToken = "report-token-0123456789";
const char* const kChromium = "/usr/bin/chromium";

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("the stakeholder report of a real run: availability, the incident, its customer update, the drill") {
  Shop shop;
  Receiver hook([](std::size_t, const TestRequest&) { return answer(200); });
  TempDir dir;
  const std::string config =
      std::regex_replace(probe_header(), std::regex("state_dir"), "api_token = \"" + kToken + "\"\nstate_dir") +
      site_table("shop", shop.base()) + check_table("home", "shop", "storefront", "P3", "/") +
      check_table("checkout", "shop", "checkout", "P2", "/checkout") + webhook_table("hook", hook.url("/hook"));
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(2); }, 30s), d.log());
  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty(); }, 30s), d.log());
  const std::string id = str(d.incidents()[0].at("id"));
  std::string out;
  REQUIRE(run_command(bin() + " comms --config " + d.config_path + " --incident " + id + " 'Checkout is failing; we are on it.'",
                      &out) == 0);
  shop.heal();
  REQUIRE_MESSAGE(eventually([&] { return !d.incidents()[0].at("resolved_at").is_null(); }, 30s), d.log());
  REQUIRE_MESSAGE(run_command(bin() + " drill --config " + d.config_path + " --site shop --severity P3 --duration 1s --wait 20s",
                              &out) == 0,
                  out);
  // Rollups are flushed a slice at a time; wait until the report sees both areas' runs.
  json::value report;
  REQUIRE_MESSAGE(eventually([&] {
                    if (run_command(bin() + " report --config " + d.config_path + " --since 1d --format json", &out) != 0)
                      return false;
                    boost::system::error_code ec;
                    report = json::parse(out, ec);
                    return !ec && report.at("sites").as_array().size() == 1 &&
                           report.at("sites").at(0).at("areas").as_array().size() == 2;
                  }, 90s),
                  out);
  const json::value& site = report.at("sites").at(0);
  CHECK(site.at("site") == "shop");
  CHECK(site.at("availability").as_double() < 1.0);  // checkout failed for a while
  CHECK(site.at("objective_met") == false);
  CHECK(site.at("areas").at(1).at("area") == "storefront");
  CHECK(site.at("areas").at(1).at("availability").as_double() == 1.0);
  REQUIRE(report.at("incidents").as_array().size() == 1);  // the drill is not an incident
  const json::value& incident = report.at("incidents").at(0);
  CHECK(str(incident.at("id")) == id);
  CHECK(incident.at("severity") == "P2");
  CHECK(incident.at("customer_update") == "met");
  CHECK(incident.at("time_to_resolve_seconds").is_number());
  CHECK(report.at("by_severity").at("P2").at("incidents") == 1);
  CHECK(report.at("top_failure_reasons").at(0).at("reason") == "status");
  REQUIRE(report.at("drills").as_array().size() == 1);
  CHECK(report.at("drills").at(0).at("ok") == true);

  CHECK(run_command(bin() + " report --config " + d.config_path + " --since 1d", &out) == 0);
  CHECK(has(out, "| P2 | 1 |"));
  CHECK(has(out, "Customer updates: 1 in time, 0 late."));
  CHECK(has(out, "shop P3: ok, 1 of 1 notifiers delivered"));

  const fs::path html = dir.path() / "report.html";
  REQUIRE(run_command(bin() + " report --config " + d.config_path + " --since 1d --format html --output " + html.string(),
                      &out) == 0);
  CHECK(has(out, "wrote " + html.string()));
  if (!fs::exists(kChromium)) {
    MESSAGE("skipped the browser part: " << kChromium << " is not installed (scripts/install-deps.sh test installs it)");
    return;
  }
  const std::string flags = std::string(kChromium) +
                            " --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
                            " --disable-component-update --disable-sync --user-data-dir=" +
                            (dir.path() / "profile").string() + " ";
  std::string dom;
  REQUIRE(run_command("timeout 60 " + flags + "--dump-dom file://" + html.string() + " 2>/dev/null", &dom) == 0);
  CHECK(has(dom, "<h1>Availability and incidents</h1>"));
  CHECK(has(dom, "data-site=\"shop\""));
  CHECK(has(dom, "data-incident=\"" + id + "\""));
  CHECK(has(dom, "data-card=\"drills\"><b>1 of 1</b>"));
  const fs::path artifacts = fs::current_path() / "artifacts";
  fs::create_directories(artifacts);
  const fs::path shot = artifacts / "stakeholder-report.png";
  REQUIRE(run_command("timeout 60 " + flags + "--screenshot=" + shot.string() + " --window-size=1100,1300 file://" +
                          html.string() + " 2>/dev/null",
                      &out) == 0);
  CHECK(fs::file_size(shot) > 10000);
  MESSAGE("screenshot: " << shot.string());

  // Errors: no store for a config that never ran, bad flags.
  TempDir other;
  const std::string fresh = other.write("fresh.toml", std::regex_replace(config, std::regex("LISTEN_PORT"), "1"));
  CHECK(run_command(bin() + " report --config " + fresh, &out) == 1);
  CHECK(has(out, "no state store at"));
  CHECK(run_command(bin() + " report --config " + d.config_path + " --format pdf", &out) == 2);
  CHECK(run_command(bin() + " report --config " + d.config_path + " --since never", &out) == 2);
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}
