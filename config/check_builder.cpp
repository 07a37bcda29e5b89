#include "config/check_builder.h"

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/did_you_mean.h"
#include "config/extract_reader.h"
#include "config/request_builder.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 3> kCheckOwnKeys{"name", "site", "area"};
constexpr std::array<std::string_view, 4> kFlowOwnKeys{"name", "site", "area", "step"};
constexpr std::array<std::string_view, 3> kStepOwnKeys{"name", "extract", "always"};

// The [[site]] the check names, or null (reported) when there is none of that name.
const Layer* named_site(const TableReader& r, const SiteDirectory& sites, std::string& name) {
  auto site = r.string("site");
  if (!site) return nullptr;
  name = site->value;
  if (const Layer* layer = sites.find(site->value)) return layer;
  std::string message = "unknown site " + quote(site->value);
  if (auto hint = did_you_mean(site->value, sites.names())) message += " (did you mean " + quote(*hint) + "?)";
  else message += " (define it in a [[site]] table, or leave out \"site\" for a site named after the URL's host)";
  r.ctx().error(site->pos, message);
  return nullptr;
}

// What one [[flow.step]] table sets, read before the flow's site is known: the first step's URL names it.
struct StepTable {
  const toml::table* table = nullptr;
  Layer own;
};

std::vector<StepTable> read_step_tables(const TableReader& flow, LoadContext& ctx) {
  std::vector<StepTable> steps;
  const toml::node* node = flow.find("step");
  if (!node) {
    ctx.error(flow.pos(), "a flow needs at least one step: add a [[flow.step]] table after it");
    return steps;
  }
  if (!node->is_array_of_tables()) {
    ctx.error(pos_of(*node), "\"step\" must be an array of tables: write each step as [[flow.step]]");
    return steps;
  }
  for (const toml::node& element : *node->as_array()) {
    const toml::table* table = element.as_table();
    steps.push_back(StepTable{table, read_layer(TableReader(*table, "[[flow.step]]", ctx), Level::step, kStepOwnKeys)});
  }
  return steps;
}

// The check's site: the one `site` names, or the one named after the host of its URL (a flow's: its first
// step's). Null (reported) when there is none.
const Layer* find_site(const TableReader& r, bool flow, const Layer& own, const std::vector<StepTable>& steps,
                       SiteDirectory& sites, std::string& name) {
  if (r.find("site")) return named_site(r, sites, name);
  if (flow && steps.empty()) return nullptr;  // reported: a flow needs a step
  Layer layer = sites.defaults();
  merge_into(layer, own);
  if (flow) merge_into(layer, steps.front().own);
  const TableReader url_table = flow ? TableReader(*steps.front().table, "[[flow.step]]", r.ctx()) : r;
  auto host = implicit_site_name(layer, r, url_table, r.ctx());
  if (!host) return nullptr;
  name = *host;
  return &sites.for_host(*host);
}

void fill_check_settings(Check& check, const Layer& layer) {
  if (layer.severity) check.severity = layer.severity->value;
  if (layer.enabled) check.enabled = layer.enabled->value;
  check.labels = layer.labels;
  if (layer.open_after) check.open_after = layer.open_after->value;
  if (layer.resolve_after) check.resolve_after = layer.resolve_after->value;
}

// Builds the flow's steps in order; each sees the variables its predecessors extract.
// `build_requests` is false when the site is unknown: templates would only add noise then.
std::vector<Step> build_steps(const std::vector<StepTable>& tables, const Layer& flow_layer, bool build_requests,
                              std::set<std::string>& extracted, LoadContext& ctx) {
  std::vector<Step> steps;
  std::map<std::string, SourcePos> names;
  for (const StepTable& table : tables) {
    TableReader s(*table.table, "[[flow.step]]", ctx);
    Layer layer = flow_layer;
    merge_into(layer, table.own);
    Step step;
    if (auto name = read_name(s)) {
      step.name = name->value;
      if (auto [it, fresh] = names.emplace(step.name, name->pos); !fresh) {
        ctx.error(name->pos, "duplicate step name " + quote(step.name) + " (first used on line " +
                                 std::to_string(it->second.line) + ")");
      }
    }
    if (auto always = s.boolean("always")) step.always = always->value;
    if (build_requests) step.request = build_request(layer, RequestScope{s, &extracted, true}, ctx);
    step.extract = read_extractions(s, layer.vars, ctx);
    // Only later steps may use what this one extracts.
    for (const Extraction& e : step.extract) extracted.insert(e.variable);
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace

std::optional<Check> build_check(const toml::table& table, Check::Kind kind, SiteDirectory& sites, LoadContext& ctx) {
  const bool flow = kind == Check::Kind::flow;
  TableReader r(table, flow ? "[[flow]]" : "[[check]]", ctx);
  Check check;
  check.kind = kind;
  auto name = read_name(r);
  if (name) check.name = name->value;
  const Layer own = flow ? read_layer(r, Level::flow, kFlowOwnKeys) : read_layer(r, Level::check, kCheckOwnKeys);
  const std::vector<StepTable> step_tables = flow ? read_step_tables(r, ctx) : std::vector<StepTable>{};
  const Layer* site = find_site(r, flow, own, step_tables, sites, check.site);
  auto area = r.string("area");
  check.area = area && !area->value.empty() ? area->value : check.name;

  Layer layer = site ? *site : sites.defaults();
  merge_into(layer, own);
  fill_check_settings(check, layer);
  check_run_timing(layer, r, ctx);

  if (!flow) {
    if (site) check.settings = build_request(layer, RequestScope{r, nullptr, true}, ctx);
    check.steps.push_back(Step{check.name, check.settings, {}, false});
  } else {
    std::set<std::string> extracted;
    check.steps = build_steps(step_tables, layer, site != nullptr, extracted, ctx);
    // The flow's own settings may name what any step extracts; each step checked its own use already.
    if (site) check.settings = build_request(layer, RequestScope{r, &extracted, false}, ctx);
  }
  // With an unknown site the check is still returned, so a duplicate name is reported too; the load
  // fails on the site error anyway.
  if (!name) return std::nullopt;
  return check;
}

}  // namespace synthprobe::config
