#pragma once
// Takes a flow variable out of a step's response: a regex capture, a JSON pointer, a header, a cookie.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_model.h"

namespace synthprobe {

struct ExtractionSource {
  std::string_view body;
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;  // names lower case
  // Netscape cookie-file lines as curl's CURLINFO_COOKIELIST gives them.
  const std::vector<std::string>* cookie_lines = nullptr;
};

// The value, or nullopt with `why` saying what was missing.
std::optional<std::string> extract(const config::Extraction& e, const ExtractionSource& source, std::string& why);

}  // namespace synthprobe
