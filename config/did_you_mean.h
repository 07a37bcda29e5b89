#pragma once
// "did you mean" hints for misspelt keys and names, so a typo is named rather than just rejected.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace synthprobe::config {

// Edit distance (insertions, deletions, substitutions), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `unknown`, if it is within max(2, unknown.size() / 3) edits; the first one
// wins a tie. Far-fetched suggestions mislead more than they help, hence the bound.
std::optional<std::string> did_you_mean(std::string_view unknown, std::span<const std::string_view> candidates);
std::optional<std::string> did_you_mean(std::string_view unknown, std::span<const std::string> candidates);

}  // namespace synthprobe::config
