#pragma once
// Text inside HTML, for every page the probe renders.

#include <string>
#include <string_view>

namespace synthprobe {

// & < > " ' as entities: safe in element text and in quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace synthprobe
