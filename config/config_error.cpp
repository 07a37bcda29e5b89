#include "config/config_error.h"

#include <algorithm>
#include <tuple>

namespace synthprobe::config {

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

void ErrorList::add(SourcePos pos, std::string message) {
  errors_.push_back(ConfigError{file_, pos.line, pos.column, std::move(message)});
}

std::vector<ConfigError> ErrorList::take(const std::vector<std::string>& secrets) {
  std::vector<ConfigError> out = std::move(errors_);
  errors_.clear();
  for (auto& e : out) e.message = redact_secrets(std::move(e.message), secrets);
  const auto key = [](const ConfigError& e) { return std::tie(e.line, e.column, e.message); };
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
  out.erase(std::unique(out.begin(), out.end(), [&](const auto& a, const auto& b) { return key(a) == key(b); }),
            out.end());
  return out;
}

void sort_secrets(std::vector<std::string>& secrets) {
  std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
  std::sort(secrets.begin(), secrets.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
}

std::string redact_sorted_secrets(std::string text, const std::vector<std::string>& sorted) {
  if (text.empty() || sorted.empty()) return text;
  // One left-to-right pass, so a mask is never searched again for a shorter secret.
  std::string out;
  bool changed = false;
  for (std::size_t i = 0; i < text.size();) {
    const auto match = std::find_if(sorted.begin(), sorted.end(), [&](const std::string& s) {
      return !s.empty() && text.compare(i, s.size(), s) == 0;
    });
    if (match == sorted.end()) {
      if (changed) out += text[i];
      ++i;
    } else {
      if (!changed) out.assign(text, 0, i);
      changed = true;
      out += "<secret>";
      i += match->size();
    }
  }
  return changed ? out : text;
}

std::string redact_secrets(std::string text, const std::vector<std::string>& secrets) {
  std::vector<std::string> sorted = secrets;
  sort_secrets(sorted);
  return redact_sorted_secrets(std::move(text), sorted);
}

}  // namespace synthprobe::config
