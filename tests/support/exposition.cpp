#include "tests/support/exposition.h"

#include <sstream>

namespace synthprobe::testing {
namespace {

std::map<std::string, std::string> parse_labels(const std::string& inside) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos < inside.size()) {
    const std::size_t eq = inside.find('=', pos);
    if (eq == std::string::npos) break;
    const std::size_t open = inside.find('"', eq);
    const std::size_t close = inside.find('"', open + 1);
    if (open == std::string::npos || close == std::string::npos) break;
    out[inside.substr(pos, eq - pos)] = inside.substr(open + 1, close - open - 1);
    pos = close + 1;
    if (pos < inside.size() && inside[pos] == ',') ++pos;
  }
  return out;
}

}  // namespace

SeriesSelector parse_selector(const std::string& series) {
  const std::size_t brace = series.find('{');
  if (brace == std::string::npos) return {series, {}};
  return {series.substr(0, brace), parse_labels(series.substr(brace + 1, series.rfind('}') - brace - 1))};
}

std::vector<Sample> samples(const std::string& exposition) {
  std::vector<Sample> out;
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    SeriesSelector s = parse_selector(line.substr(0, space));
    out.push_back({std::move(s.name), std::move(s.labels), std::stod(line.substr(space + 1))});
  }
  return out;
}

std::optional<double> sample_value(const std::string& exposition, const std::string& series) {
  const SeriesSelector want = parse_selector(series);
  for (const Sample& have : samples(exposition)) {
    if (have.name != want.name) continue;
    bool all = true;
    for (const auto& [k, v] : want.labels) {
      auto it = have.labels.find(k);
      all = all && it != have.labels.end() && it->second == v;
    }
    if (all) return have.value;
  }
  return std::nullopt;
}

}  // namespace synthprobe::testing
