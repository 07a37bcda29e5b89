#pragma once
// Dead man's switches (contract section 8, [[heartbeat]]): each URL is pinged every interval while checks
// are being run; when nothing ran since the last ping, it stays silent so the receiver raises the alarm.

#include <chrono>
#include <cstdint>
#include <vector>

#include "common/log.h"
#include "config/config_model.h"
#include "probe/engine/curl_multi.h"

namespace synthprobe {

class Heartbeats {
 public:
  using Clock = std::chrono::system_clock;

  Heartbeats(CurlMulti& multi, const Logger& logger) : multi_(multi), logger_(logger) {}

  void configure(const std::vector<config::Heartbeat>& heartbeats, Clock::time_point now);
  void note_run() { ++runs_; }
  // About once a second.
  void tick(Clock::time_point now);

 private:
  CurlMulti& multi_;
  const Logger& logger_;
  std::vector<config::Heartbeat> heartbeats_;
  std::vector<Clock::time_point> next_;
  std::vector<std::uint64_t> runs_at_ping_;  // per heartbeat: runs_ when it last pinged
  std::uint64_t runs_ = 0;
};

}  // namespace synthprobe
