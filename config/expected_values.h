#pragma once
// The values an `expect` table compares against, parsed as templates once a check's scope is known (its
// site's vars, what earlier flow steps extract), so a flow can assert what an earlier step extracted.
// Values known at load are substituted now; a value only a run knows stays a placeholder, and nothing is
// ever compared against an unrendered ${...}. Errors are reported where they were written.

#include <optional>
#include <string>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// A body_contains or body_not_contains entry (string node): matched as the text it renders to.
std::optional<TemplateString> build_expected_text(const toml::node& node, const TemplateEnv& env, LoadContext& ctx);

// A body_regex entry or header pattern (string node). Inserted values are quoted so they match only
// themselves. Without run-time values it is compiled now (one RE2 per distinct pattern of the load);
// with them its literal parts are checked now and the whole is compiled per run.
std::optional<CompiledRegex> build_expected_regex(const toml::node& node, const TemplateEnv& env, LoadContext& ctx);

// An expect.json entry. Type-strict: the TOML type decides the JSON type (3 is a number, "3" a string);
// strings, at any depth, are templates.
std::optional<JsonExpectation> build_expected_json(std::string pointer, const toml::node& value,
                                                   const TemplateEnv& env, LoadContext& ctx);

}  // namespace synthprobe::config
