#include "config/secret_headers.h"

#include <algorithm>

namespace synthprobe::config {
namespace {

bool holds_secret(const TemplateString& value, const std::vector<std::string>& secrets) {
  // Secrets were substituted at load, so they sit inside literal parts.
  return std::any_of(value.parts().begin(), value.parts().end(), [&](const TemplatePart& part) {
    return part.kind == TemplatePart::Kind::literal &&
           std::any_of(secrets.begin(), secrets.end(),
                       [&](const std::string& s) { return part.text.find(s) != std::string::npos; });
  });
}

void mark(RequestSettings& settings, const std::vector<std::string>& secrets) {
  for (Header& h : settings.headers) h.secret = holds_secret(h.value, secrets);
}

}  // namespace

void mark_secret_headers(Config& config) {
  if (config.secrets.empty()) return;
  for (Check& check : config.checks) {
    mark(check.settings, config.secrets);
    for (Step& step : check.steps) mark(step.request, config.secrets);
  }
}

}  // namespace synthprobe::config
