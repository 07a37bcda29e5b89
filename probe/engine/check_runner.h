#pragma once
// Runs checks and flows to completion on one CurlMulti: many runs at once, each its steps in order,
// retried as a whole while it fails and its timeout leaves time, and bounded by that timeout.

#include <cstddef>
#include <functional>
#include <memory>
#include <random>

#include "config/config_model.h"
#include "probe/engine/curl_multi.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

class CheckRunner {
 public:
  using Done = std::function<void(RunResult&&)>;

  explicit CheckRunner(CurlMulti& multi);

  // Starts one run of `check`; `done` is called on the io_context's thread when it ends.
  // The check is shared so a reload that drops it cannot pull it from under a run.
  void run(std::shared_ptr<const config::Check> check, Done done);

  std::size_t in_flight() const { return in_flight_; }

 private:
  class Run;
  friend class Run;

  CurlMulti& multi_;
  std::mt19937_64 rng_;
  std::size_t in_flight_ = 0;
};

}  // namespace synthprobe
