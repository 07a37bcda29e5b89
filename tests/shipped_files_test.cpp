// What ships beside the binary must work: example configs load, and the Prometheus rules pass promtool's
// checks and unit tests. (rule_fixtures_test holds the rules, their test inputs and the Grafana dashboard
// against a real scrape; multi_region_test runs the rules and the dashboard's queries in a real Prometheus
// scraping two probes.)
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "config/config_loader.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe;

namespace {

std::string source_dir() {
  const char* d = std::getenv("SYNTHPROBE_SOURCE_DIR");
  REQUIRE(d);
  return d;
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
  for (const char* rules : {"synthprobe-rules.yml", "synthprobe-slo-objectives.yml"})
    CHECK_MESSAGE(testing::run_command("promtool check rules " + dir + "/" + rules, &out) == 0, out);
  std::size_t tests = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".test.yml")) continue;
    ++tests;
    CHECK_MESSAGE(testing::run_command("cd " + dir + " && promtool test rules " + file, &out) == 0, file << "\n" << out);
  }
  CHECK(tests == 2);  // synthprobe-rules.test.yml, synthprobe-slo.test.yml
}
