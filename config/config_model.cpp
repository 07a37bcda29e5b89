#include "config/config_model.h"

#include <algorithm>

#include "config/config_error.h"

namespace synthprobe::config {

std::size_t Config::count(Check::Kind kind) const {
  return static_cast<std::size_t>(
      std::count_if(checks.begin(), checks.end(), [&](const Check& c) { return c.kind == kind; }));
}

const Site* Config::find_site(const std::string& name) const {
  for (const auto& site : sites)
    if (site.name == name) return &site;
  return nullptr;
}

std::string Config::redact(std::string text) const { return redact_sorted_secrets(std::move(text), secrets); }

}  // namespace synthprobe::config
