#include "tests/support/alertmanager.h"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/support/test_server.h"

namespace synthprobe::testing {

Alertmanager::Alertmanager(const TempDir& dir, const std::string& folder, const std::string& config)
    : port_(closed_port()),
      config_path_(dir.write(folder + "/alertmanager.yml", config)),
      log_path_((dir.path() / folder / "alertmanager.log").string()),
      process_({kAlertmanagerBinary, "--config.file=" + config_path_,
                "--storage.path=" + (dir.path() / folder / "data").string(),
                "--web.listen-address=" + address(), "--cluster.listen-address="},
               log_path_) {
  using namespace std::chrono_literals;
  REQUIRE_MESSAGE(eventually([&] { return http_request(url("/-/ready")).status == 200; }, 30s), log());
}

std::string Alertmanager::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string Alertmanager::url(const std::string& path) const { return "http://" + address() + path; }

std::string Alertmanager::log() const {
  std::ifstream in(log_path_);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<boost::json::object> Alertmanager::alerts() const {
  std::vector<boost::json::object> out;
  const HttpGetResult r = http_request(url("/api/v2/alerts"));
  if (r.status != 200) return out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& a : v.as_array())
    if (a.is_object()) out.push_back(a.as_object());
  return out;
}

}  // namespace synthprobe::testing
