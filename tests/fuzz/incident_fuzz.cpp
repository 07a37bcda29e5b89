// Fuzzes incident_from_json and timeline_entry_from_json (probe/incidents/incident.h) on arbitrary JSON
// text: what the state store reads back from disk, where a damaged or foreign row must be refused, never
// crash the probe.
//
// Properties beyond "no crash, no UB, no leak": an incident that is read can be shown (to_json, the review
// draft), and what to_json writes is read back as the same incident (the store's round trip).

#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/json/parse.hpp>

#include "common/json_format.h"
#include "probe/incidents/incident.h"
#include "probe/incidents/incident_report.h"
#include "tests/fuzz/fuzz_support.h"

namespace json = boost::json;
using synthprobe::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  json::error_code ec;
  const json::value value = json::parse(synthprobe::fuzz::as_text(data, size), ec);
  if (ec) return 0;

  if (const auto entry = synthprobe::timeline_entry_from_json(value)) {
    const auto again = synthprobe::timeline_entry_from_json(synthprobe::to_json(*entry));
    require(again && again->at == entry->at && again->event == entry->event && again->detail == entry->detail,
            "a timeline entry reads back as itself");
  }

  const auto incident = synthprobe::incident_from_json(value);
  if (!incident) return 0;
  synthprobe::render_review_markdown(*incident);
  synthprobe::time_to_detect_seconds(*incident);
  const std::string written = synthprobe::serialize_json(synthprobe::to_json(*incident));
  const auto reread = synthprobe::incident_from_json(json::parse(written, ec));
  require(!ec && reread.has_value(), "what to_json writes is read back");
  require(synthprobe::fuzz::same_json(synthprobe::serialize_json(synthprobe::to_json(*reread)), written),
          "and reads back the same");
  return 0;
}
