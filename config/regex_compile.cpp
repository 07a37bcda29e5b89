#include "config/regex_compile.h"

#include <re2/re2.h>

namespace synthprobe::config {

std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern, std::string& error) {
  // Quiet: RE2 would otherwise log the error to stderr as well.
  auto re = std::make_shared<const re2::RE2>(pattern, re2::RE2::Quiet);
  if (re->ok()) return re;
  error = "invalid regex \"" + pattern + "\": " + re->error();
  return nullptr;
}

int capture_groups(const re2::RE2& re) { return re.NumberOfCapturingGroups(); }

}  // namespace synthprobe::config
