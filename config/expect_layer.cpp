#include "config/expect_layer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include <boost/json.hpp>

#include "common/text.h"
#include "config/duration.h"
#include "config/json_pointer.h"
#include "config/regex_compile.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 10> kExpectKeys{
    "status", "body_contains", "body_not_contains", "body_regex", "headers", "json", "json_absent",
    "max_latency", "degraded_latency", "cert_min_days"};

// JSON assertions are type-strict, so the TOML type decides the JSON type: 3 is a number, "3" a string.
std::optional<boost::json::value> to_json(const toml::node& node, LoadContext& ctx) {
  if (auto* v = node.as_integer()) return boost::json::value(v->get());
  if (auto* v = node.as_floating_point()) return boost::json::value(v->get());
  if (auto* v = node.as_boolean()) return boost::json::value(v->get());
  if (auto* v = node.as_string()) return boost::json::value(boost::json::string_view(v->get()));
  if (auto* array = node.as_array()) {
    boost::json::array out;
    for (const toml::node& element : *array) {
      auto value = to_json(element, ctx);
      if (!value) return std::nullopt;
      out.push_back(std::move(*value));
    }
    return boost::json::value(std::move(out));
  }
  if (auto* table = node.as_table()) {
    boost::json::object out;
    for (const auto& [key, value_node] : entries_in_order(*table)) {
      auto value = to_json(*value_node, ctx);
      if (!value) return std::nullopt;
      out[key->str()] = std::move(*value);
    }
    return boost::json::value(std::move(out));
  }
  ctx.error(pos_of(node), "dates and times have no JSON equivalent: write them as strings");
  return std::nullopt;
}

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

Setting<std::vector<CompiledRegex>> read_body_regex(const TableReader& r) {
  auto patterns = r.located_strings("body_regex");
  if (!patterns) return std::nullopt;
  std::vector<CompiledRegex> compiled;
  for (const auto& pattern : patterns->value) {
    std::string error;
    auto re = r.ctx().regexes.compile(pattern.value, error);
    if (!re) r.ctx().error(pattern.pos, error);
    else compiled.push_back(CompiledRegex{pattern.value, std::move(re)});
  }
  if (compiled.size() != patterns->value.size()) return std::nullopt;
  return At<std::vector<CompiledRegex>>{std::move(compiled), patterns->pos};
}

std::vector<HeaderExpectation> read_header_expectations(const TableReader& r) {
  std::vector<HeaderExpectation> out;
  const toml::table* table = r.subtable("headers");
  if (!table) return out;
  for (const auto& [key, node] : entries_in_order(*table)) {
    auto pattern = read_string(*node, "expected header " + quote(key->str()), r.ctx());
    if (!pattern) continue;
    const std::string name = text::to_lower(key->str());
    if (std::any_of(out.begin(), out.end(), [&](const auto& h) { return h.name == name; })) {
      r.ctx().error(pos_of(*key), "header " + quote(key->str()) + " is given twice (header names are case-insensitive)");
      continue;
    }
    std::string error;
    auto re = r.ctx().regexes.compile(*pattern, error);
    if (!re) {
      r.ctx().error(pos_of(*node), error);
      continue;
    }
    out.push_back(HeaderExpectation{name, CompiledRegex{*pattern, std::move(re)}});
  }
  return out;
}

std::vector<JsonExpectation> read_json_expectations(const TableReader& r) {
  std::vector<JsonExpectation> out;
  const toml::table* table = r.subtable("json");
  if (!table) return out;
  for (const auto& [key, node] : entries_in_order(*table)) {
    if (auto problem = json_pointer_problem(key->str()); !problem.empty()) {
      r.ctx().error(pos_of(*key), problem);
      continue;
    }
    auto value = to_json(*node, r.ctx());
    if (value) out.push_back(JsonExpectation{std::string(key->str()), std::move(*value)});
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
  layer.body_contains = r.strings("body_contains");
  layer.body_not_contains = r.strings("body_not_contains");
  layer.body_regex = read_body_regex(r);
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
  merge_by_key(base.headers, over.headers, [](const HeaderExpectation& h) { return h.name; });
  merge_by_key(base.json, over.json, [](const JsonExpectation& j) { return j.pointer; });
  inherit(base.json_absent, over.json_absent);
  inherit(base.max_latency, over.max_latency);
  inherit(base.degraded_latency, over.degraded_latency);
  inherit(base.cert_min_days, over.cert_min_days);
}

Expect finish_expect(const ExpectLayer& layer, LoadContext& ctx) {
  Expect expect;
  if (layer.status) expect.status = layer.status->value;
  else expect.status = {*StatusMatcher::from_class("2xx")};
  if (layer.body_contains) expect.body_contains = layer.body_contains->value;
  if (layer.body_not_contains) expect.body_not_contains = layer.body_not_contains->value;
  if (layer.body_regex) expect.body_regex = layer.body_regex->value;
  expect.headers = layer.headers;
  expect.json = layer.json;
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
