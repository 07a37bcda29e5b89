#pragma once
// [[remote_write]] tables: Prometheus remote-write receivers the probe pushes its samples to.

#include <optional>
#include <string>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// Secrets (bearer_token, basic_auth) are resolved now. `probe_name` is the default `instance` label.
std::optional<RemoteWrite> read_remote_write(const toml::table& table, const std::string& probe_name,
                                             LoadContext& ctx);

}  // namespace synthprobe::config
