#pragma once
// Values the probe sends in an HTTP header line (check headers, tokens, notifier headers and keys): a CR,
// LF or NUL in one would start a header line of the config's text or cut the line short, so it is a
// config error at the value.

#include <string_view>

#include "config/template_string.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// Reports (at `node`, naming it `what`) a value that cannot be sent as one header line; false then.
bool check_header_value(std::string_view value, const toml::node& node, std::string_view what, LoadContext& ctx);
// The same for every literal part of a template; what a run supplies is checked when it is sent.
bool check_header_value(const TemplateString& value, const toml::node& node, std::string_view what, LoadContext& ctx);

}  // namespace synthprobe::config
