// `synthprobe run` as deployed: scheduled runs, /metrics checked by promtool and scraped by a real
// Prometheus, the status API, reload (valid and invalid), and a graceful SIGTERM.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/process.h"
#include "tests/support/exposition.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string bin() {
  const char* b = std::getenv("SYNTHPROBE_BIN");
  REQUIRE(b);
  return b;
}

TestServer::Handler shop() {
  return [](const TestRequest& req) {
    TestResponse r;
    if (req.target == "/down") r.status = 503;
    if (req.target == "/slow") r.delay = 1500ms;
    r.body = "shop page";
    return r;
  };
}

// LISTEN_PORT is replaced by the daemon's port when the file is written.
std::string config_text(const TestServer& server, const std::string& checks) {
  return "[probe]\nname = \"daemon-test\"\nregion = \"test-region\"\nlisten = \"127.0.0.1:LISTEN_PORT\"\n\n[[site]]\nname = \"shop\"\nlabels = { team = \"web\" }\nvars = { base = \"" +
         server.url("") + "\" }\nopen_after = 1\n\n[defaults]\ninterval = \"1s\"\ntimeout = \"900ms\"\n\n" + checks;
}

const std::string kTwoChecks = R"(
[[check]]
name = "home"
site = "shop"
area = "storefront"
url = "${base}/"

[[check]]
name = "broken"
site = "shop"
url = "${base}/down"
)";

// A started daemon, its log and its URL.
struct Daemon {
  Daemon(const TempDir& dir, const std::string& config)
      : port(closed_port()),
        config_path(dir.write("probe.toml", config_with_port(config))),
        log_path((dir.path() / "daemon.log").string()),
        process({bin(), "run", "--config", config_path}, log_path) {
    REQUIRE_MESSAGE(eventually([&] { return http_request(url("/-/ready")).status == 200; }, 20s), log());
  }
  std::string config_with_port(std::string text) const {
    return std::regex_replace(text, std::regex("LISTEN_PORT"), std::to_string(port));
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  std::string metrics() const { return http_request(url("/metrics")).body; }
  std::string log() const {
    std::ifstream in(log_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void rewrite(const std::string& text) const { std::ofstream(config_path) << config_with_port(text); }

  unsigned short port;
  std::string config_path;
  std::string log_path;
  ChildProcess process;
};

bool has_line(const std::string& text, const std::string& prefix) {
  return text.find("\n" + prefix) != std::string::npos || text.rfind(prefix, 0) == 0;
}

std::string sample_prefix(const std::string& name, const std::string& check, const std::string& area) {
  return name + "{area=\"" + area + "\",check=\"" + check +
         "\",probe=\"daemon-test\",region=\"test-region\",site=\"shop\",team=\"web\"} ";
}

}  // namespace

TEST_CASE("metrics after scheduled runs pass promtool and carry known values") {
  TestServer server(shop());
  TempDir dir;
  Daemon d(dir, config_text(server, kTwoChecks));

  // Two runs of each at a 1s interval.
  REQUIRE_MESSAGE(eventually([&] { return server.requests() >= 4; }, 15s), d.log());
  REQUIRE(eventually([&] { return has_line(d.metrics(), sample_prefix("probe_http_status_code", "broken", "broken") + "503"); }, 10s));
  const std::string text = d.metrics();
  CHECK(has_line(text, sample_prefix("probe_success", "home", "storefront") + "1"));
  CHECK(has_line(text, sample_prefix("probe_success", "broken", "broken") + "0"));
  CHECK(has_line(text, sample_prefix("synthprobe_check_state", "broken", "broken") + "2"));  // open_after = 1
  CHECK(synthprobe::testing::sample_value(text, "synthprobe_checks_configured{probe=\"daemon-test\",region=\"test-region\"}") == 2.0);
  CHECK(synthprobe::testing::sample_value(text, "synthprobe_build_info{probe=\"daemon-test\",region=\"test-region\"}") == 1.0);
  CHECK(text.find("synthprobe_scheduler_lag_seconds_bucket") != std::string::npos);
  // An idle loop runs with the whole of max_in_flight (default 1,000).
  CHECK(synthprobe::testing::sample_value(text, "synthprobe_checks_in_flight_limit") == 1000.0);
  CHECK(text.find("job=") == std::string::npos);
  CHECK(text.find("instance=") == std::string::npos);
  // processing happened, so it is not zero
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(R"(probe_http_duration_seconds\{area="storefront",check="home",phase="processing",[^}]*\} ([0-9.e+-]+))")));
  CHECK(std::stod(m[1]) > 0.0);

