#pragma once
// The incident endpoints (contract section 5), rendered on the HTTP thread from the board the loop
// publishes: /api/incidents {"incidents": [...newest first]}, /api/incidents/{id}, and the Markdown review
// at /api/incidents/{id}/report.

#include <optional>
#include <string>

#include "probe/incidents/incident_board.h"

namespace synthprobe {

std::string render_incidents_json(const IncidentBoard& board);
// nullopt for an unknown id.
std::optional<std::string> render_incident_json(const IncidentBoard& board, const std::string& id);
std::optional<std::string> render_incident_review(const IncidentBoard& board, const std::string& id);

}  // namespace synthprobe
