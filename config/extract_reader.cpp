#include "config/extract_reader.h"

#include <algorithm>
#include <array>

#include "common/text.h"
#include "config/json_pointer.h"
#include "config/regex_compile.h"
#include "config/settings_layer.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 4> kKinds{"regex", "json", "header", "cookie"};

bool valid_name(const toml::key& key, const std::map<std::string, std::string>& vars, LoadContext& ctx) {
  const std::string_view name = key.str();
  if (const std::string problem = variable_name_problem(name); !problem.empty()) {
    ctx.error(pos_of(key), problem);
    return false;
  }
  if (vars.count(std::string(name))) {
    ctx.error(pos_of(key), "variable " + quote(name) + " is already a site var: extract it under another name");
    return false;
  }
  return true;
}

std::optional<Extraction> read_one(const toml::key& key, const toml::table& spec, LoadContext& ctx) {
  TableReader r(spec, "the extraction of " + quote(key.str()), ctx);
  r.reject_unknown(kKinds);
  std::vector<std::string_view> given;
  for (std::string_view kind : kKinds)
    if (spec.get(kind)) given.push_back(kind);
  if (given.size() != 1) {
    ctx.error(pos_of(spec), "extraction " + quote(key.str()) +
                                " needs exactly one of regex, json, header or cookie, like { regex = 'id=([0-9]+)' }");
    return std::nullopt;
  }
  auto source = r.string(given[0]);
  if (!source) return std::nullopt;
  Extraction e;
  e.variable = std::string(key.str());
  e.source = source->value;
  if (given[0] == "regex") {
    e.kind = Extraction::Kind::regex;
    std::string error;
    e.regex = ctx.regexes.compile(e.source, error);
    if (!e.regex) {
      ctx.error(source->pos, error);
      return std::nullopt;
    }
    if (const int groups = capture_groups(*e.regex); groups != 1) {
      ctx.error(source->pos, "the regex extracting " + quote(key.str()) +
                                 " must have exactly one capture group ( ... ), not " + std::to_string(groups));
      return std::nullopt;
    }
  } else if (given[0] == "json") {
    e.kind = Extraction::Kind::json;
    if (auto problem = json_pointer_problem(e.source); !problem.empty()) {
      ctx.error(source->pos, problem);
      return std::nullopt;
    }
  } else if (given[0] == "header") {
    e.kind = Extraction::Kind::header;
    e.source = text::to_lower(e.source);
  } else {
    e.kind = Extraction::Kind::cookie;
  }
  if (e.kind != Extraction::Kind::json && e.source.empty()) {
    ctx.error(source->pos, quote(given[0]) + " of extraction " + quote(key.str()) + " must not be empty");
    return std::nullopt;
  }
  return e;
}

}  // namespace

std::vector<Extraction> read_extractions(const TableReader& step, const std::map<std::string, std::string>& vars_in_scope,
                                         LoadContext& ctx) {
  std::vector<Extraction> out;
  const toml::table* table = step.subtable("extract");
  if (!table) return out;
  for (const auto& [key, node] : entries_in_order(*table)) {
    if (!node->is_table()) {
      ctx.error(pos_of(*node), "extraction " + quote(key->str()) + " must be a table, like { regex = 'id=([0-9]+)' }");
      continue;
    }
    if (!valid_name(*key, vars_in_scope, ctx)) continue;
    if (auto e = read_one(*key, *node->as_table(), ctx)) out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace synthprobe::config
