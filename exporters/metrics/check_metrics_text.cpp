// CheckMetrics::TextWriter: the per-check families as exposition text, straight from a snapshot of the
// numbers. Every line is what prometheus::TextSerializer writes for the same series of Collect() (see
// text_format.h for how it writes values and labels); families come in Collect()'s order, each with its
// HELP and TYPE, and a family without samples is left out, as Collect() leaves it out.

#include <algorithm>
#include <limits>
#include <optional>
#include <span>

#include "exporters/metrics/check_metrics.h"
#include "exporters/metrics/check_numbers.h"
#include "exporters/metrics/text_format.h"

namespace synthprobe {

using namespace check_numbers;
using text_format::append_count;
using text_format::append_double;
using text_format::append_series;

namespace {

std::string_view type_name(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Histogram: return "histogram";
    case prometheus::MetricType::Untyped: break;
  }
  return "untyped";
}

// What does not depend on the checks: the extra labels' text and the suffixed sample names.
struct Constants {
  std::array<std::string, kPhaseNames.size()> phase;
  std::array<std::string, kAllReasons.size()> reason;
  std::array<std::string, CheckMetrics::kDurationBuckets.size() + 1> le;  // the last one is +Inf
  std::string success_count, success_sum, duration_count, duration_sum, duration_bucket;

  Constants() {
    for (std::size_t p = 0; p < kPhaseNames.size(); ++p) phase[p] = text_format::label_pair("phase", kPhaseNames[p]);
    for (const Reason r : kAllReasons) reason[static_cast<std::size_t>(r)] = text_format::label_pair("reason", to_string(r));
    // The bounds are written as TextSerializer writes a double label value: as a sample value.
    for (std::size_t b = 0; b <= CheckMetrics::kDurationBuckets.size(); ++b) {
      std::string bound;
      append_double(bound, b < CheckMetrics::kDurationBuckets.size() ? CheckMetrics::kDurationBuckets[b]
                                                                      : std::numeric_limits<double>::infinity());
      le[b] = text_format::label_pair("le", bound);
    }
    const std::string_view all_success = info(Family::all_success).name;
    const std::string_view all_duration = info(Family::all_duration).name;
    success_count = std::string(all_success) + "_count";
    success_sum = std::string(all_success) + "_sum";
    duration_count = std::string(all_duration) + "_count";
    duration_sum = std::string(all_duration) + "_sum";
    duration_bucket = std::string(all_duration) + "_bucket";
  }
};

const Constants& constants() {
  static const Constants c;
  return c;
}

}  // namespace

struct CheckMetrics::TextWriter::State {
  explicit State(const CheckMetrics& m) : metrics(m), k(constants()) {}

  const CheckMetrics& metrics;
  const Constants& k;
  std::optional<Snapshot> snap;  // taken at the first write()
  std::size_t family = 0;        // the family being written, an index of kFamilies
  std::size_t entry = 0;         // its next entry
  bool started = false;          // its HELP and TYPE are written

  std::size_t samples_in(Family f) const {
    switch (f) {
      case Family::success:
      case Family::duration:
      case Family::status_code:
      case Family::content_length:
      case Family::redirects:
      case Family::http_version:
      case Family::ssl:
      case Family::failed_due_to_regex:
      case Family::last_run:
        return snap->ran;
      case Family::cert_expiry:
        return snap->with_cert;
      case Family::phase_durations:
      case Family::all_success:
      case Family::all_duration:
      case Family::failures:
      case Family::degraded:
      case Family::state:
        return snap->entries.size();
    }
    return 0;
  }

