#include "exporters/web/incident_views.h"

#include "common/json_format.h"
#include "probe/incidents/incident_report.h"

namespace synthprobe {

std::string render_incidents_json(const IncidentBoard& board) {
  boost::json::array list;
  list.reserve(board.incidents.size());
  for (const auto& in : board.incidents) list.push_back(to_json(*in));
  return serialize_json(boost::json::object{{"incidents", std::move(list)}});
}

std::optional<std::string> render_incident_json(const IncidentBoard& board, const std::string& id) {
  if (const Incident* in = board.find(id)) return serialize_json(to_json(*in));
  return std::nullopt;
}

std::optional<std::string> render_incident_review(const IncidentBoard& board, const std::string& id) {
  if (const Incident* in = board.find(id)) return render_review_markdown(*in);
  return std::nullopt;
}

}  // namespace synthprobe
