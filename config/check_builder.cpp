#include "config/check_builder.h"

#include <array>
#include <set>
#include <vector>

#include "config/did_you_mean.h"
#include "config/extract_reader.h"
#include "config/request_builder.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 3> kCheckOwnKeys{"name", "site", "area"};
constexpr std::array<std::string_view, 4> kFlowOwnKeys{"name", "site", "area", "step"};
constexpr std::array<std::string_view, 3> kStepOwnKeys{"name", "extract", "always"};

// The site's layer, or null (reported) when the check names none or an unknown one.
const Layer* find_site(const TableReader& r, const std::map<std::string, Layer>& sites, std::string& name) {
  auto site = r.string("site");
  if (!site) {
    if (!r.find("site")) r.missing("site");
    return nullptr;
  }
  name = site->value;
  if (auto it = sites.find(site->value); it != sites.end()) return &it->second;
  std::vector<std::string> names;
  for (const auto& [n, layer] : sites) names.push_back(n);
  std::string message = "unknown site " + quote(site->value);
  if (auto hint = did_you_mean(site->value, names)) message += " (did you mean " + quote(*hint) + "?)";
  else message += " (define it in a [[site]] table)";
  r.ctx().error(site->pos, message);
  return nullptr;
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
std::vector<Step> build_steps(const TableReader& flow, const Layer& flow_layer, bool build_requests,
                              std::set<std::string>& extracted, LoadContext& ctx) {
  std::vector<Step> steps;
  const toml::node* node = flow.find("step");
  if (!node) {
    ctx.error(flow.pos(), "a flow needs at least one step: add a [[flow.step]] table after it");
    return steps;
  }
  if (!node->is_array_of_tables()) {
    ctx.error(pos_of(*node), "\"step\" must be an array of tables: write each step as [[flow.step]]");
    return steps;
  }
  std::map<std::string, SourcePos> names;
  for (const toml::node& element : *node->as_array()) {
    TableReader s(*element.as_table(), "[[flow.step]]", ctx);
    Layer layer = flow_layer;
    merge_into(layer, read_layer(s, Level::step, kStepOwnKeys));
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

std::optional<Check> build_check(const toml::table& table, Check::Kind kind, const std::map<std::string, Layer>& sites,
                                 const Layer& defaults, LoadContext& ctx) {
  const bool flow = kind == Check::Kind::flow;
  TableReader r(table, flow ? "[[flow]]" : "[[check]]", ctx);
  Check check;
  check.kind = kind;
  auto name = read_name(r);
  if (name) check.name = name->value;
  const Layer* site = find_site(r, sites, check.site);
  auto area = r.string("area");
  check.area = area && !area->value.empty() ? area->value : check.name;

  Layer layer = site ? *site : defaults;
  if (flow) merge_into(layer, read_layer(r, Level::flow, kFlowOwnKeys));
  else merge_into(layer, read_layer(r, Level::check, kCheckOwnKeys));
  fill_check_settings(check, layer);
  check_run_timing(layer, r, ctx);

  if (!flow) {
    if (site) check.settings = build_request(layer, RequestScope{r, nullptr, true}, ctx);
    check.steps.push_back(Step{check.name, check.settings, {}, false});
  } else {
    std::set<std::string> extracted;
    check.steps = build_steps(r, layer, site != nullptr, extracted, ctx);
    // The flow's own settings may name what any step extracts; each step checked its own use already.
    if (site) check.settings = build_request(layer, RequestScope{r, &extracted, false}, ctx);
  }
  // With an unknown site the check is still returned, so a duplicate name is reported too; the load
  // fails on the site error anyway.
  if (!name) return std::nullopt;
  return check;
}

}  // namespace synthprobe::config