  static void header(std::string& out, const FamilyInfo& f) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
  }

  static void value(std::string& out, double v) {
    append_double(out, v);
    out += '\n';
  }

  static void count(std::string& out, std::uint64_t v) {
    append_count(out, v);
    out += '\n';
  }

  // Every line of entry i in family f.
  void write_entry(std::string& out, Family f, std::size_t i) const {
    const Entry& e = *snap->entries[i];
    const Numbers& n = snap->numbers[i];
    const Latest& l = n.latest;
    const std::string_view name = info(f).name;
    const std::string_view labels = e.labels.text();
    const std::span<const StepLatest> steps(snap->steps.data() + snap->first_step[i],
                                            snap->first_step[i + 1] - snap->first_step[i]);
    auto gauge = [&](double v) {
      append_series(out, name, labels);
      value(out, v);
    };
    auto per_step = [&](double check_value, auto step_value) {
      gauge(check_value);
      for (std::size_t s = 0; s < steps.size(); ++s) {
        append_series(out, name, labels, e.step_at, e.step_labels[s]);
        value(out, step_value(steps[s]));
      }
    };
    switch (f) {
      case Family::success:
        if (l.ran) per_step(l.success ? 1.0 : 0.0, [](const StepLatest& s) { return s.success ? 1.0 : 0.0; });
        return;
      case Family::duration:
        if (l.ran) per_step(l.duration, [](const StepLatest& s) { return s.duration; });
        return;
      case Family::status_code:
        if (l.ran) {
          per_step(static_cast<double>(l.status_code),
                   [](const StepLatest& s) { return static_cast<double>(s.status_code); });
        }
        return;
      case Family::phase_durations: {
        const auto values = phase_values(l.phases);
        for (std::size_t p = 0; p < kPhaseNames.size(); ++p) {
          append_series(out, name, labels, e.phase_at, k.phase[p]);
          value(out, values[p]);
        }
        for (std::size_t s = 0; s < steps.size(); ++s) {
          const auto step_values = phase_values(steps[s].phases);
          for (std::size_t p = 0; p < kPhaseNames.size(); ++p) {
            // "phase" sorts before "step": phase_at <= step_at.
            append_series(out, name, labels, e.phase_at, k.phase[p], e.step_at, e.step_labels[s]);
            value(out, step_values[p]);
          }
        }
        return;
      }
      case Family::content_length:
        if (l.ran) gauge(static_cast<double>(l.body_bytes));
        return;
      case Family::redirects:
        if (l.ran) gauge(static_cast<double>(l.redirects));
        return;
      case Family::http_version:
        if (l.ran) gauge(l.http_version);
        return;
      case Family::ssl:
        if (l.ran) gauge(l.tls ? 1.0 : 0.0);
        return;
      case Family::failed_due_to_regex:
        if (l.ran) gauge(l.failed_due_to_regex ? 1.0 : 0.0);
        return;
      case Family::cert_expiry:
        if (l.ran && l.has_cert_expiry) gauge(static_cast<double>(l.cert_expiry));
        return;
      case Family::all_success:
        append_series(out, k.success_count, labels);
        count(out, n.runs);
        append_series(out, k.success_sum, labels);
        value(out, static_cast<double>(n.passed));
        return;
      case Family::all_duration: {
        append_series(out, k.duration_count, labels);
        count(out, n.runs);
        append_series(out, k.duration_sum, labels);
        value(out, n.duration_sum);
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < kDurationBuckets.size(); ++b) {
          cumulative += n.buckets[b];
          // TextSerializer puts `le` after the series' own labels, whatever their names.
          append_series(out, k.duration_bucket, labels, labels.size(), k.le[b]);
          count(out, cumulative);
        }
        append_series(out, k.duration_bucket, labels, labels.size(), k.le.back());
        count(out, n.runs);
        return;
      }
      case Family::failures:
        for (std::size_t r = 0; r < kAllReasons.size(); ++r) {
          append_series(out, name, labels, e.reason_at, k.reason[r]);
          value(out, static_cast<double>(n.failures[r]));
        }
        return;
      case Family::degraded:
        gauge(static_cast<double>(n.degraded));
        return;
      case Family::state:
        gauge(static_cast<double>(n.state));
        return;
      case Family::last_run:
        if (l.ran) gauge(n.last_run);
        return;
    }
  }

  bool write(std::string& out, std::size_t bytes) {
    if (!snap) snap = metrics.snapshot();
    const std::size_t start = out.size();
    const std::size_t n = snap->entries.size();
    bytes = std::max<std::size_t>(bytes, 1);
    while (family < kFamilies.size() && out.size() - start < bytes) {
      const auto f = static_cast<Family>(family);
      if (!started) {
        if (samples_in(f) == 0) {
          ++family;
          continue;
        }
        header(out, info(f));
        started = true;
      }
      while (entry < n && out.size() - start < bytes) write_entry(out, f, entry++);
      if (entry == n) {
        ++family;
        entry = 0;
        started = false;
      }
    }
    return out.size() > start;
  }
};

CheckMetrics::TextWriter::TextWriter(const CheckMetrics& metrics) : state_(std::make_unique<State>(metrics)) {}
CheckMetrics::TextWriter::~TextWriter() = default;
CheckMetrics::TextWriter::TextWriter(TextWriter&&) noexcept = default;
CheckMetrics::TextWriter& CheckMetrics::TextWriter::operator=(TextWriter&&) noexcept = default;

bool CheckMetrics::TextWriter::write(std::string& out, std::size_t bytes) { return state_->write(out, bytes); }

}  // namespace synthprobe
