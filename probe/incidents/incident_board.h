#pragma once
// What the HTTP thread shows of incidents (/api/incidents, /api/incidents/{id}, the review, the status
// pages): an immutable snapshot the check loop publishes whenever an incident changes, so a page is
// rendered from it without ever holding up a run.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "probe/incidents/incident.h"

namespace synthprobe {

struct IncidentBoard {
  std::vector<std::shared_ptr<const Incident>> incidents;            // open and recently resolved, newest first
  std::map<std::string, std::shared_ptr<const Incident>> open_by_site;  // the open one of each site

  const Incident* find(const std::string& id) const {
    for (const auto& in : incidents)
      if (in->id == id) return in.get();
    return nullptr;
  }
};

}  // namespace synthprobe
