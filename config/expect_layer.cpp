#include "config/expect_layer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include "common/text.h"
#include "config/duration.h"
#include "config/expected_values.h"
#include "config/json_pointer.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 10> kExpectKeys{
    "status", "body_contains", "body_not_contains", "body_regex", "headers", "json", "json_absent",
    "max_latency", "degraded_latency", "cert_min_days"};

Setting<std::vector<StatusMatcher>> read_status(const TableReader& r) {
  const toml::node* node = r.find("status");
  if (!node) return std::nullopt;
  std::vector<const toml::node*> elements;
  if (node->is_array()) {
    for (const toml::node& element : *node->as_array()) elements.push_back(&element);
  } else {
    elements.push_back(node);  // a single code or class
  }
  std::vector<StatusMatcher> matchers;
  bool ok = true;
  for (const toml::node* element : elements) {
    std::optional<StatusMatcher> matcher;
    if (auto* code = element->as_integer()) {
      matcher = StatusMatcher::from_code(static_cast<long>(code->get()));
      if (!matcher)
        r.ctx().error(pos_of(*element), "status " + std::to_string(code->get()) + " is not an HTTP status (100-599)");
    } else if (auto* text = element->as_string()) {
      matcher = StatusMatcher::from_class(text->get());
      // "200" as a string is a common slip; accept it rather than make the user guess the type.
      if (!matcher && !text->get().empty() &&
          std::all_of(text->get().begin(), text->get().end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          text->get().size() <= 3)
        matcher = StatusMatcher::from_code(std::strtol(text->get().c_str(), nullptr, 10));
      if (!matcher)
        r.ctx().error(pos_of(*element),
                      "status " + quote(text->get()) + " must be a code (100-599) or a class like \"2xx\"");
    } else {
      r.ctx().error(pos_of(*element), "\"status\" entries must be codes like 200 or classes like \"2xx\"");
    }
    if (matcher) matchers.push_back(*matcher);
    else ok = false;
  }
  if (matchers.empty() && ok) {
    r.ctx().error(pos_of(*node), "\"status\" must not be empty (the default is [\"2xx\"])");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return At<std::vector<StatusMatcher>>{std::move(matchers), pos_of(*node)};
}

std::vector<ExpectedHeader> read_header_expectations(const TableReader& r) {
  std::vector<ExpectedHeader> out;
  const toml::table* table = r.subtable("headers");
  if (!table) return out;
  for (const auto& [key, node] : entries_in_order(*table)) {
    if (!read_string(*node, "expected header " + quote(key->str()), r.ctx())) continue;
    const std::string name = text::to_lower(key->str());
    if (std::any_of(out.begin(), out.end(), [&](const auto& h) { return h.name == name; })) {
      r.ctx().error(pos_of(*key), "header " + quote(key->str()) + " is given twice (header names are case-insensitive)");
      continue;
    }
    out.push_back(ExpectedHeader{name, node});
  }
  return out;
}

std::vector<ExpectedJson> read_json_expectations(const TableReader& r) {
  std::vector<ExpectedJson> out;
  const toml::table* table = r.subtable("json");
  if (!table) return out;
  for (const auto& [key, node] : entries_in_order(*table)) {
    if (auto problem = json_pointer_problem(key->str()); !problem.empty()) {
      r.ctx().error(pos_of(*key), problem);
      continue;
    }
    out.push_back(ExpectedJson{std::string(key->str()), node});
  }
  return out;
}

Setting<std::vector<std::string>> read_pointers(const TableReader& r, std::string_view key) {
  auto pointers = r.located_strings(key);
  if (!pointers) return std::nullopt;
  std::vector<std::string> valid;
  for (const auto& p : pointers->value) {
    if (auto problem = json_pointer_problem(p.value); !problem.empty()) r.ctx().error(p.pos, problem);
    else valid.push_back(p.value);
  }
  if (valid.size() != pointers->value.size()) return std::nullopt;
  return At<std::vector<std::string>>{std::move(valid), pointers->pos};
}

Setting<int> to_int(const Setting<std::int64_t>& v) {
  if (!v) return std::nullopt;
  return At<int>{static_cast<int>(v->value), v->pos};
}

template <class T, class Key>
void merge_by_key(std::vector<T>& base, const std::vector<T>& over, Key key) {
  for (const T& item : over) {
    auto same = std::find_if(base.begin(), base.end(), [&](const T& b) { return key(b) == key(item); });
    if (same != base.end()) *same = item;
    else base.push_back(item);
  }
}

template <class T>
void inherit(Setting<T>& base, const Setting<T>& over) {
  if (over) base = over;
}

}  // namespace

ExpectLayer read_expect(const toml::table& table, std::string where, LoadContext& ctx) {
  TableReader r(table, std::move(where), ctx);
  r.reject_unknown(kExpectKeys);
  ExpectLayer layer;
  layer.status = read_status(r);
  layer.body_contains = r.string_nodes("body_contains");
  layer.body_not_contains = r.string_nodes("body_not_contains");
  layer.body_regex = r.string_nodes("body_regex");
  layer.headers = read_header_expectations(r);
  layer.json = read_json_expectations(r);
  layer.json_absent = read_pointers(r, "json_absent");
  layer.max_latency = r.duration("max_latency");
  layer.degraded_latency = r.duration("degraded_latency");
  layer.cert_min_days = to_int(r.integer("cert_min_days", 0, 3650));
  return layer;
}

void merge_into(ExpectLayer& base, const ExpectLayer& over) {
  inherit(base.status, over.status);
  inherit(base.body_contains, over.body_contains);
  inherit(base.body_not_contains, over.body_not_contains);
  inherit(base.body_regex, over.body_regex);
  merge_by_key(base.headers, over.headers, [](const ExpectedHeader& h) { return h.name; });
  merge_by_key(base.json, over.json, [](const ExpectedJson& j) { return j.pointer; });
  inherit(base.json_absent, over.json_absent);
  inherit(base.max_latency, over.max_latency);
  inherit(base.degraded_latency, over.degraded_latency);
  inherit(base.cert_min_days, over.cert_min_days);
}

Expect finish_expect(const ExpectLayer& layer, const TemplateEnv& env, LoadContext& ctx) {
  Expect expect;
  if (layer.status) expect.status = layer.status->value;
  else expect.status = {*StatusMatcher::from_class("2xx")};
  const auto texts = [&](const Setting<std::vector<const toml::node*>>& nodes, std::vector<TemplateString>& out) {
    if (!nodes) return;
    for (const toml::node* node : nodes->value)
      if (auto text = build_expected_text(*node, env, ctx)) out.push_back(std::move(*text));
  };
  texts(layer.body_contains, expect.body_contains);
  texts(layer.body_not_contains, expect.body_not_contains);
  if (layer.body_regex) {
    for (const toml::node* node : layer.body_regex->value)
      if (auto regex = build_expected_regex(*node, env, ctx)) expect.body_regex.push_back(std::move(*regex));
  }
  for (const ExpectedHeader& h : layer.headers)
    if (auto regex = build_expected_regex(*h.pattern, env, ctx))
      expect.headers.push_back(HeaderExpectation{h.name, std::move(*regex)});
  for (const ExpectedJson& j : layer.json)
    if (auto value = build_expected_json(j.pointer, *j.value, env, ctx)) expect.json.push_back(std::move(*value));
  if (layer.json_absent) expect.json_absent = layer.json_absent->value;
  for (const auto& p : expect.json_absent) {
    if (std::any_of(expect.json.begin(), expect.json.end(), [&](const auto& j) { return j.pointer == p; }))
      ctx.error(layer.json_absent->pos, "JSON pointer " + quote(p) + " is both expected and expected absent");
  }
  if (layer.max_latency) expect.max_latency = layer.max_latency->value;
  if (layer.degraded_latency) expect.degraded_latency = layer.degraded_latency->value;
  if (layer.max_latency && layer.degraded_latency && layer.degraded_latency->value >= layer.max_latency->value) {
    ctx.error(layer.degraded_latency->pos, "\"degraded_latency\" (" + format_duration(layer.degraded_latency->value) +
                                               ") must be less than \"max_latency\" (" +
                                               format_duration(layer.max_latency->value) + ")");
  }
  if (layer.cert_min_days) expect.cert_min_days = layer.cert_min_days->value;
  return expect;
}

}  // namespace synthprobe::config
