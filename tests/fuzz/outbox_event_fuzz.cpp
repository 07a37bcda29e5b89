// Fuzzes event_from_json_text (exporters/notify/outbox.h) on arbitrary text: the outbox rows the state
// store reads back after a restart. A row this version cannot read is refused, never a crash.
//
// Properties beyond "no crash, no UB, no leak": an event that is read writes back to text that reads as the
// same event, and every notifier type either builds its requests from it (as the dispatcher does at each
// attempt) or says why not.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exporters/notify/notification_payloads.h"
#include "exporters/notify/outbox.h"
#include "tests/fuzz/fuzz_support.h"

using synthprobe::fuzz::require;

namespace {

std::vector<synthprobe::config::Notifier> notifiers() {
  std::vector<synthprobe::config::Notifier> out;
  for (const char* type : {"pagerduty", "opsgenie", "alertmanager", "webhook", "slack"}) {
    synthprobe::config::Notifier n;
    n.name = type;
    n.type = type;
    n.url = "https://receiver.example.com/hook";
    n.urls = {"http://am-1:9093", "http://am-2:9093"};
    n.routing_key = "pd-routing-key";
    n.api_key = "opsgenie-api-key";
    n.headers = {{"Authorization", "Bearer hook-token"}};
    out.push_back(n);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto event = synthprobe::event_from_json_text(synthprobe::fuzz::as_text(data, size));
  if (!event) return 0;
  const std::string written = synthprobe::event_to_json_text(*event);
  const auto reread = synthprobe::event_from_json_text(written);
  require(reread.has_value(), "what event_to_json_text writes is read back");
  require(synthprobe::fuzz::same_json(synthprobe::event_to_json_text(*reread), written), "and reads back the same");

  static const std::vector<synthprobe::config::Notifier> kNotifiers = notifiers();
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'795'000'000)};
  for (const auto& notifier : kNotifiers) {
    const auto built = synthprobe::build_requests(notifier, *event, now);
    require(!built.ok() || !built.requests.empty(), "requests, or why there are none");
  }
  return 0;
}
