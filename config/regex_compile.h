#pragma once
// RE2 patterns are compiled once, at load: a bad pattern is a config error, never a per-run cost.

#include <map>
#include <memory>
#include <string>

namespace re2 {
class RE2;
}

namespace synthprobe::config {

// One compiled RE2 per distinct pattern of a load: many checks often repeat the same assertion, and each
// RE2 costs kilobytes. RE2 matching is thread-safe, so sharing is free.
class RegexCache {
 public:
  // The compiled pattern, or null with `error` set to RE2's reason.
  std::shared_ptr<const re2::RE2> compile(const std::string& pattern, std::string& error);

 private:
  std::map<std::string, std::shared_ptr<const re2::RE2>> compiled_;
};

// Number of capture groups of a compiled pattern.
int capture_groups(const re2::RE2& re);

}  // namespace synthprobe::config
