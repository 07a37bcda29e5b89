#pragma once
// [incident_team] and a site's `incident_team`: who handles an incident. Each role (commander,
// technical_lead, communications_lead, support_lead) is a name or rota URL, or an inline table
// { name = "...", notifier = "oncall" } naming the notifier that reaches that person.

#include <span>
#include <string_view>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

IncidentTeam read_team(const toml::table& table, std::string_view where, LoadContext& ctx);

// A site's team over the probe-wide one, role by role.
IncidentTeam merge_team(const IncidentTeam& base, const IncidentTeam& over);

// Every notifier a team names must exist: reported at the table that names it.
void check_team_notifiers(const toml::table& table, const IncidentTeam& team, std::span<const Notifier> notifiers,
                          LoadContext& ctx);

}  // namespace synthprobe::config
