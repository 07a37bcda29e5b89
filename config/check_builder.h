#pragma once
// A [[check]] or [[flow]] table, inherited from its site and [defaults], as the Check the engine runs.

#include <map>
#include <optional>
#include <string>

#include "config/config_model.h"
#include "config/settings_layer.h"

namespace synthprobe::config {

// `sites`: each site's settings, already merged over [defaults]; `defaults` alone is used when the
// check's site is unknown, so its other mistakes are still reported. nullopt only without a name.
std::optional<Check> build_check(const toml::table& table, Check::Kind kind, const std::map<std::string, Layer>& sites,
                                 const Layer& defaults, LoadContext& ctx);

}  // namespace synthprobe::config
