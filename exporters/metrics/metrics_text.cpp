#include "exporters/metrics/metrics_text.h"

#include <sstream>
#include <utility>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace synthprobe {

MetricsText::MetricsText(std::vector<const prometheus::Collectable*> sources, const CheckMetrics* checks)
    : sources_(std::move(sources)), checks_(checks) {}

bool MetricsText::next(std::string& out) {
  if (!sources_done_) {
    sources_done_ = true;
    // A few dozen series: one piece.
    const std::string text = render_metrics(sources_);
    if (!text.empty()) {
      out += text;
      return true;
    }
  }
  if (!checks_) return false;
  if (!writer_) writer_.emplace(*checks_);
  return writer_->write(out, kPieceBytes);
}

std::string render_metrics(const std::vector<const prometheus::Collectable*>& sources) {
  const prometheus::TextSerializer serializer;
  std::ostringstream out;
  for (const prometheus::Collectable* source : sources) {
    if (!source) continue;
    serializer.Serialize(out, source->Collect());
  }
  return std::move(out).str();
}

std::string render_metrics_text(std::vector<const prometheus::Collectable*> sources, const CheckMetrics* checks) {
  MetricsText text(std::move(sources), checks);
  std::string out;
  while (text.next(out)) {
  }
  return out;
}

}  // namespace synthprobe
