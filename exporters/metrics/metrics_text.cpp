#include "exporters/metrics/metrics_text.h"

#include <sstream>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace synthprobe {

std::string render_metrics(const std::vector<const prometheus::Collectable*>& sources) {
  const prometheus::TextSerializer serializer;
  std::ostringstream out;
  for (const prometheus::Collectable* source : sources) {
    if (!source) continue;
    serializer.Serialize(out, source->Collect());
  }
  return std::move(out).str();
}

}  // namespace synthprobe
