#pragma once
// Reading samples out of a Prometheus text exposition in tests, by name and labels, whatever the label
// order and whatever labels a series carries beyond those asked for (every series also has probe and
// region).

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace synthprobe::testing {

// "name{a=\"x\",b=\"y\"}" or "name" -> name and labels. Values may not contain '"' or ','.
struct SeriesSelector {
  std::string name;
  std::map<std::string, std::string> labels;
};
SeriesSelector parse_selector(const std::string& series);

// The value of the first sample whose name is the selector's and whose labels include all of its
// labels; nullopt when none does.
std::optional<double> sample_value(const std::string& exposition, const std::string& series);

// Every sample of an exposition in order (HELP, TYPE and blank lines skipped): name, labels, value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
std::vector<Sample> samples(const std::string& exposition);

}  // namespace synthprobe::testing
