#pragma once
// A real Alertmanager (Debian's prometheus-alertmanager) on loopback for end-to-end tests, clustering
// off, with the routing config the test gives. The constructor returns once /-/ready answers 200; the
// destructor kills the process.

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace synthprobe::testing {

inline constexpr const char* kAlertmanagerBinary = "/usr/bin/prometheus-alertmanager";

class Alertmanager {
 public:
  // `config` is alertmanager.yml; it and the storage go under dir/<folder>.
  Alertmanager(const TempDir& dir, const std::string& folder, const std::string& config);

  std::string address() const;  // 127.0.0.1:PORT
  std::string url(const std::string& path) const;
  std::string log() const;
  // GET /api/v2/alerts: every alert it holds (active, silenced or inhibited), empty when it does not answer.
  std::vector<boost::json::object> alerts() const;

 private:
  unsigned short port_;
  std::string config_path_;
  std::string log_path_;
  ChildProcess process_;
};

}  // namespace synthprobe::testing
