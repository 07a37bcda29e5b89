// What ships beside the binary must work: example configs load, the Prometheus rules pass promtool's
// checks and unit tests, and the example Prometheus and Alertmanager configs pass promtool and amtool.
// (rule_fixtures_test holds the rules, their test inputs and the Grafana dashboard against a real scrape;
// multi_region_test runs the rules and the dashboard's queries in a real Prometheus scraping two probes;
// package_test checks the same files as the .deb installs them.)
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string_view>

#include "config/config_loader.h"
#include "tests/support/temp_dir.h"

using namespace synthprobe;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

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
  for (const char* name : {"config/examples/full.toml", "config/examples/minimal.toml", "config/examples/demo.toml",
                           "deploy/systemd/synthprobe.toml"}) {
    CAPTURE(name);
    config::LoadResult r = config::load_config_file(source_dir() + "/" + name, getenv);
    for (const auto& e : r.errors) FAIL_CHECK(e.to_string());
    CHECK(r.config.has_value());
  }
}

TEST_CASE("the probe config of README's multi-region walk-through loads") {
  const std::string readme = read_file(source_dir() + "/README.md");
  const std::string begin = "cat > /etc/synthprobe/synthprobe.toml <<'EOF'\n";
  const auto from = readme.find(begin);
  REQUIRE(from != std::string::npos);
  const auto to = readme.find("\n   EOF\n", from);
  REQUIRE(to != std::string::npos);
  // The heredoc as the shell writes it: the lines without the list item's indentation.
  std::string config;
  std::istringstream in(readme.substr(from + begin.size(), to - from - begin.size() + 1));
  for (std::string line; std::getline(in, line);) config += (line.starts_with("   ") ? line.substr(3) : line) + "\n";
  testing::TempDir tmp;
  auto getenv = [](const char* name) -> const char* {
    return std::string_view(name) == "SYNTHPROBE_API_TOKEN" ? "0123456789abcdef0123456789abcdef" : nullptr;
  };
  config::LoadResult r = config::load_config_file(tmp.write("synthprobe.toml", config), getenv);
  for (const auto& e : r.errors) FAIL_CHECK(e.to_string());
  REQUIRE(r.config.has_value());
  CHECK(r.config->probe.listen == ":9464");
  CHECK(r.config->probe.state_dir == "/var/lib/synthprobe");
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

TEST_CASE("the example scrape config and Alertmanager config pass promtool and amtool") {
  const std::string dir = source_dir() + "/deploy";
  // The scrape example loads the rules from where the package installs them: point it at the source tree.
  std::string scrape = read_file(dir + "/prometheus/scrape.example.yml");
  for (const char* installed : {"/usr/share/synthprobe/prometheus/", "/etc/prometheus/"})
    scrape = std::regex_replace(scrape, std::regex(installed), dir + "/prometheus/");
  testing::TempDir tmp;
  std::string out;
  CHECK_MESSAGE(testing::run_command("promtool check config " + tmp.write("prometheus.yml", scrape), &out) == 0, out);
  CHECK_MESSAGE(out.find("SUCCESS: 2 rule files found") != std::string::npos, out);
  CHECK_MESSAGE(testing::run_command("amtool check-config " + dir + "/alertmanager/alertmanager.example.yml", &out) == 0, out);
}
