#pragma once
// Turns the fully inherited settings of a check, flow or step into the RequestSettings the engine runs:
// templates parsed with the variables in scope, built-in defaults filled in, rules between fields checked.

#include <set>
#include <string>

#include "config/config_model.h"
#include "config/settings_layer.h"

namespace synthprobe::config {

struct RequestScope {
  const TableReader& table;                  // the table being built, for "missing url"
  const std::set<std::string>* runtime_vars;  // extracted by earlier steps (null: none)
  bool url_required = true;                   // a flow's own settings need no url
};

RequestSettings build_request(const Layer& layer, const RequestScope& scope, LoadContext& ctx);

// interval > 0, timeout > 0 and timeout < interval, reported at the value that breaks the rule.
void check_run_timing(const Layer& layer, const TableReader& table, LoadContext& ctx);

}  // namespace synthprobe::config
