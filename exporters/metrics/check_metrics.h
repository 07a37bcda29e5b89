#pragma once
// Per-check metrics (contract section 6): blackbox_exporter's latest-run gauges, availability counters,
// the duration histogram, failures by reason and the check's state, for every configured check and flow.
//
// State stays compact: plain numbers in one small struct per check and per flow step, updated by record()
// without allocations or label lookups. Label vectors are built once per check at configure(); metric
// families exist only during Collect(), which the HTTP server thread calls for a scrape.
//
// Series of one check (labels: check, site, area, probe, region, plus the merged `labels`; sorted by name):
// - from configure(): probe_http_duration_seconds for all five phases (0 until a run),
//   probe_all_success (summary), probe_all_duration_seconds (histogram), synthprobe_check_failures_total
//   for every reason, synthprobe_check_degraded_total, synthprobe_check_state (4, unknown);
// - from the first run on: probe_success, probe_duration_seconds, probe_http_status_code,
//   probe_http_content_length, probe_http_redirects, probe_http_version, probe_http_ssl,
//   probe_failed_due_to_regex, synthprobe_check_last_run_timestamp_seconds; a check that has not run yet
//   has no latest result, and a 0 would read as a failure;
// - probe_ssl_earliest_cert_expiry only while the latest run completed a TLS handshake and saw a
//   certificate (never a misleading 0).
// A flow's own series have no `step` label; each of its steps adds, with `step`, probe_success,
// probe_duration_seconds, probe_http_status_code (after a run; 0 for a step the run did not reach) and
// probe_http_duration_seconds{phase} (from configure()).
//
// Thread-safety: configure(), record() and set_state() belong to the check loop; Collect() may run on any
// thread at the same time. Collect() holds the lock only to copy numbers, a bounded batch of checks at a time,
// so a scrape of many checks never makes record() wait for long.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "config/config_model.h"
#include "probe/engine/run_result.h"

namespace synthprobe {

class CheckMetrics : public prometheus::Collectable {
 public:
  // Upper bounds of probe_all_duration_seconds, in seconds (+Inf is implicit).
  static constexpr std::array<double, 12> kDurationBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2.5,   5,    10,  30};

  enum class State { up = 0, failing = 1, down = 2, degraded = 3, unknown = 4 };

  CheckMetrics(std::string probe, std::string region);
  ~CheckMetrics() override;
  CheckMetrics(const CheckMetrics&) = delete;
  CheckMetrics& operator=(const CheckMetrics&) = delete;

  // Installs the checks after a (re)load; index i of record() and set_state() then means checks[i].
  // A check whose identity (name, kind, site, area, merged labels, step names) is unchanged keeps its
  // counters, state and latest values, whatever else changed; a removed check loses its series; a new
  // check starts from zero with state unknown. Null entries are skipped (their index records nothing).
  void configure(const std::vector<std::shared_ptr<const config::Check>>& checks);

  // Accounts one finished run of checks[index]. O(steps), no allocation. `result.steps` pairs with the
  // configured steps by position. An index out of range is ignored.
  void record(std::size_t index, const RunResult& result, double now_unix_seconds);

  // The health state machine's verdict, exported as synthprobe_check_state.
  void set_state(std::size_t index, State state);

  std::size_t size() const;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Entry;  // one configured check: its labels, fixed at configure(), and its numbers
  using EntrySet = std::vector<std::shared_ptr<Entry>>;

  std::string probe_;
  std::string region_;
  mutable std::mutex mutex_;                // guards set_ and every Entry's numbers
  std::shared_ptr<const EntrySet> set_;     // replaced, never changed, by configure()
};

}  // namespace synthprobe
