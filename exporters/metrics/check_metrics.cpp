#include "exporters/metrics/check_metrics.h"

#include "common/prefetch.h"
#include "exporters/metrics/check_numbers.h"

#include <algorithm>
#include <limits>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace synthprobe {

using namespace check_numbers;

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

// `step="<name>",` for each step of a flow.
std::vector<std::string> step_labels_of(const config::Check& check) {
  std::vector<std::string> out;
  for (const auto& name : step_names_of(check)) out.push_back(text_format::label_pair("step", name));
  return out;
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

CheckMetrics::CheckMetrics(std::string probe, std::string region)
    : probe_(std::move(probe)), region_(std::move(region)), set_(std::make_shared<const EntrySet>()) {}

CheckMetrics::~CheckMetrics() = default;

void CheckMetrics::configure(const std::vector<std::shared_ptr<const config::Check>>& checks) {
  std::shared_ptr<const EntrySet> old;
  {
    std::lock_guard lock(mutex_);
    old = set_;
  }
  // Entries are found again by their label text (the check's name is in it), then compared in full; each
  // old entry is reused at most once.
  std::unordered_multimap<std::string_view, std::size_t> by_labels;
  by_labels.reserve(old->entries.size());
  for (std::size_t i = 0; i < old->entries.size(); ++i) {
    if (const auto& e = old->entries[i]) by_labels.emplace(e->labels.text(), i);
  }
  std::vector<bool> taken(old->entries.size(), false);

  auto next = std::make_shared<EntrySet>();
  next->entries.reserve(checks.size());
  next->checks.reserve(checks.size());
  for (const auto& check : checks) {
    next->checks.push_back(check);
    if (!check) {
      next->entries.push_back(nullptr);
      continue;
    }
    text_format::LabelText labels(labels_of(*check, probe_, region_));
    std::vector<std::string> step_labels = step_labels_of(*check);
    std::shared_ptr<Entry> entry;
    const auto [first, last] = by_labels.equal_range(labels.text());
    for (auto it = first; it != last && !entry; ++it) {
      const std::size_t i = it->second;
      if (!taken[i] && old->entries[i]->same_identity(check->kind, labels, step_labels)) {
        taken[i] = true;
        entry = old->entries[i];
      }
    }
    if (!entry) entry = std::make_shared<Entry>(check->kind, std::move(labels), std::move(step_labels));
    next->entries.push_back(std::move(entry));
  }

  std::lock_guard lock(mutex_);
  set_ = std::move(next);
}

void CheckMetrics::prefetch(std::size_t index) const {
  // No lock: set_ is written only by configure(), on this thread; the entries' addresses never change.
  const EntrySet& set = *set_;
  if (index >= set.entries.size() || !set.entries[index]) return;
  prefetch_bytes(&set.entries[index]->numbers, sizeof(check_numbers::Numbers));
}

void CheckMetrics::record(std::size_t index, const RunResult& result, double now_unix_seconds) {
  const double version = http_version_number(result.http_version);
  std::lock_guard lock(mutex_);
  if (index >= set_->entries.size() || !set_->entries[index]) return;
  Entry& e = *set_->entries[index];
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
  if (index >= set_->entries.size() || !set_->entries[index]) return;
  set_->entries[index]->numbers.state = state;
}

std::size_t CheckMetrics::size() const {
  std::lock_guard lock(mutex_);
  return set_->entries.size();
}

CheckMetrics::Snapshot CheckMetrics::snapshot() const {
  Snapshot s;
  {
    std::lock_guard lock(mutex_);
    s.set = set_;
  }
  // Entries are shared with the live set, so their labels and step counts (fixed) are read freely; only
  // the numbers need the lock. Copy them a batch at a time: record() waits at most one batch.
  const EntrySet& set = *s.set;
  s.entries.reserve(set.entries.size());
  s.checks.reserve(set.entries.size());
  for (std::size_t i = 0; i < set.entries.size(); ++i) {
    if (!set.entries[i]) continue;
    s.entries.push_back(set.entries[i].get());
    s.checks.push_back(set.checks[i].get());
  }
  const std::size_t n = s.entries.size();
  s.first_step.resize(n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    s.first_step[i + 1] = s.first_step[i] + static_cast<std::uint32_t>(s.entries[i]->steps.size());
  }
  s.numbers.resize(n);
  s.steps.resize(s.first_step[n]);
  constexpr std::size_t kBatch = 256;
  for (std::size_t begin = 0; begin < n; begin += kBatch) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = begin; i < std::min(n, begin + kBatch); ++i) {
      s.numbers[i] = s.entries[i]->numbers;
      std::copy(s.entries[i]->steps.begin(), s.entries[i]->steps.end(), s.steps.begin() + s.first_step[i]);
    }
  }
  for (const Numbers& num : s.numbers) {
    s.ran += num.latest.ran ? 1 : 0;
    s.with_cert += num.latest.ran && num.latest.has_cert_expiry ? 1 : 0;
  }
  return s;
}

