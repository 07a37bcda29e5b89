#include "config/regex_compile.h"

#include <re2/re2.h>

namespace synthprobe::config {

std::shared_ptr<const re2::RE2> RegexCache::compile(const std::string& pattern, std::string& error) {
  if (auto it = compiled_.find(pattern); it != compiled_.end()) return it->second;
  // Quiet: RE2 would otherwise log the error to stderr as well.
  auto re = std::make_shared<const re2::RE2>(pattern, re2::RE2::Quiet);
  if (!re->ok()) {
    error = "invalid regex \"" + pattern + "\": " + re->error();
    return nullptr;
  }
  compiled_.emplace(pattern, re);
  return re;
}

int capture_groups(const re2::RE2& re) { return re.NumberOfCapturingGroups(); }

}  // namespace synthprobe::config
