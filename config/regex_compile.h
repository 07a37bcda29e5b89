#pragma once
// RE2 patterns are compiled once, at load: a bad pattern is a config error, never a per-run cost.

#include <memory>
#include <string>

namespace re2 {
class RE2;
}

namespace synthprobe::config {

// The compiled pattern, or null with `error` set to RE2's reason.
std::shared_ptr<const re2::RE2> compile_regex(const std::string& pattern, std::string& error);

// Number of capture groups of a compiled pattern.
int capture_groups(const re2::RE2& re);

}  // namespace synthprobe::config