std::vector<MetricFamily> CheckMetrics::Collect() const {
  const Snapshot snap = snapshot();
  const std::size_t n = snap.entries.size();
  const std::vector<Numbers>& numbers = snap.numbers;
  auto steps_of = [&](std::size_t i) {
    return std::span<const StepLatest>(snap.steps.data() + snap.first_step[i], snap.first_step[i + 1] - snap.first_step[i]);
  };
  const std::size_t step_count = snap.steps.size();
  const std::size_t ran = snap.ran;

  // Label vectors from the configured checks themselves, not from the rendered text, so that comparing
  // this path with the text writer also checks the rendering.
  std::vector<Labels> labels(n);
  std::vector<std::vector<Labels>> step_labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = labels_of(*snap.checks[i], probe_, region_);
    for (const auto& name : step_names_of(*snap.checks[i])) step_labels[i].push_back(with(labels[i], "step", name));
  }

  std::vector<MetricFamily> out;
  out.reserve(kFamilies.size());
  auto family_of = [&](Family f, std::size_t reserve) {
    const FamilyInfo& fi = info(f);
    return family(std::string(fi.name), std::string(fi.help), fi.type, reserve);
  };

  // The latest-run gauges that flow steps repeat with their `step` label.
  auto per_step_gauge = [&](Family which, auto check_value, auto step_value) {
    MetricFamily f = family_of(which, ran + step_count);
    for (std::size_t i = 0; i < n; ++i) {
      if (!numbers[i].latest.ran) continue;
      add_gauge(f, labels[i], check_value(numbers[i].latest));
      const auto steps = steps_of(i);
      for (std::size_t s = 0; s < steps.size(); ++s) add_gauge(f, step_labels[i][s], step_value(steps[s]));
    }
    out.push_back(std::move(f));
  };
  per_step_gauge(
      Family::success, [](const Latest& l) { return l.success ? 1.0 : 0.0; },
      [](const StepLatest& s) { return s.success ? 1.0 : 0.0; });
  per_step_gauge(
      Family::duration, [](const Latest& l) { return l.duration; }, [](const StepLatest& s) { return s.duration; });
  per_step_gauge(
      Family::status_code, [](const Latest& l) { return static_cast<double>(l.status_code); },
      [](const StepLatest& s) { return static_cast<double>(s.status_code); });

  {  // All five phases exist from configure(), for checks and for every flow step.
    MetricFamily f = family_of(Family::phase_durations, (n + step_count) * kPhaseNames.size());
    for (std::size_t i = 0; i < n; ++i) {
      const auto values = phase_values(numbers[i].latest.phases);
      for (std::size_t p = 0; p < kPhaseNames.size(); ++p) {
        add_gauge(f, with(labels[i], "phase", kPhaseNames[p]), values[p]);
      }
      const auto steps = steps_of(i);
      for (std::size_t s = 0; s < steps.size(); ++s) {
        const auto step_values = phase_values(steps[s].phases);
        for (std::size_t p = 0; p < kPhaseNames.size(); ++p) {
          add_gauge(f, with(step_labels[i][s], "phase", kPhaseNames[p]), step_values[p]);
        }
      }
    }
    out.push_back(std::move(f));
  }

  auto latest_gauge = [&](Family which, auto present, auto value) {
    MetricFamily f = family_of(which, ran);
    for (std::size_t i = 0; i < n; ++i) {
      if (numbers[i].latest.ran && present(numbers[i].latest)) add_gauge(f, labels[i], value(numbers[i]));
    }
    out.push_back(std::move(f));
  };
  const auto always = [](const Latest&) { return true; };
  latest_gauge(Family::content_length, always,
               [](const Numbers& num) { return static_cast<double>(num.latest.body_bytes); });
  latest_gauge(Family::redirects, always, [](const Numbers& num) { return static_cast<double>(num.latest.redirects); });
  latest_gauge(Family::http_version, always, [](const Numbers& num) { return num.latest.http_version; });
  latest_gauge(Family::ssl, always, [](const Numbers& num) { return num.latest.tls ? 1.0 : 0.0; });
  latest_gauge(Family::failed_due_to_regex, always,
               [](const Numbers& num) { return num.latest.failed_due_to_regex ? 1.0 : 0.0; });
  latest_gauge(
      Family::cert_expiry, [](const Latest& l) { return l.has_cert_expiry; },
      [](const Numbers& num) { return static_cast<double>(num.latest.cert_expiry); });

  {
    MetricFamily f = family_of(Family::all_success, n);
    for (std::size_t i = 0; i < n; ++i) {
      ClientMetric& m = f.metric.emplace_back();
      m.label = labels[i];
      m.summary.sample_count = numbers[i].runs;
      m.summary.sample_sum = static_cast<double>(numbers[i].passed);
    }
    out.push_back(std::move(f));
  }
  {
    MetricFamily f = family_of(Family::all_duration, n);
    for (std::size_t i = 0; i < n; ++i) {
      ClientMetric& m = f.metric.emplace_back();
      m.label = labels[i];
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
    MetricFamily f = family_of(Family::failures, n * kAllReasons.size());
    for (std::size_t i = 0; i < n; ++i) {
      for (const Reason reason : kAllReasons) {
        add_counter(f, with(labels[i], "reason", to_string(reason)),
                    static_cast<double>(numbers[i].failures[static_cast<std::size_t>(reason)]));
      }
    }
    out.push_back(std::move(f));
  }
  {
    MetricFamily f = family_of(Family::degraded, n);
    for (std::size_t i = 0; i < n; ++i) add_counter(f, labels[i], static_cast<double>(numbers[i].degraded));
    out.push_back(std::move(f));
  }
  {
    MetricFamily f = family_of(Family::state, n);
    for (std::size_t i = 0; i < n; ++i) add_gauge(f, labels[i], static_cast<double>(numbers[i].state));
    out.push_back(std::move(f));
  }
  latest_gauge(Family::last_run, always, [](const Numbers& num) { return num.last_run; });

  // A family without samples would be a HELP and TYPE for nothing.
  std::erase_if(out, [](const MetricFamily& f) { return f.metric.empty(); });
  return out;
}

}  // namespace synthprobe
