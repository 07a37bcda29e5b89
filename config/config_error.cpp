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

std::string redact_secrets(std::string text, const std::vector<std::string>& secrets) {
  // Longest first, so a secret that contains another is replaced whole.
  std::vector<const std::string*> ordered;
  for (const auto& s : secrets)
    if (!s.empty()) ordered.push_back(&s);
  std::stable_sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->size() > b->size(); });
  if (ordered.empty()) return text;
  // One left-to-right pass, so a mask is never searched again for a shorter secret.
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto match = std::find_if(ordered.begin(), ordered.end(),
                                    [&](const std::string* s) { return text.compare(i, s->size(), *s) == 0; });
    if (match == ordered.end()) {
      out += text[i++];
    } else {
      out += "<secret>";
      i += (*match)->size();
    }
  }
  return out;
}

}  // namespace synthprobe::config
