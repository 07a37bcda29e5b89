// Fuzzes the duration and size parsers (config/duration.h) and the human duration format of reports
// (common/time_format.h) on arbitrary text.
//
// Beyond "no crash, no UB": a parse either succeeds with an empty error or fails with a message, and a
// parsed duration survives format_duration -> parse_duration unchanged (check-config and messages print
// durations that way, and users paste them back).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/time_format.h"
#include "config/duration.h"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace config = synthprobe::config;

  std::string error;
  if (const auto d = config::parse_duration(text, error)) {
    require(error.empty() && d->count() >= 0);
    const std::string formatted = config::format_duration(*d);
    std::string again_error;
    const auto again = config::parse_duration(formatted, again_error);
    require(again && *again == *d);
    synthprobe::format_duration(*d);
  } else {
    require(!error.empty());
  }

  error.clear();
  if (const auto bytes = config::parse_size(text, error)) require(error.empty());
  else require(!error.empty());

  // The report's format takes any length, negative ones included (a clock that went back).
  if (size >= 8) {
    std::int64_t ms = 0;
    for (int i = 0; i < 8; ++i) ms = static_cast<std::int64_t>(static_cast<std::uint64_t>(ms) << 8 | data[i]);
    synthprobe::format_duration(std::chrono::milliseconds(ms));
    config::format_duration(std::chrono::milliseconds(ms));
  }
  return 0;
}
