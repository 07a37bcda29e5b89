#pragma once
// Prometheus-style durations ("250ms", "1h30m", "1d") and binary sizes ("4MiB").

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synthprobe::config {

// Units y, w, d, h, m, s, ms, each at most once, largest first, integers only, like Prometheus.
// "0s" is valid. On error returns nullopt and sets `error` to a human message.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string& error);

// B, KiB, MiB, GiB with an integer in front. "KB"/"MB"/"GB" are rejected with a hint to use KiB/MiB/GiB.
std::optional<std::uint64_t> parse_size(std::string_view text, std::string& error);

// "1h30m", "250ms", "0s": the shortest Prometheus spelling.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace synthprobe::config
