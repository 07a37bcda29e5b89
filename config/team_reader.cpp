#include "config/team_reader.h"

#include <array>
#include <vector>

#include "config/did_you_mean.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 2> kMemberKeys{"name", "notifier"};

std::optional<TeamMember>& role(IncidentTeam& team, std::string_view name) {
  if (name == "commander") return team.commander;
  if (name == "technical_lead") return team.technical_lead;
  if (name == "communications_lead") return team.communications_lead;
  return team.support_lead;
}

const std::optional<TeamMember>& role(const IncidentTeam& team, std::string_view name) {
  return role(const_cast<IncidentTeam&>(team), name);
}

}  // namespace

IncidentTeam read_team(const toml::table& table, std::string_view where, LoadContext& ctx) {
  TableReader r(table, std::string(where), ctx);
  r.reject_unknown(kTeamRoles);
  IncidentTeam team;
  for (std::string_view key : kTeamRoles) {
    const toml::node* node = r.find(key);
    if (!node) continue;
    TeamMember member;
    if (const auto* text = node->as_string()) {
      member.name = text->get();
    } else if (const auto* t = node->as_table()) {
      TableReader m(*t, std::string(where) + " " + std::string(key), ctx);
      m.reject_unknown(kMemberKeys);
      if (auto name = m.string("name")) {
        member.name = name->value;
      } else {
        m.missing("name", "a person or a rota URL");  // one error for it, not a second "needs a name"
        continue;
      }
      if (auto notifier = m.string("notifier")) member.notifier = notifier->value;
    } else {
      ctx.error(pos_of(*node), "\"" + std::string(key) + "\" must be a name or rota URL, or { name = \"...\", notifier = \"...\" }");
      continue;
    }
    if (member.name.empty()) {
      ctx.error(pos_of(*node), "\"" + std::string(key) + "\" needs a name");
      continue;
    }
    role(team, key) = std::move(member);
  }
  return team;
}

IncidentTeam merge_team(const IncidentTeam& base, const IncidentTeam& over) {
  IncidentTeam out = base;
  for (std::string_view key : kTeamRoles)
    if (role(over, key)) role(out, key) = role(over, key);
  return out;
}

void check_team_notifiers(const toml::table& table, const IncidentTeam& team, std::span<const Notifier> notifiers,
                          LoadContext& ctx) {
  std::vector<std::string> names;
  for (const auto& n : notifiers) names.push_back(n.name);
  for (std::string_view key : kTeamRoles) {
    const auto& member = role(team, key);
    if (!member || member->notifier.empty()) continue;
    if (std::find(names.begin(), names.end(), member->notifier) != names.end()) continue;
    const toml::node* node = table.get(key);
    const toml::node* at = node && node->as_table() ? node->as_table()->get("notifier") : node;
    std::string message = "unknown notifier \"" + member->notifier + "\" for " + std::string(key);
    if (auto hint = did_you_mean(member->notifier, names)) message += " (did you mean \"" + *hint + "\"?)";
    ctx.error(at ? pos_of(*at) : pos_of(table), message);
  }
}

}  // namespace synthprobe::config
