#include "probe/engine/phase_timings.h"

#include <algorithm>

namespace synthprobe {
namespace {

double span_seconds(std::int64_t from_us, std::int64_t to_us) {
  if (to_us <= 0 || to_us < from_us) return 0.0;
  return static_cast<double>(to_us - from_us) / 1e6;
}

}  // namespace

Phases compute_phases(const CurlTimes& t) {
  Phases p;
  p.resolve = static_cast<double>(std::max<std::int64_t>(0, t.lookup_us)) / 1e6 + span_seconds(0, t.namelookup_us);
  p.connect = span_seconds(t.namelookup_us, t.connect_us);
  p.tls = t.appconnect_us > 0 ? span_seconds(t.connect_us, t.appconnect_us) : 0.0;
  const std::int64_t connected = std::max(t.connect_us, t.appconnect_us);
  p.processing = t.starttransfer_us > 0 ? span_seconds(connected, t.starttransfer_us) : 0.0;
  p.transfer = t.starttransfer_us > 0 ? span_seconds(t.starttransfer_us, t.total_us) : 0.0;
  return p;
}

}  // namespace synthprobe
