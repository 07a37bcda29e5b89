#pragma once
// The Prometheus text exposition (format 0.0.4) that /metrics serves.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/metrics/check_metrics.h"

namespace prometheus {
class Collectable;
}

namespace synthprobe {

// The Content-Type /metrics answers with.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// The /metrics body, written a piece at a time for the HTTP server to send as it goes: first every family
// of `sources` (prometheus-cpp collectables such as the registry of self and incident metrics, serialized
// with prometheus::TextSerializer), then the per-check families of `checks`, written straight from its
// numbers (CheckMetrics::TextWriter). The same bytes as render_metrics({sources..., checks}), without
// ever holding them whole. Nothing is collected or copied before the first next(). Family names must be
// unique across sources. Null sources and a null `checks` are skipped. Use it on one thread at a time;
// the sources and `checks` must outlive it.
class MetricsText {
 public:
  // About this much per piece (whole lines: a piece may run over by one check's lines).
  static constexpr std::size_t kPieceBytes = 128 * 1024;

  MetricsText(std::vector<const prometheus::Collectable*> sources, const CheckMetrics* checks);

  // Appends the next piece to `out`; false once the body is complete (nothing appended).
  bool next(std::string& out);

 private:
  std::vector<const prometheus::Collectable*> sources_;
  const CheckMetrics* checks_;
  bool sources_done_ = false;
  std::optional<CheckMetrics::TextWriter> writer_;
};

// The reference: collects each source in turn (CheckMetrics included, through Collect()) and serializes
// its families with prometheus::TextSerializer, one source's families alive at a time. Tests compare
// MetricsText with it; for many checks it is slow and takes gigabytes (see check_metrics.h).
std::string render_metrics(const std::vector<const prometheus::Collectable*>& sources);

// MetricsText's pieces joined: the whole body as one string.
std::string render_metrics_text(std::vector<const prometheus::Collectable*> sources, const CheckMetrics* checks);

}  // namespace synthprobe
