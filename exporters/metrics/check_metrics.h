#pragma once
// Per-check metrics (contract section 6): blackbox_exporter's latest-run gauges, availability counters,
// the duration histogram, failures by reason and the check's state, for every configured check and flow.
//
// State stays compact: plain numbers in one small struct per check and per flow step, updated by record()
// without allocations or label lookups. Each check's labels are rendered once, as exposition text, at
// configure(). A scrape (on the HTTP server's thread) reads them through a TextWriter, which writes the
// text straight from a copy of the numbers, piece by piece; Collect() builds prometheus-cpp's metric
// families instead, and TextSerializer makes of them the same bytes (tests compare the two). Collect() is
// the reference: for 100,000 checks it allocates gigabytes and serializes for a quarter of a minute.
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
// Thread-safety: configure(), record() and set_state() belong to the check loop; TextWriters and Collect()
// may run on any thread at the same time. Both copy every check's numbers first (each check's whole, so a
// run is never half counted), holding the lock for a bounded batch of checks at a time, so a scrape of
// many checks never makes record() wait for long; then they work on the copy without the lock.

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

  // A hint, no effect on the numbers: starts loading the check's numbers, which record(index) and
  // set_state(index) write (a flow's steps are not asked for), so a run's end finds them in the cache.
  // From the thread that calls configure() (the check loop), which alone replaces the installed set.
  void prefetch(std::size_t index) const;

  // The health state machine's verdict, exported as synthprobe_check_state.
  void set_state(std::size_t index, State state);

  std::size_t size() const;

  // The reference path: every series as prometheus-cpp metric families.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // The same families as Prometheus text (format 0.0.4), byte for byte what prometheus::TextSerializer
  // writes for Collect(), written from the numbers without building families. The numbers are copied at
  // the first write(); the text is then written a piece at a time. A writer keeps what it copied (about
  // 300 bytes per check) until it is destroyed, and stays valid across configure().
  class TextWriter {
   public:
    explicit TextWriter(const CheckMetrics& metrics);
    ~TextWriter();
    TextWriter(TextWriter&&) noexcept;
    TextWriter& operator=(TextWriter&&) noexcept;

    // Appends the next lines to `out`: whole lines, at least `bytes` of them unless the text ends first.
    // False when nothing was left to write.
    bool write(std::string& out, std::size_t bytes);

   private:
    struct State;
    std::unique_ptr<State> state_;
  };

 private:
  struct Entry;     // one configured check: its labels, fixed at configure(), and its numbers
  struct EntrySet;  // what configure() installed
  struct Snapshot;  // a copy of the numbers for one scrape

  Snapshot snapshot() const;

  std::string probe_;
  std::string region_;
  mutable std::mutex mutex_;                // guards set_ and every Entry's numbers
  std::shared_ptr<const EntrySet> set_;     // replaced, never changed, by configure()
};

}  // namespace synthprobe