  const std::string file = dir.write("metrics.txt", text);
  std::string out;
  const int rc = run_command("promtool check metrics < " + file, &out);
  CHECK_MESSAGE(rc == 0, out);
  CHECK_MESSAGE(out.empty(), out);

  CHECK(http_request(d.url("/-/healthy")).status == 200);
  CHECK(http_request(d.url("/nope")).status == 404);

  const json::value status = json::parse(http_request(d.url("/api/status")).body);
  CHECK(status.at("probe") == "daemon-test");
  const json::object& site = status.at("sites").at(0).as_object();
  CHECK(site.at("name") == "shop");
  CHECK(site.at("state") == "partial_outage");
  const json::array& checks = site.at("checks").as_array();
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].at("name") == "home");
  CHECK(checks[0].at("state") == "up");
  CHECK(checks[0].at("uptime_1h").as_double() == doctest::Approx(1.0));
  CHECK(checks[1].at("state") == "down");
  CHECK(checks[1].at("last_result").at("reason") == "status");
  CHECK(http_request(d.url("/status/operator")).body.find("<h2>shop") != std::string::npos);
  CHECK(http_request(d.url("/status")).body.find("<h1>shop</h1>") != std::string::npos);

  d.process.signal(SIGTERM);
  CHECK(d.process.wait(20s) == std::optional<int>(0));
  CHECK(d.log().find("check=broken") != std::string::npos);  // its state change was logged
}

TEST_CASE("reload: a valid change adds and removes series; an invalid one keeps the old config") {
  TestServer server(shop());
  TempDir dir;
  Daemon d(dir, config_text(server, kTwoChecks));
  REQUIRE(eventually([&] { return d.metrics().find("check=\"broken\"") != std::string::npos; }, 10s));

  d.rewrite(config_text(server, R"(
[[check]]
name = "home"
site = "shop"
area = "storefront"
url = "${base}/"

[[check]]
name = "search"
site = "shop"
url = "${base}/search"
)"));
  const HttpGetResult ok = http_request(d.url("/-/reload"), true);
  CHECK(ok.status == 200);
  std::string text = d.metrics();
  CHECK(text.find("check=\"broken\"") == std::string::npos);
  CHECK(text.find("check=\"search\"") != std::string::npos);
  CHECK(synthprobe::testing::sample_value(text, "synthprobe_config_last_reload_successful") == 1.0);

  d.rewrite("[[check]]\nname = \"x\"\nsite = \"nowhere\"\nurl = \"ftp://x\"\n");
  const HttpGetResult bad = http_request(d.url("/-/reload"), true);
  CHECK(bad.status == 400);
  CHECK(bad.body.find("probe.toml:") != std::string::npos);
  text = d.metrics();
  CHECK(synthprobe::testing::sample_value(text, "synthprobe_config_last_reload_successful") == 0.0);
  CHECK(text.find("check=\"search\"") != std::string::npos);  // the old config keeps running
  CHECK(http_request(d.url("/-/reload")).status == 405);     // GET is not a reload

  // SIGHUP reloads too, and a new max_in_flight is the in-flight limit at once.
  std::string limited = config_text(server, kTwoChecks);
  limited.replace(limited.find("[probe]\n"), 8, "[probe]\nmax_in_flight = 5\n");
  d.rewrite(limited);
  d.process.signal(SIGHUP);
  CHECK(eventually([&] { return d.metrics().find("check=\"broken\"") != std::string::npos; }, 10s));
  CHECK(eventually([&] { return synthprobe::testing::sample_value(d.metrics(), "synthprobe_checks_in_flight_limit") == 5.0; }, 10s));
}

TEST_CASE("reload: settings that only a restart applies are named in the log, and the old ones stay") {
  TestServer server(shop());
  TempDir dir;
  const auto with_state_dir = [&](const std::string& name) {
    std::string text = config_text(server, kTwoChecks);
    const std::string probe = "[probe]\n";
    return text.insert(text.find(probe) + probe.size(), "state_dir = \"" + (dir.path() / name).string() + "\"\n");
  };
  Daemon d(dir, with_state_dir("state-a"));
  REQUIRE(std::filesystem::exists(dir.path() / "state-a" / "synthprobe.db"));

  d.rewrite(with_state_dir("state-b"));
  CHECK(http_request(d.url("/-/reload"), true).status == 200);
  CHECK(eventually([&] { return d.log().find("probe.state_dir changed; it takes effect at the next restart") != std::string::npos; }, 5s));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "state-b"));  // the store stays where it was opened
  CHECK(synthprobe::testing::sample_value(d.metrics(), "synthprobe_config_last_reload_successful") == 1.0);
}

