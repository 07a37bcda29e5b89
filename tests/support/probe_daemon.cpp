#include "tests/support/probe_daemon.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>

#include "tests/support/test_server.h"

namespace synthprobe::testing {
namespace {

std::string bin() {
  const char* b = std::getenv("SYNTHPROBE_BIN");
  REQUIRE_MESSAGE(b, "SYNTHPROBE_BIN is set by ctest");
  return b;
}

}  // namespace

ProbeDaemon::ProbeDaemon(const TempDir& dir, const std::string& folder, const std::string& config)
    : port_(closed_port()),
      config_path_(dir.write(folder + "/probe.toml",
                             std::regex_replace(config, std::regex("LISTEN_PORT"), std::to_string(port_)))),
      log_path_((dir.path() / folder / "daemon.log").string()),
      process_({bin(), "run", "--config", config_path_}, log_path_) {
  using namespace std::chrono_literals;
  REQUIRE_MESSAGE(eventually([&] { return http_request(url("/-/ready")).status == 200; }, 30s), log());
}

std::string ProbeDaemon::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string ProbeDaemon::url(std::string_view path) const { return "http://" + address() + std::string(path); }

std::string ProbeDaemon::metrics() const {
  HttpGetResult r = http_request(url("/metrics"));
  return r.status == 200 ? r.body : "";
}

std::string ProbeDaemon::log() const {
  std::ifstream in(log_path_);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace synthprobe::testing
