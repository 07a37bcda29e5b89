#pragma once
// A [[check]] or [[flow]] table, inherited from its site and [defaults], as the Check the engine runs.

#include <optional>

#include "config/config_model.h"
#include "config/site_directory.h"

namespace synthprobe::config {

// `sites` finds the check's site, or makes the implicit one a check without `site` belongs to. When the
// site cannot be found the [defaults] alone are used, so the check's other mistakes are still reported.
// nullopt only without a name.
std::optional<Check> build_check(const toml::table& table, Check::Kind kind, SiteDirectory& sites, LoadContext& ctx);

}  // namespace synthprobe::config
