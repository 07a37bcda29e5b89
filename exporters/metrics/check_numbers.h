#pragma once
// CheckMetrics' insides, shared by its two writers: check_metrics.cpp (record(), and Collect(), the
// reference that goes through prometheus-cpp) and check_metrics_text.cpp (the text written straight from
// the numbers, which /metrics serves). Not a public header: include check_metrics.h.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_type.h>

#include "config/config_model.h"
#include "exporters/metrics/check_metrics.h"
#include "exporters/metrics/text_format.h"
#include "probe/engine/run_result.h"

namespace synthprobe::check_numbers {

// The per-check families, in the order both writers write them.
enum class Family : std::size_t {
  success,
  duration,
  status_code,
  phase_durations,
  content_length,
  redirects,
  http_version,
  ssl,
  failed_due_to_regex,
  cert_expiry,
  all_success,
  all_duration,
  failures,
  degraded,
  state,
  last_run,
};

struct FamilyInfo {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
};

inline constexpr std::array<FamilyInfo, 16> kFamilies{{
    {"probe_success", "Displays whether or not the probe was a success", prometheus::MetricType::Gauge},
    {"probe_duration_seconds", "Returns how long the probe took to complete in seconds",
     prometheus::MetricType::Gauge},
    {"probe_http_status_code", "Response HTTP status code (of the last step for a flow; 0 without response)",
     prometheus::MetricType::Gauge},
    {"probe_http_duration_seconds",
     "Duration of http request by phase, summed over all redirects (and steps, for a flow)",
     prometheus::MetricType::Gauge},
    {"probe_http_content_length", "Length of the http response body in bytes, as received",
     prometheus::MetricType::Gauge},
    {"probe_http_redirects", "The number of redirects", prometheus::MetricType::Gauge},
    {"probe_http_version", "Returns the version of HTTP of the probe response (0 without response)",
     prometheus::MetricType::Gauge},
    {"probe_http_ssl", "Indicates if SSL was used for the final redirect", prometheus::MetricType::Gauge},
    {"probe_failed_due_to_regex", "Indicates if probe failed due to regex", prometheus::MetricType::Gauge},
    {"probe_ssl_earliest_cert_expiry", "Returns earliest SSL cert expiry in unixtime",
     prometheus::MetricType::Gauge},
    {"probe_all_success", "Runs of the check (_count) and how many of them passed (_sum); degraded runs pass",
     prometheus::MetricType::Summary},
    {"probe_all_duration_seconds", "How long each run of the check took, in seconds",
     prometheus::MetricType::Histogram},
    // prometheus-cpp 1.0's TextSerializer writes a counter family's name as given (no `_total` added).
    {"synthprobe_check_failures_total", "Failed runs of the check, by reason", prometheus::MetricType::Counter},
    {"synthprobe_check_degraded_total", "Runs of the check that passed but were degraded",
     prometheus::MetricType::Counter},
    {"synthprobe_check_state", "State of the check: 0 up, 1 failing, 2 down, 3 degraded, 4 unknown",
     prometheus::MetricType::Gauge},
    {"synthprobe_check_last_run_timestamp_seconds",
     "When the latest run of the check finished, in seconds since the Unix epoch", prometheus::MetricType::Gauge},
}};

inline const FamilyInfo& info(Family f) { return kFamilies[static_cast<std::size_t>(f)]; }

inline constexpr std::array<std::string_view, 5> kPhaseNames{"resolve", "connect", "tls", "processing", "transfer"};

inline std::array<double, 5> phase_values(const Phases& p) {
  return {p.resolve, p.connect, p.tls, p.processing, p.transfer};
}

// The latest run of one check or flow (the flow's own values: summed phases, last status, ...).
struct Latest {
  Phases phases;
  double duration = 0;
  double http_version = 0;
  std::uint64_t body_bytes = 0;
  std::int64_t cert_expiry = 0;
  long status_code = 0;
  int redirects = 0;
  bool ran = false;  // a run has been recorded: the latest-run gauges exist
  bool success = false;
  bool tls = false;
  bool failed_due_to_regex = false;
  bool has_cert_expiry = false;  // the latest run completed a TLS handshake and saw a certificate
};

// The latest run of one flow step; zero when the run did not reach the step.
struct StepLatest {
  Phases phases;
  double duration = 0;
  long status_code = 0;
  bool success = false;
};

// Everything of one check that changes per run, apart from its steps. Trivially copyable: a snapshot is
// a plain copy.
struct Numbers {
  Latest latest;
  std::uint64_t runs = 0;
  std::uint64_t passed = 0;
  std::uint64_t degraded = 0;
  std::array<std::uint64_t, kAllReasons.size()> failures{};
  // Runs per bucket (not cumulative) of CheckMetrics::kDurationBuckets; runs above the last bound only
  // count in `runs`.
  std::array<std::uint64_t, CheckMetrics::kDurationBuckets.size()> buckets{};
  double duration_sum = 0;
  double last_run = 0;
  CheckMetrics::State state = CheckMetrics::State::unknown;
};

}  // namespace synthprobe::check_numbers

namespace synthprobe {

// One configured check: its labels, rendered as text once at configure(), and its numbers.
struct CheckMetrics::Entry {
  Entry(config::Check::Kind k, text_format::LabelText l, std::vector<std::string> s)
      : kind(k),
        labels(std::move(l)),
        phase_at(static_cast<std::uint32_t>(labels.at("phase"))),
        reason_at(static_cast<std::uint32_t>(labels.at("reason"))),
        step_at(static_cast<std::uint32_t>(labels.at("step"))),
        step_labels(std::move(s)),
        steps(step_labels.size()) {}

  bool same_identity(config::Check::Kind k, const text_format::LabelText& l, const std::vector<std::string>& s) const {
    return kind == k && labels == l && step_labels == s;
  }

  // Fixed at configure().
  const config::Check::Kind kind;
  const text_format::LabelText labels;  // check, site, area, probe, region and the merged labels
  const std::uint32_t phase_at, reason_at, step_at;  // where labels of these names go in labels.text()
  const std::vector<std::string> step_labels;  // flows only: `step="<name>",` per step

  // Guarded by CheckMetrics::mutex_. `steps` keeps its size for life: record() never allocates.
  check_numbers::Numbers numbers;
  std::vector<check_numbers::StepLatest> steps;
};

// What configure() installed: the entries, and the checks they were made from (Collect() builds its
// label vectors from those, independently of the rendered text).
struct CheckMetrics::EntrySet {
  std::vector<std::shared_ptr<Entry>> entries;
  std::vector<std::shared_ptr<const config::Check>> checks;
};

// A consistent copy of every configured check's numbers (each check's taken whole under the lock), for
// one scrape. Entries are shared with the live set: their fixed parts are read without the lock.
struct CheckMetrics::Snapshot {
  std::shared_ptr<const EntrySet> set;
  std::vector<const Entry*> entries;          // the configured ones, in order
  std::vector<const config::Check*> checks;   // with entries
  std::vector<check_numbers::Numbers> numbers;  // with entries
  std::vector<std::uint32_t> first_step;      // into steps: entry i's are [first_step[i], first_step[i + 1])
  std::vector<check_numbers::StepLatest> steps;
  std::size_t ran = 0;        // entries with a latest run
  std::size_t with_cert = 0;  // of those, with a certificate expiry
};

}  // namespace synthprobe
