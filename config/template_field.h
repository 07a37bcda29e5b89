#pragma once
// Parsing a TOML string value as a template, with errors placed inside the string.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/template_string.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// What templates at one place may use: `vars` are the inherited vars (the site's and below), `runtime_vars`
// the variables earlier flow steps extract. Either may be null for "none".
TemplateEnv make_template_env(const LoadContext& ctx, const std::map<std::string, std::string>* vars,
                              const std::set<std::string>* runtime_vars);

// Parses string node `node`; an error is reported where it is inside the string.
std::optional<TemplateString> parse_template(const toml::node& node, TemplateContext context, const TemplateEnv& env,
                                             LoadContext& ctx);

// For values needed before any run (credentials, notifier settings): the resolved text, or nullopt
// (reported) when it is invalid or refers to something only a run knows. `what` names it in messages.
std::optional<std::string> parse_constant(const toml::node& node, std::string_view what, const TemplateEnv& env,
                                          LoadContext& ctx);

// Reports (at `node`) a URL that is not absolute http(s). A URL with run-time parts is checked as far as
// its literal beginning goes. `schemes` lists the allowed schemes.
bool check_url(const TemplateString& url, std::string_view what, const toml::node& node, LoadContext& ctx,
               std::initializer_list<std::string_view> schemes = {"http", "https"});

}  // namespace synthprobe::config
