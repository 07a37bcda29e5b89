#include "config/expected_values.h"

#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <re2/re2.h>

#include "config/template_field.h"

namespace synthprobe::config {
namespace {

namespace json = boost::json;

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

// Converts `node`, found at `where` inside the expected value, collecting its templated strings.
std::optional<json::value> to_json(const toml::node& node, const std::string& where, const TemplateEnv& env,
                                   std::vector<JsonTemplate>& templates, LoadContext& ctx) {
  if (auto* v = node.as_integer()) return json::value(v->get());
  if (auto* v = node.as_floating_point()) return json::value(v->get());
  if (auto* v = node.as_boolean()) return json::value(v->get());
  if (node.is_string()) {
    auto text = parse_template(node, TemplateContext::raw, env, ctx);
    if (!text) return std::nullopt;
    if (text->is_constant()) return json::value(json::string_view(text->constant_text()));
    templates.push_back(JsonTemplate{where, std::move(*text)});
    return json::value(json::string());
  }
  bool ok = true;
  if (auto* array = node.as_array()) {
    json::array out;
    for (std::size_t i = 0; i < array->size(); ++i) {
      auto value = to_json(*array->get(i), where + "/" + std::to_string(i), env, templates, ctx);
      ok = ok && value;
      if (value) out.push_back(std::move(*value));
    }
    if (!ok) return std::nullopt;
    return json::value(std::move(out));
  }
  if (auto* table = node.as_table()) {
    json::object out;
    for (const auto& [key, value_node] : entries_in_order(*table)) {
      auto value = to_json(*value_node, where + "/" + pointer_token(key->str()), env, templates, ctx);
      ok = ok && value;
      if (value) out[key->str()] = std::move(*value);
    }
    if (!ok) return std::nullopt;
    return json::value(std::move(out));
  }
  ctx.error(pos_of(node), "dates and times have no JSON equivalent: write them as strings");
  return std::nullopt;
}

}  // namespace

std::optional<TemplateString> build_expected_text(const toml::node& node, const TemplateEnv& env, LoadContext& ctx) {
  return parse_template(node, TemplateContext::raw, env, ctx);
}

std::optional<CompiledRegex> build_expected_regex(const toml::node& node, const TemplateEnv& env, LoadContext& ctx) {
  auto pattern = parse_template(node, TemplateContext::regex, env, ctx);
  if (!pattern) return std::nullopt;
  if (pattern->is_constant()) {
    std::string error;
    auto re = ctx.regexes.compile(pattern->constant_text(), error);
    if (!re) {
      ctx.error(pos_of(node), error);
      return std::nullopt;
    }
    return CompiledRegex{pattern->constant_text(), std::move(re)};
  }
  // Inserted values are quoted, so whether the rendering compiles hardly depends on them: try the literal
  // parts now with each variable's name inserted (which also reads well in RE2's message).
  const std::string& written = node.as_string()->get();
  std::vector<std::pair<std::string, std::string>> names;
  for (const std::string& name : pattern->variables()) names.emplace_back(name, name);
  RenderInputs sample;
  sample.vars = &names;
  const re2::RE2 trial(pattern->render(sample), re2::RE2::Quiet);
  if (!trial.ok()) {
    ctx.error(pos_of(node), "invalid regex " + quote(written) + ": " + trial.error());
    return std::nullopt;
  }
  return CompiledRegex{written, nullptr, std::move(*pattern)};
}

std::optional<JsonExpectation> build_expected_json(std::string pointer, const toml::node& value,
                                                   const TemplateEnv& env, LoadContext& ctx) {
  std::vector<JsonTemplate> templates;
  auto converted = to_json(value, "", env, templates, ctx);
  if (!converted) return std::nullopt;
  return JsonExpectation{std::move(pointer), std::move(*converted), std::move(templates)};
}

}  // namespace synthprobe::config
