#include "exporters/remote_write/exposition_reader.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace synthprobe::remote_write {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

std::optional<double> parse_value(std::string_view text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<ExpositionSample> fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<ExpositionSample> read_exposition_line(std::string_view line, std::string* error) {
  if (error) error->clear();
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return std::nullopt;

  ExpositionSample s;
  std::size_t i = 0;
  if (!name_start(line[0])) return fail(error, "a series must start with a metric name");
  while (i < line.size() && name_char(line[i])) ++i;
  s.name = std::string(line.substr(0, i));

  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && line[i] == ' ') ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      const std::size_t start = i;
      if (i >= line.size() || !name_start(line[i])) return fail(error, "bad label name in " + std::string(line));
      while (i < line.size() && name_char(line[i])) ++i;
      std::string label(line.substr(start, i - start));
      if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
        return fail(error, "label " + label + " needs =\"value\"");
      i += 2;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          value += c;
          continue;
        }
        if (i >= line.size()) break;
        const char escaped = line[i++];
        value += escaped == 'n' ? '\n' : escaped;  // \\ and \" stand for themselves
      }
      if (!closed) return fail(error, "unterminated value of label " + label);
      s.labels.emplace_back(std::move(label), std::move(value));
      if (i < line.size() && line[i] == ',') ++i;
    }
  }
  s.series = line.substr(0, i);

  if (i >= line.size() || line[i] != ' ') return fail(error, "no value after " + std::string(s.series));
  while (i < line.size() && line[i] == ' ') ++i;
  std::string_view rest = line.substr(i);
  const std::size_t space = rest.find(' ');
  auto value = parse_value(rest.substr(0, space));
  if (!value) return fail(error, "bad value " + std::string(rest.substr(0, space)) + " of " + std::string(s.series));
  s.value = *value;
  return s;
}

}  // namespace synthprobe::remote_write
