#include "exporters/metrics/check_metrics.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace synthprobe {

namespace {

using Label = prometheus::ClientMetric::Label;
using Labels = std::vector<Label>;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Label names the probe sets itself; a user label of the same name would make series ambiguous (the config
// loader already rejects them; this guards checks built in code).
constexpr std::array<std::string_view, 12> kOwnLabels{"area",  "check",  "instance", "job", "le",    "phase",
                                                      "probe", "quantile", "reason", "region", "site", "step"};

// Failure counters are indexed by the Reason's value.
static_assert([] {
  for (std::size_t i = 0; i < kAllReasons.size(); ++i) {
    if (static_cast<std::size_t>(kAllReasons[i]) != i) return false;
  }
  return true;
}());

constexpr std::array<std::string_view, 5> kPhaseNames{"resolve", "connect", "tls", "processing", "transfer"};

std::array<double, 5> phase_values(const Phases& p) {
  return {p.resolve, p.connect, p.tls, p.processing, p.transfer};
}

// "1.1" -> 1.1, "2" -> 2, anything else or absent -> 0, like blackbox_exporter's probe_http_version.
// Hand-rolled: libstdc++'s from_chars(double) goes through strtod and a locale switch, too slow per run.
double http_version_number(std::string_view version) {
  std::uint64_t digits = 0;
  std::uint64_t scale = 1;
  bool dot = false;
  if (version.empty() || version.size() > 8) return 0;
  for (const char c : version) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c >= '0' && c <= '9') {
      digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
      if (dot) scale *= 10;
    } else {
      return 0;
    }
  }
  // Exact integers divided once: correctly rounded, so "1.1" is the same double as the literal 1.1.
  return static_cast<double>(digits) / static_cast<double>(scale);
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

Labels labels_of(const config::Check& check, const std::string& probe, const std::string& region) {
  Labels labels{{"area", check.area},
                {"check", check.name},
                {"probe", probe},
                {"region", region},
                {"site", check.site}};
  labels.reserve(labels.size() + check.labels.size());
  for (const auto& [name, value] : check.labels) {
    if (std::find(kOwnLabels.begin(), kOwnLabels.end(), name) == kOwnLabels.end()) labels.push_back({name, value});
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

std::vector<std::string> step_names_of(const config::Check& check) {
  std::vector<std::string> names;
  if (check.kind != config::Check::Kind::flow) return names;  // a check's single step is the check itself
  names.reserve(check.steps.size());
  for (const auto& step : check.steps) names.push_back(step.name);
  return names;
}

// `base` (sorted by name) with one more label, keeping the order.
Labels with(const Labels& base, std::string_view name, std::string_view value) {
  Labels out;
  out.reserve(base.size() + 1);
  const auto at = std::lower_bound(base.begin(), base.end(), name,
                                   [](const Label& label, std::string_view n) { return label.name < n; });
  out.insert(out.end(), base.begin(), at);
  out.push_back({std::string(name), std::string(value)});
  out.insert(out.end(), at, base.end());
  return out;
}

MetricFamily family(std::string name, std::string help, MetricType type, std::size_t reserve) {
  MetricFamily f{std::move(name), std::move(help), type, {}};
  f.metric.reserve(reserve);
  return f;
}

void add_gauge(MetricFamily& f, Labels labels, double value) {
  ClientMetric& m = f.metric.emplace_back();
  m.label = std::move(labels);
  m.gauge.value = value;
}

void add_counter(MetricFamily& f, Labels labels, double value) {
  ClientMetric& m = f.metric.emplace_back();
  m.label = std::move(labels);
  m.counter.value = value;
}

}  // namespace

struct CheckMetrics::Entry {
  Entry(config::Check::Kind k, Labels l, std::vector<std::string> s)
      : kind(k), labels(std::move(l)), step_names(std::move(s)), steps(step_names.size()) {}

  const std::string& name() const {
    return std::find_if(labels.begin(), labels.end(), [](const Label& l) { return l.name == "check"; })->value;
  }

  bool same_identity(config::Check::Kind k, const Labels& l, const std::vector<std::string>& s) const {
    return kind == k && labels == l && step_names == s;
  }

  // Fixed at configure().
  const config::Check::Kind kind;
  const Labels labels;  // sorted by name
  const std::vector<std::string> step_names;  // flows only

  // Guarded by CheckMetrics::mutex_. `steps` keeps its size for life: record() never allocates.
  Numbers numbers;
  std::vector<StepLatest> steps;
};

CheckMetrics::CheckMetrics(std::string probe, std::string region)
    : probe_(std::move(probe)), region_(std::move(region)), set_(std::make_shared<const EntrySet>()) {}

CheckMetrics::~CheckMetrics() = default;

void CheckMetrics::configure(const std::vector<std::shared_ptr<const config::Check>>& checks) {
  std::shared_ptr<const EntrySet> old;
  {
    std::lock_guard lock(mutex_);
    old = set_;
  }
  // Entries are found again by name, then compared in full; each old entry is reused at most once.
  std::unordered_multimap<std::string_view, std::size_t> by_name;
  by_name.reserve(old->size());
  for (std::size_t i = 0; i < old->size(); ++i) {
    if (const auto& e = (*old)[i]) by_name.emplace(e->name(), i);
  }
  std::vector<bool> taken(old->size(), false);

  auto next = std::make_shared<EntrySet>();
  next->reserve(checks.size());
  for (const auto& check : checks) {
    if (!check) {
      next->push_back(nullptr);
      continue;
    }
    Labels labels = labels_of(*check, probe_, region_);
    std::vector<std::string> step_names = step_names_of(*check);
    std::shared_ptr<Entry> entry;
    const auto [first, last] = by_name.equal_range(check->name);
    for (auto it = first; it != last && !entry; ++it) {
      const std::size_t i = it->second;
      if (!taken[i] && (*old)[i]->same_identity(check->kind, labels, step_names)) {
        taken[i] = true;
        entry = (*old)[i];
      }
    }
    if (!entry) entry = std::make_shared<Entry>(check->kind, std::move(labels), std::move(step_names));
    next->push_back(std::move(entry));
  }

  std::lock_guard lock(mutex_);
  set_ = std::move(next);
}

void CheckMetrics::record(std::size_t index, const RunResult& result, double now_unix_seconds) {
  const double version = http_version_number(result.http_version);
  std::lock_guard lock(mutex_);
  if (index >= set_->size() || !(*set_)[index]) return;
  Entry& e = *(*set_)[index];
  Numbers& n = e.numbers;

  Latest& l = n.latest;
  l.ran = true;
  l.success = result.success;
  l.duration = result.duration_seconds;
  l.status_code = result.status_code;
  l.phases = result.phases;
  l.body_bytes = result.body_bytes;
  l.redirects = result.redirects;
  l.http_version = version;
  l.tls = result.tls_used;
  l.failed_due_to_regex = result.failed_due_to_regex;
  l.has_cert_expiry = result.tls_used && result.cert_expiry_unix.has_value();
  l.cert_expiry = l.has_cert_expiry ? *result.cert_expiry_unix : 0;

  for (std::size_t i = 0; i < e.steps.size(); ++i) {
    StepLatest& s = e.steps[i];
    const StepResult* r = i < result.steps.size() ? &result.steps[i] : nullptr;
    if (r && r->success.has_value()) {
      s.success = *r->success;
      s.duration = r->duration_seconds;
      s.status_code = r->status_code;
      s.phases = r->phases;
    } else {
      s = StepLatest{};
    }
  }

  ++n.runs;
  if (result.success) ++n.passed;
  if (result.degraded) ++n.degraded;
  if (!result.success && result.reason) {
    const auto reason = static_cast<std::size_t>(*result.reason);
    if (reason < n.failures.size()) ++n.failures[reason];
  }
  for (std::size_t b = 0; b < kDurationBuckets.size(); ++b) {
    if (result.duration_seconds <= kDurationBuckets[b]) {
      ++n.buckets[b];
      break;
    }
  }
  n.duration_sum += result.duration_seconds;
  n.last_run = now_unix_seconds;
}

void CheckMetrics::set_state(std::size_t index, State state) {
  std::lock_guard lock(mutex_);
  if (index >= set_->size() || !(*set_)[index]) return;
  (*set_)[index]->numbers.state = state;
}

std::size_t CheckMetrics::size() const {
  std::lock_guard lock(mutex_);
  return set_->size();
}

std::vector<MetricFamily> CheckMetrics::Collect() const {
  std::shared_ptr<const EntrySet> set;
  {
    std::lock_guard lock(mutex_);
    set = set_;
  }
  // Entries are shared with the live set, so their labels and step counts (fixed) are read freely; only
  // the numbers need the lock. Copy them a batch at a time: record() waits at most one batch.
  std::vector<const Entry*> entries;
  entries.reserve(set->size());
  for (const auto& e : *set) {
    if (e) entries.push_back(e.get());
  }
  const std::size_t n = entries.size();
  std::vector<Numbers> numbers(n);
  std::vector<std::vector<StepLatest>> steps(n);
  std::size_t step_count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    steps[i].resize(entries[i]->steps.size());
    step_count += steps[i].size();
  }
  constexpr std::size_t kBatch = 256;
  for (std::size_t begin = 0; begin < n; begin += kBatch) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = begin; i < std::min(n, begin + kBatch); ++i) {
      numbers[i] = entries[i]->numbers;
      std::copy(entries[i]->steps.begin(), entries[i]->steps.end(), steps[i].begin());
    }
  }

  // Everything below works on the copies, without the lock.
  std::vector<std::vector<Labels>> step_labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    step_labels[i].reserve(entries[i]->step_names.size());
    for (const auto& name : entries[i]->step_names) step_labels[i].push_back(with(entries[i]->labels, "step", name));
  }
  std::size_t ran = 0;
  for (const auto& num : numbers) ran += num.latest.ran ? 1 : 0;

  std::vector<MetricFamily> out;
  out.reserve(16);

  // The latest-run gauges that flow steps repeat with their `step` label.
  auto per_step_gauge = [&](std::string name, std::string help, auto check_value, auto step_value) {
    MetricFamily f = family(std::move(name), std::move(help), MetricType::Gauge, ran + step_count);
    for (std::size_t i = 0; i < n; ++i) {
      if (!numbers[i].latest.ran) continue;
      add_gauge(f, entries[i]->labels, check_value(numbers[i].latest));
      for (std::size_t s = 0; s < steps[i].size(); ++s) add_gauge(f, step_labels[i][s], step_value(steps[i][s]));
    }
    out.push_back(std::move(f));
  };
  per_step_gauge(
      "probe_success", "Displays whether or not the probe was a success",
      [](const Latest& l) { return l.success ? 1.0 : 0.0; },
      [](const StepLatest& s) { return s.success ? 1.0 : 0.0; });
  per_step_gauge(
      "probe_duration_seconds", "Returns how long the probe took to complete in seconds",
      [](const Latest& l) { return l.duration; }, [](const StepLatest& s) { return s.duration; });
  per_step_gauge(
      "probe_http_status_code", "Response HTTP status code (of the last step for a flow; 0 without response)",
      [](const Latest& l) { return static_cast<double>(l.status_code); },
      [](const StepLatest& s) { return static_cast<double>(s.status_code); });

  {  // All five phases exist from configure(), for checks and for every flow step.
    MetricFamily f = family("probe_http_duration_seconds",
                            "Duration of http request by phase, summed over all redirects (and steps, for a flow)",
                            MetricType::Gauge, (n + step_count) * kPhaseNames.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto values = phase_values(numbers[i].latest.phases);
      for (std::size_t p = 0; p < kPhaseNames.size(); ++p) {
        add_gauge(f, with(entries[i]->labels, "phase", kPhaseNames[p]), values[p]);
      }
      for (std::size_t s = 0; s < steps[i].size(); ++s) {
        const auto step_values = phase_values(steps[i][s].phases);
        for (std::size_t p = 0; p < kPhaseNames.size(); ++p) {
          add_gauge(f, with(step_labels[i][s], "phase", kPhaseNames[p]), step_values[p]);
        }
      }
    }
    out.push_back(std::move(f));
  }

  auto latest_gauge = [&](std::string name, std::string help, auto present, auto value) {
    MetricFamily f = family(std::move(name), std::move(help), MetricType::Gauge, ran);
    for (std::size_t i = 0; i < n; ++i) {
      if (numbers[i].latest.ran && present(numbers[i].latest)) add_gauge(f, entries[i]->labels, value(numbers[i]));
    }
    out.push_back(std::move(f));
  };
  const auto always = [](const Latest&) { return true; };
  latest_gauge("probe_http_content_length", "Length of the http response body in bytes, as received", always,
               [](const Numbers& num) { return static_cast<double>(num.latest.body_bytes); });
  latest_gauge("probe_http_redirects", "The number of redirects", always,
               [](const Numbers& num) { return static_cast<double>(num.latest.redirects); });
  latest_gauge("probe_http_version", "Returns the version of HTTP of the probe response (0 without response)",
               always, [](const Numbers& num) { return num.latest.http_version; });
  latest_gauge("probe_http_ssl", "Indicates if SSL was used for the final redirect", always,
               [](const Numbers& num) { return num.latest.tls ? 1.0 : 0.0; });
  latest_gauge("probe_failed_due_to_regex", "Indicates if probe failed due to regex", always,
               [](const Numbers& num) { return num.latest.failed_due_to_regex ? 1.0 : 0.0; });
  latest_gauge(
      "probe_ssl_earliest_cert_expiry", "Returns earliest SSL cert expiry in unixtime",
      [](const Latest& l) { return l.has_cert_expiry; },
      [](const Numbers& num) { return static_cast<double>(num.latest.cert_expiry); });

  {
    MetricFamily f = family("probe_all_success",
                            "Runs of the check (_count) and how many of them passed (_sum); degraded runs pass",
                            MetricType::Summary, n);
    for (std::size_t i = 0; i < n; ++i) {
      ClientMetric& m = f.metric.emplace_back();
      m.label = entries[i]->labels;
      m.summary.sample_count = numbers[i].runs;
      m.summary.sample_sum = static_cast<double>(numbers[i].passed);
    }
    out.push_back(std::move(f));
  }
  {
    MetricFamily f = family("probe_all_duration_seconds", "How long each run of the check took, in seconds",
                            MetricType::Histogram, n);
    for (std::size_t i = 0; i < n; ++i) {
      ClientMetric& m = f.metric.emplace_back();
      m.label = entries[i]->labels;
      m.histogram.sample_count = numbers[i].runs;
      m.histogram.sample_sum = numbers[i].duration_sum;
      m.histogram.bucket.reserve(kDurationBuckets.size() + 1);
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < kDurationBuckets.size(); ++b) {
        cumulative += numbers[i].buckets[b];
        m.histogram.bucket.push_back({cumulative, kDurationBuckets[b]});
      }
      m.histogram.bucket.push_back({numbers[i].runs, std::numeric_limits<double>::infinity()});
    }
    out.push_back(std::move(f));
  }
  {
    // prometheus-cpp 1.0's TextSerializer writes a counter family's name as given (no `_total` added).
    MetricFamily f = family("synthprobe_check_failures_total", "Failed runs of the check, by reason",
                            MetricType::Counter, n * kAllReasons.size());
    for (std::size_t i = 0; i < n; ++i) {
      for (const Reason reason : kAllReasons) {
        add_counter(f, with(entries[i]->labels, "reason", to_string(reason)),
                    static_cast<double>(numbers[i].failures[static_cast<std::size_t>(reason)]));
      }
    }
    out.push_back(std::move(f));
  }
  {
    MetricFamily f = family("synthprobe_check_degraded_total", "Runs of the check that passed but were degraded",
                            MetricType::Counter, n);
    for (std::size_t i = 0; i < n; ++i) add_counter(f, entries[i]->labels, static_cast<double>(numbers[i].degraded));
    out.push_back(std::move(f));
  }
  {
    MetricFamily f = family("synthprobe_check_state",
                            "State of the check: 0 up, 1 failing, 2 down, 3 degraded, 4 unknown",
                            MetricType::Gauge, n);
    for (std::size_t i = 0; i < n; ++i) add_gauge(f, entries[i]->labels, static_cast<double>(numbers[i].state));
    out.push_back(std::move(f));
  }
  latest_gauge("synthprobe_check_last_run_timestamp_seconds",
               "When the latest run of the check finished, in seconds since the Unix epoch", always,
               [](const Numbers& num) { return num.last_run; });

  // A family without samples would be a HELP and TYPE for nothing.
  std::erase_if(out, [](const MetricFamily& f) { return f.metric.empty(); });
  return out;
}

}  // namespace synthprobe
