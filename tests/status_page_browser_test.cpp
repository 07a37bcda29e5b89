// The customer status page in a real browser (headless Chromium, a fresh profile, started by the test)
// through a scripted outage: what it shows at each stage, read from the DOM after the page's own script
// ran, with desktop and phone screenshots kept as test artifacts (build/tests/artifacts/).
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "tests/support/incident_fixture.h"

using namespace synthprobe::testing;
using namespace synthprobe::testing::e2e;

namespace {

const char* const kChromium = "/usr/bin/chromium";

std::string chromium(const TempDir& dir, const std::string& what) {
  static int profile = 0;
  const std::string flags = std::string(kChromium) +
                            " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                            " --disable-background-networking --disable-component-update --disable-sync"
                            " --user-data-dir=" + (dir.path() / ("profile-" + std::to_string(profile++))).string() + " ";
  std::string out;
  const int rc = run_command("timeout 60 " + flags + what + " 2>/dev/null", &out);
  REQUIRE_MESSAGE(rc == 0, out);
  return out;
}

std::string dom(const TempDir& dir, const std::string& url) { return chromium(dir, "--dump-dom " + url); }

void screenshot(const TempDir& dir, const std::string& url, const std::string& name, int width, int height) {
  const fs::path artifacts = fs::current_path() / "artifacts";
  fs::create_directories(artifacts);
  const fs::path file = artifacts / (name + ".png");
  chromium(dir, "--screenshot=" + file.string() + " --window-size=" + std::to_string(width) + "," +
                    std::to_string(height) + " " + url);
  CHECK(fs::file_size(file) > 10000);
  MESSAGE("screenshot: " << file.string());
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("the status page through an outage, as customers see it in a browser") {
  if (!fs::exists(kChromium)) {
    MESSAGE("skipped: " << kChromium << " is not installed (scripts/install-deps.sh test installs it)");
    return;
  }
  Shop shop;
  TempDir dir;
  // Check names differ from their areas, so the page can be seen to show areas only.
  const std::string config = probe_header() + site_table("shop", shop.base()) +
                             check_table("home-page", "shop", "storefront", "P3", "/") +
                             check_table("search-api", "shop", "search", "P3", "/search") +
                             check_table("cart-api", "shop", "checkout", "P2", "/checkout");
  Daemon d(dir, config);
  REQUIRE_MESSAGE(eventually([&] { return d.all_up(3); }, 30s), d.log());
  const std::string url = d.url("/status");
  // Runs reach the uptime bars through the store (rollups handed over every second, committed lazily):
  // wait until today's bar of every area has them.
  REQUIRE_MESSAGE(eventually([&] {
                    const json::value twin = json::parse(http_request(d.url("/status.json")).body);
                    for (const auto& c : twin.at("sites").at(0).at("components").as_array())
                      if (c.at("days").as_array().back().at("availability").is_null()) return false;
                    return true;
                  }, 30s),
                  d.log());

  std::string page = dom(dir, url);
  CHECK(has(page, "All systems operational"));
  CHECK(has(page, "data-area=\"checkout\" data-state=\"operational\""));
  CHECK(has(page, "No incidents in the last 14 days."));
  CHECK(has(page, "class=\"bar ok\""));  // today's runs already count
  CHECK(!has(page, "data-incident=\"open\""));
  screenshot(dir, url, "status-healthy-desktop", 1280, 1000);

  shop.set_down("/checkout", true);
  REQUIRE_MESSAGE(eventually([&] { return !d.incidents().empty(); }, 30s), d.log());
  page = dom(dir, url);
  CHECK(has(page, "data-state=\"partial_outage\">Partial outage</div>"));
  CHECK(has(page, "data-area=\"checkout\" data-state=\"major_outage\""));
  CHECK(has(page, "data-area=\"storefront\" data-state=\"operational\""));
  CHECK(has(page, "Partial outage affecting checkout"));
  CHECK(has(page, "We are currently experiencing technical issues and are working to resolve them."));
  // Nothing for operators only: no check names, no URLs, no error texts, no internal summary.
  for (const char* hidden : {"cart-api", "home-page", "127.0.0.1", "status 503", "not in [2xx]", "checkout down", ">P2<"}) {
    CHECK_MESSAGE(!has(page, hidden), hidden << " in " << page);
  }
  // The page's script shows times in the reader's zone; the original UTC stays in the title.
  CHECK(has(page, "title=\""));
  screenshot(dir, url, "status-outage-desktop", 1280, 1000);
  screenshot(dir, url, "status-outage-phone", 390, 1100);
  const json::value twin = json::parse(http_request(d.url("/status.json")).body);
  CHECK(twin.at("sites").at(0).at("status") == "partial_outage");
  CHECK(twin.at("sites").at(0).at("incident").at("title") == "Partial outage affecting checkout");
  CHECK(twin.at("sites").at(0).at("components").at(0).at("days").as_array().size() == 90);

  shop.heal();
  REQUIRE_MESSAGE(eventually([&] {
                    const auto list = d.incidents();
                    return !list.empty() && !list[0].at("resolved_at").is_null();
                  }, 30s),
                  d.log());
  page = dom(dir, url);
  CHECK(has(page, "All systems operational"));
  CHECK(has(page, "data-incident=\"resolved\""));
  CHECK(has(page, "resolved after"));
  screenshot(dir, url, "status-resolved-phone", 390, 1100);

  // The operator view keeps every check beside it.
  CHECK(has(http_request(d.url("/status/operator")).body, "cart-api"));
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}
