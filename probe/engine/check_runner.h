#pragma once
// Runs checks and flows to completion on one CurlMulti: many runs at once, each its steps in order,
// retried as a whole while it fails and its timeout leaves time, and bounded by that timeout. A step whose
// URL names a host is looked up first by the runner's DnsResolver on the same io_context, and curl is
// handed the address (Host and SNI stay the name); the lookup counts in the step's resolve phase, its
// duration and its timeout.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "config/config_model.h"
#include "probe/engine/curl_multi.h"
#include "probe/engine/dns_cache.h"
#include "probe/engine/dns_resolver.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

// Hears the end of runs started with CheckRunner::run(check, receiver, id, run): the caller's own numbers
// come back with the result, so a run costs no closure.
class RunReceiver {
 public:
  virtual void on_run_done(std::uint32_t id, std::uint64_t run, RunResult&& result) = 0;

 protected:
  ~RunReceiver() = default;
};

class CheckRunner {
 public:
  using Done = std::function<void(RunResult&&)>;

  // `dns`: where host names are looked up (`[probe] dns_servers`; default: resolv.conf and /etc/hosts).
  explicit CheckRunner(CurlMulti& multi, const DnsResolver::Options& dns = {});
  ~CheckRunner();
  CheckRunner(const CheckRunner&) = delete;
  CheckRunner& operator=(const CheckRunner&) = delete;

  // Starts one run of `check`; `done` is called on the io_context's thread when it ends.
  // The check is shared so a reload that drops it cannot pull it from under a run.
  void run(std::shared_ptr<const config::Check> check, Done done);
  // The same, reported to `receiver` (which must outlive the run) with `id` and `run`. The hot path:
  // no allocation per run once the runner has warmed up.
  void run(std::shared_ptr<const config::Check> check, RunReceiver& receiver, std::uint32_t id, std::uint64_t run);

  std::size_t in_flight() const { return in_flight_; }
  // Finished runs waiting in the pool for the next ones (tests, diagnostics).
  std::size_t idle_runs() const { return idle_runs_.size(); }

 private:
  class Run;
  friend class Run;

  Run* take_run();
  void recycle(Run* run);

  CurlMulti& multi_;
  std::mt19937_64 rng_;
  std::size_t in_flight_ = 0;
  // Finished runs kept for the next ones (their buffers, strings and header lists keep their capacity);
  // bounded by the most runs ever in flight at once, and by kMaxIdleRuns.
  std::vector<std::unique_ptr<Run>> idle_runs_;
  // Answers for checks with fresh_connection = false, kept for their TTL.
  DnsCache dns_cache_;
  // Last: destroyed first, it abandons the runs still waiting for an answer while the multi is still there.
  DnsResolver resolver_;
};

}  // namespace synthprobe
