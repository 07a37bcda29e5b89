#pragma once
// The Prometheus text exposition (format 0.0.4) of any number of collectables, as /metrics serves it.

#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Collectable;
}

namespace synthprobe {

// The Content-Type /metrics answers with.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Collects each source in turn and serializes its families with prometheus::TextSerializer, one source's
// families alive at a time. Family names must be unique across sources (each family is written once, with
// all its samples together, as the format requires). Null sources are skipped. Thread-safe as far as each
// source's Collect() is; never touches the check loop beyond what Collect() does.
std::string render_metrics(const std::vector<const prometheus::Collectable*>& sources);

}  // namespace synthprobe
