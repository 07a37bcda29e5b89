#pragma once
// `synthprobe run` (the binary in $SYNTHPROBE_BIN) for end-to-end tests. The config is written to
// dir/<folder>/probe.toml with LISTEN_PORT replaced by a free loopback port, so relative paths such as
// state_dir land in that folder and several probes can share one TempDir. The constructor returns once
// /-/ready answers 200; the destructor kills the process if it still runs.

#include <string>
#include <string_view>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace synthprobe::testing {

class ProbeDaemon {
 public:
  ProbeDaemon(const TempDir& dir, const std::string& folder, const std::string& config);

  unsigned short port() const { return port_; }
  std::string address() const;  // 127.0.0.1:PORT
  std::string url(std::string_view path) const;
  std::string metrics() const;  // GET /metrics, "" when it does not answer 200
  std::string log() const;
  ChildProcess& process() { return process_; }

 private:
  unsigned short port_;
  std::string config_path_;
  std::string log_path_;
  ChildProcess process_;
};

}  // namespace synthprobe::testing
