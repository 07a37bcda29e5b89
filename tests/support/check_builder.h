#pragma once
// Builds engine-ready checks in tests without a config file.

#include <memory>
#include <string>

#include <re2/re2.h>

#include "config/config_model.h"
#include "probe/engine/run_once.h"

namespace synthprobe::testing {

inline config::Check make_check(const std::string& url, const std::string& name = "check") {
  config::Check c;
  c.name = name;
  c.site = "shop";
  c.area = name;
  c.settings.url = config::TemplateString::literal(url);
  c.settings.timeout = std::chrono::seconds(5);
  c.settings.headers.push_back({"User-Agent", config::TemplateString::literal("synthprobe/test")});
  c.settings.expect.status = {*config::StatusMatcher::from_class("2xx")};
  return c;
}

// The single step of a check mirrors its settings; call after changing settings.
inline std::shared_ptr<const config::Check> finish(config::Check c) {
  if (c.steps.empty()) {
    config::Step step;
    step.name = c.name;
    step.request = c.settings;
    c.steps.push_back(std::move(step));
  }
  return std::make_shared<const config::Check>(std::move(c));
}

inline RunResult run_check(config::Check c) { return run_once({finish(std::move(c))}, 10).at(0); }

inline config::CompiledRegex regex(const std::string& pattern) {
  return {pattern, std::make_shared<const re2::RE2>(pattern)};
}

}  // namespace synthprobe::testing
