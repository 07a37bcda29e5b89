#include "config/did_you_mean.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/text.h"

namespace synthprobe::config {
namespace {

template <class Candidates>
std::optional<std::string> closest(std::string_view unknown, const Candidates& candidates) {
  const std::size_t limit = std::max<std::size_t>(2, unknown.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(unknown, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // One row of the Wagner-Fischer table is enough.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (text::to_lower(a[i - 1]) == text::to_lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> did_you_mean(std::string_view unknown, std::span<const std::string_view> candidates) {
  return closest(unknown, candidates);
}

std::optional<std::string> did_you_mean(std::string_view unknown, std::span<const std::string> candidates) {
  return closest(unknown, candidates);
}

}  // namespace synthprobe::config
