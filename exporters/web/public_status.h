#pragma once
// The status page customers read (contract section 5), and its JSON twin for embedding: each site's areas
// as components in plain words (Operational, Degraded performance, Partial outage, Major outage), the
// site's message and the updates recorded for an open incident, uptime bars per area for 90 days with the
// day's availability on hover, and the incidents of the last 14 days. Like the public pages people already
// read (Atlassian Statuspage, Gatus, Uptime Kuma), it shows little: no check names, URLs, error texts or
// internal summaries, no external assets; readable on a phone; it refreshes itself.
// Pure: the caller passes every fact and the time.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/config_model.h"
#include "exporters/store/store_reader.h"
#include "exporters/web/status_page.h"
#include "probe/incidents/incident_board.h"

namespace synthprobe {

// The words customers see for an area or a site.
enum class PublicState { operational, degraded, partial_outage, major_outage, checking };
std::string_view public_words(PublicState state);

// An area's state from its checks' states: all down -> major outage; some down -> partial outage; some
// degraded -> degraded performance; none has run yet -> checking; else operational. A site shows its worst
// area, except that it is in a major outage only when every area is (else a partial outage).
PublicState area_state(const std::vector<const CheckStatusRow*>& checks);

struct PublicStatusView {
  const std::vector<config::Site>& sites;
  const std::vector<CheckStatusRow>& checks;
  const IncidentBoard& board;
  const std::vector<store::AreaDay>& history;  // runs per site, area and day, from the state store
  std::int64_t now_unix;
};

inline constexpr int kUptimeDays = 90;
inline constexpr int kPastIncidentDays = 14;
inline constexpr std::size_t kMaxAreasWithBars = 40;

std::string render_public_status_html(const PublicStatusView& view);
std::string render_public_status_json(const PublicStatusView& view);

}  // namespace synthprobe
