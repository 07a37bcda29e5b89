#pragma once
// A flow step's `extract = { name = { regex = '...' } }`: the values later steps may use as ${name}.

#include <map>
#include <string>
#include <vector>

#include "config/config_model.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

// Each entry takes exactly one of regex (one capture group), json (a JSON pointer), header or cookie.
// `vars_in_scope` are the step's load-time vars: an extracted variable may not shadow one.
std::vector<Extraction> read_extractions(const TableReader& step, const std::map<std::string, std::string>& vars_in_scope,
                                         LoadContext& ctx);

}  // namespace synthprobe::config
