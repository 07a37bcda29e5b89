// What ships beside the binary must work: example configs load, the Prometheus rules pass promtool's
// checks and unit tests, and the Grafana dashboard queries only metrics the probe exports.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config/config_loader.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe;

namespace {

std::string source_dir() {
  const char* d = std::getenv("SYNTHPROBE_SOURCE_DIR");
  REQUIRE(d);
  return d;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void collect_exprs(const boost::json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, x] : v.as_object()) {
      if (k == "expr" && x.is_string()) out.emplace_back(x.as_string());
      collect_exprs(x, out);
    }
  } else if (v.is_array()) {
    for (const auto& x : v.as_array()) collect_exprs(x, out);
  }
}

}  // namespace

TEST_CASE("example configs load") {
  const std::map<std::string, std::string> env{{"SHOP_PW", "pw"},          {"API_TOKEN", "t"},
                                               {"PD_ROUTING_KEY", "k"},    {"OPSGENIE_API_KEY", "o"},
                                               {"WEBHOOK_TOKEN", "w"},     {"SLACK_WEBHOOK_URL", "https://hooks.example.com/x"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  for (const char* name : {"full.toml", "minimal.toml", "demo.toml"}) {
    CAPTURE(name);
    config::LoadResult r = config::load_config_file(source_dir() + "/config/examples/" + name, getenv);
    for (const auto& e : r.errors) FAIL_CHECK(e.to_string());
    CHECK(r.config.has_value());
  }
}

TEST_CASE("Prometheus rules pass promtool check and their unit tests") {
  const std::string dir = source_dir() + "/deploy/prometheus";
  std::string out;
  CHECK_MESSAGE(testing::run_command("promtool check rules " + dir + "/synthprobe-rules.yml", &out) == 0, out);
  CHECK_MESSAGE(testing::run_command("cd " + dir + " && promtool test rules synthprobe-rules.test.yml", &out) == 0, out);
}

TEST_CASE("the Grafana dashboard queries only metrics synthprobe exports") {
  const std::set<std::string> exported{
      "probe_success", "probe_duration_seconds", "probe_http_status_code", "probe_http_duration_seconds",
      "probe_http_content_length", "probe_http_redirects", "probe_http_version", "probe_http_ssl",
      "probe_failed_due_to_regex", "probe_ssl_earliest_cert_expiry", "probe_all_success_sum",
      "probe_all_success_count", "probe_all_duration_seconds_bucket", "probe_all_duration_seconds_sum",
      "probe_all_duration_seconds_count", "synthprobe_check_failures_total", "synthprobe_check_degraded_total",
      "synthprobe_check_state", "synthprobe_check_last_run_timestamp_seconds", "synthprobe_incident_open",
      "synthprobe_incidents_total", "synthprobe_notifications_total", "synthprobe_notification_queue",
      "synthprobe_build_info", "synthprobe_checks_configured", "synthprobe_checks_in_flight",
      "synthprobe_scheduler_lag_seconds_bucket", "synthprobe_checks_delayed_total",
      "synthprobe_config_last_reload_successful", "synthprobe_config_last_reload_success_timestamp_seconds"};
  const boost::json::value dash = boost::json::parse(read(source_dir() + "/deploy/grafana/synthprobe-dashboard.json"));
  std::vector<std::string> exprs;
  collect_exprs(dash, exprs);
  REQUIRE(exprs.size() >= 10);
  // Metric names: identifiers with an underscore that are followed by a selector, not PromQL functions.
  const std::regex metric(R"(\b((?:probe|synthprobe)_[a-z_]+)\b)");
  for (const std::string& e : exprs) {
    for (auto it = std::sregex_iterator(e.begin(), e.end(), metric); it != std::sregex_iterator(); ++it) {
      CAPTURE(e);
      CHECK_MESSAGE(exported.contains((*it)[1]), (*it)[1]);
    }
  }
}
