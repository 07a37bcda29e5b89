#pragma once
// Reads a synthprobe TOML config into the validated, fully inherited structs of config_model.h.
//
// Every error is reported, not just the first, each with FILE:LINE:COLUMN, so one `check-config` run
// shows everything to fix. No error message ever holds a secret's value. Nothing here throws.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "config/config_model.h"

namespace synthprobe::config {

struct LoadResult {
  std::optional<Config> config;  // set exactly when errors is empty
  std::vector<ConfigError> errors;
};

// `getenv` resolves ${env:NAME} (default ::getenv); tests inject their own.
LoadResult load_config_file(const std::string& path, std::function<const char*(const char*)> getenv = nullptr);

// Relative paths (${file:...}, tls files, state_dir) resolve against the folder of `path_for_messages`.
LoadResult load_config_string(std::string_view toml, const std::string& path_for_messages,
                              std::function<const char*(const char*)> getenv = nullptr);

}  // namespace synthprobe::config
