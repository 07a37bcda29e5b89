#pragma once
// Reads samples out of the Prometheus text exposition (format 0.0.4) that /metrics serves, one line at a
// time, so that what remote_write sends is exactly what a scrape would have read.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synthprobe::remote_write {

struct ExpositionSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // as written (unescaped), not sorted
  double value = 0;
  // The line's series without its value: "name{a=\"1\"}" (escapes kept), to recognise it next time.
  std::string_view series;
};

// One line of the exposition. nullopt for comments, blank lines and (with `error` set) a line that does
// not parse. A timestamp after the value is ignored: remote_write stamps the whole snapshot.
std::optional<ExpositionSample> read_exposition_line(std::string_view line, std::string* error = nullptr);

}  // namespace synthprobe::remote_write
