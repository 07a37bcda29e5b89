#pragma once
// `expect` as written at one level of inheritance, how levels merge, and the final Expect.

#include <optional>
#include <vector>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// What an `expect` value may contain is checked here, where it was written; the values compared against
// stay unparsed string nodes (as request templates do) until the check's scope is known.
struct ExpectedHeader {
  std::string name;  // lower case
  const toml::node* pattern = nullptr;
};

struct ExpectedJson {
  std::string pointer;  // validated
  const toml::node* value = nullptr;
};

// Every field unset means "inherit". headers and json are tables: they merge key by key.
struct ExpectLayer {
  Setting<std::vector<StatusMatcher>> status;
  Setting<std::vector<const toml::node*>> body_contains;
  Setting<std::vector<const toml::node*>> body_not_contains;
  Setting<std::vector<const toml::node*>> body_regex;
  std::vector<ExpectedHeader> headers;  // by lower-case name
  std::vector<ExpectedJson> json;       // by pointer
  Setting<std::vector<std::string>> json_absent;
  Setting<Duration> max_latency;
  Setting<Duration> degraded_latency;
  Setting<int> cert_min_days;
};

// `where` names the table in messages, e.g. "[check.expect]".
ExpectLayer read_expect(const toml::table& table, std::string where, LoadContext& ctx);

// `over` wins; headers and json key by key.
void merge_into(ExpectLayer& base, const ExpectLayer& over);

// Built-in defaults (status 2xx), the values parsed as templates with `env` (see expected_values.h), and
// the rules between fields. Errors are reported at the position of the value, so an inherited mistake is
// reported once, where it was written.
Expect finish_expect(const ExpectLayer& layer, const TemplateEnv& env, LoadContext& ctx);

}  // namespace synthprobe::config