TEST_CASE("SIGTERM lets the in-flight run finish, then exits 0") {
  TestServer server(shop());
  TempDir dir;
  Daemon d(dir, config_text(server, R"(
[[check]]
name = "slow"
site = "shop"
url = "${base}/slow"
interval = "10s"
timeout = "5s"
)"));
  // The first run starts within the interval (spread by name); wait until the server has the request.
  REQUIRE_MESSAGE(eventually([&] { return server.requests() >= 1; }, 15s), d.log());
  const auto signalled = std::chrono::steady_clock::now();
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(20s) == std::optional<int>(0));
  // The server delays 1.5s: exiting at once would have cut the run short.
  CHECK(std::chrono::steady_clock::now() - signalled >= 500ms);
  CHECK(d.log().find("msg=stopped") != std::string::npos);
}

TEST_CASE("a real Prometheus scrapes probe_success for every check with the contract's labels") {
  REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/prometheus"), "prometheus is installed by scripts/install-deps.sh");
  TestServer server(shop());
  TempDir dir;
  Daemon d(dir, config_text(server, kTwoChecks));

  const unsigned short prom_port = closed_port();
  const std::string prom_config = dir.write(
      "prometheus.yml", "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: synthprobe\n    static_configs:\n"
                        "      - targets: ['127.0.0.1:" + std::to_string(d.port) + "']\n");
  ChildProcess prometheus({"/usr/bin/prometheus", "--config.file=" + prom_config,
                           "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                          (dir.path() / "prometheus.log").string());
  const std::string query =
      "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=probe_success%7Bstep%3D%22%22%7D";
  json::array series;
  const bool found = eventually(
      [&] {
        HttpGetResult r = http_request(query);
        if (r.status != 200) return false;
        series = json::parse(r.body).at("data").at("result").as_array();
        return series.size() == 2;
      },
      60s);
  REQUIRE_MESSAGE(found, "Prometheus never returned both series");
  for (const auto& s : series) {
    const json::object& labels = s.at("metric").as_object();
    for (const char* name : {"check", "site", "area", "probe", "region", "team"}) CHECK(labels.contains(name));
    CHECK(labels.at("probe") == "daemon-test");
    CHECK(labels.at("region") == "test-region");
    CHECK(labels.at("job") == "synthprobe");  // set by Prometheus, never by the probe
  }
}

TEST_CASE("reload is for operators' tools, not for web pages: browser requests are refused, a token is honoured") {
  TestServer server(shop());
  TempDir dir;
  {
    Daemon d(dir, config_text(server, kTwoChecks));
    CHECK(http_request(d.url("/-/reload")).status == 405);  // GET
    CHECK(http_request(d.url("/-/reload"), true).status == 200);  // curl -X POST
    // What a cross-site form or fetch would send.
    CHECK(http_request(d.url("/-/reload"), true, {"Content-Type: application/x-www-form-urlencoded"}).status == 403);
    CHECK(http_request(d.url("/-/reload"), true, {"Content-Type: text/plain"}).status == 403);
    CHECK(http_request(d.url("/-/reload"), true, {"Origin: https://evil.example"}).status == 403);
    CHECK(http_request(d.url("/metrics"), true).status == 405);
    const auto head = http_request(d.url("/metrics"), false, {}, "HEAD");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    d.process.signal(SIGTERM);
    CHECK(d.process.wait(30s) == std::optional<int>(0));
  }
  TempDir dir2;
  const std::string with_token = std::regex_replace(config_text(server, kTwoChecks), std::regex("\\[\\[site\\]\\]"),
                                                    "api_token = \"correct-horse-battery-staple\"\n\n[[site]]", std::regex_constants::format_first_only);
  Daemon d(dir2, with_token);
  CHECK(http_request(d.url("/-/reload"), true).status == 401);
  CHECK(http_request(d.url("/-/reload"), true, {"Authorization: Bearer wrong-token-wrong-token"}).status == 401);
  CHECK(http_request(d.url("/-/reload"), true, {"Authorization: Bearer correct-horse-battery-staple"}).status == 200);
  CHECK(d.log().find("correct-horse-battery-staple") == std::string::npos);
  d.process.signal(SIGTERM);
  CHECK(d.process.wait(30s) == std::optional<int>(0));
}
