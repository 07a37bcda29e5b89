#pragma once
// `expect` as written at one level of inheritance, how levels merge, and the final Expect.

#include <optional>
#include <vector>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// Every field unset means "inherit". headers and json are tables: they merge key by key.
struct ExpectLayer {
  Setting<std::vector<StatusMatcher>> status;
  Setting<std::vector<std::string>> body_contains;
  Setting<std::vector<std::string>> body_not_contains;
  Setting<std::vector<CompiledRegex>> body_regex;
  std::vector<HeaderExpectation> headers;  // by lower-case name
  std::vector<JsonExpectation> json;       // by pointer
  Setting<std::vector<std::string>> json_absent;
  Setting<Duration> max_latency;
  Setting<Duration> degraded_latency;
  Setting<int> cert_min_days;
};

// `where` names the table in messages, e.g. "[check.expect]".
ExpectLayer read_expect(const toml::table& table, std::string where, LoadContext& ctx);

// `over` wins; headers and json key by key.
void merge_into(ExpectLayer& base, const ExpectLayer& over);

// Built-in defaults (status 2xx) and the rules between fields. Rules report at the position of the value
// that breaks them, so an inherited mistake is reported once, where it was written.
Expect finish_expect(const ExpectLayer& layer, LoadContext& ctx);

}  // namespace synthprobe::config
