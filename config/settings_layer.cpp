#include "config/settings_layer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "common/text.h"
#include "config/layer_tables.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 23> kRequestKeys{
    "url",     "method",  "headers",          "body",          "form",           "json",
    "basic_auth", "bearer_token", "interval", "interval_when_failing", "timeout", "retries",
    "follow_redirects", "max_redirects", "follow_redirects_with_secrets", "max_body_bytes", "fresh_connection",
    "ip_version", "resolve", "proxy_url", "tls", "expect", "vars"};
constexpr std::array<std::string_view, 5> kCheckKeys{"severity", "enabled", "labels", "open_after",
                                                     "resolve_after"};
constexpr std::array<std::string_view, 3> kSiteKeys{"status_message", "recovery_watch", "comms_deadline"};
// Settings of the whole run: a step cannot have its own.
constexpr std::array<std::string_view, 8> kFlowOnlyKeys{"interval", "interval_when_failing", "retries",
                                                        "severity", "enabled",  "labels",
                                                        "open_after", "resolve_after"};
// Names templates give a meaning of their own.
constexpr std::array<std::string_view, 5> kReservedVars{"env", "file", "uuid", "unix_ms", "random_digits"};

std::string table_prefix(Level level) {
  switch (level) {
    case Level::defaults: return "defaults";
    case Level::site: return "site";
    case Level::check: return "check";
    case Level::flow: return "flow";
    case Level::step: return "flow.step";
  }
  return "";
}

template <class T>
bool contains(const T& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

Setting<int> to_int(const Setting<std::int64_t>& v) {
  if (!v) return std::nullopt;
  return At<int>{static_cast<int>(v->value), v->pos};
}

Setting<Severity> read_severity(const TableReader& r) {
  auto text = r.string("severity");
  if (!text) return std::nullopt;
  if (auto severity = parse_severity(text->value)) return At<Severity>{*severity, text->pos};
  r.ctx().error(text->pos, "severity " + quote(text->value) + " must be P1, P2 or P3");
  return std::nullopt;
}

Setting<IpVersion> read_ip_version(const TableReader& r) {
  const toml::node* node = r.find("ip_version");
  if (!node) return std::nullopt;
  std::string text;
  if (auto* i = node->as_integer()) text = std::to_string(i->get());
  if (auto* s = node->as_string()) text = text::to_lower(s->get());
  if (text == "4") return At<IpVersion>{IpVersion::v4, pos_of(*node)};
  if (text == "6") return At<IpVersion>{IpVersion::v6, pos_of(*node)};
  if (text == "any") return At<IpVersion>{IpVersion::any, pos_of(*node)};
  r.ctx().error(pos_of(*node), "\"ip_version\" must be 4, 6 or \"any\"");
  return std::nullopt;
}

Setting<std::string> read_method(const TableReader& r) {
  auto method = r.string("method");
  if (method && !is_http_token(method->value)) {
    r.ctx().error(method->pos, "method " + quote(method->value) + " is not a valid HTTP method");
    return std::nullopt;
  }
  return method;
}

std::vector<std::string_view> known_keys(Level level, std::span<const std::string_view> own_keys) {
  std::vector<std::string_view> keys(own_keys.begin(), own_keys.end());
  for (auto k : kRequestKeys)
    if (level != Level::step || !contains(kFlowOnlyKeys, k)) keys.push_back(k);
  if (level != Level::step) keys.insert(keys.end(), kCheckKeys.begin(), kCheckKeys.end());
  if (level == Level::defaults || level == Level::site) keys.insert(keys.end(), kSiteKeys.begin(), kSiteKeys.end());
  return keys;
}

template <class T>
void inherit(Setting<T>& base, const Setting<T>& over) {
  if (over) base = over;
}

}  // namespace

std::optional<Severity> parse_severity(std::string_view text) {
  const std::string s = text::to_lower(text);
  if (s == "p1") return Severity::P1;
  if (s == "p2") return Severity::P2;
  if (s == "p3") return Severity::P3;
  return std::nullopt;
}

std::string variable_name_problem(std::string_view name) {
  // The characters ${name} accepts (template_string.cpp).
  const bool valid = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
                     });
  if (!valid)
    return "variable name " + quote(name) + " must be letters, digits, _, - and . (starting with a letter or _)";
  if (contains(kReservedVars, name)) return "variable name " + quote(name) + " is reserved";
  return {};
}

Layer read_layer(const TableReader& r, Level level, std::span<const std::string_view> own_keys) {
  const std::vector<std::string_view> known = known_keys(level, own_keys);
  const std::string prefix = table_prefix(level);
  if (level == Level::step) {
    // Say where these belong rather than only that they are unknown here.
    for (std::string_view key : kFlowOnlyKeys) {
      if (const toml::node* node = r.find(key))
        r.ctx().error(pos_of(*node), quote(key) + " applies to the whole flow: set it in [[flow]], not in [[flow.step]]");
    }
    std::vector<std::string_view> with_flow_only = known;
    with_flow_only.insert(with_flow_only.end(), kFlowOnlyKeys.begin(), kFlowOnlyKeys.end());
    r.reject_unknown(with_flow_only);
  } else {
    r.reject_unknown(known);
  }

  Layer layer;
  layer.url = r.string_node("url");
  layer.method = read_method(r);
  layer.headers = read_headers(r);
  layer.body = read_body(r);
  layer.auth = read_auth(r, prefix);
  layer.timeout = r.duration("timeout");
  layer.follow_redirects = r.boolean("follow_redirects");
  layer.max_redirects = to_int(r.integer("max_redirects", 0, 100));
  layer.follow_redirects_with_secrets = r.boolean("follow_redirects_with_secrets");
  layer.max_body_bytes = r.size("max_body_bytes");
  layer.fresh_connection = r.boolean("fresh_connection");
  layer.ip_version = read_ip_version(r);
  layer.resolve = read_resolve(r);
  layer.proxy_url = r.string_node("proxy_url");
  layer.tls = read_tls(r, prefix);
  if (const toml::table* expect = r.subtable("expect"))
    layer.expect = read_expect(*expect, "[" + prefix + ".expect]", r.ctx());
  layer.vars = read_vars(r);
  if (level != Level::step) {
    layer.interval = r.duration("interval");
    layer.interval_when_failing = r.duration("interval_when_failing");
    layer.retries = to_int(r.integer("retries", 0, 10));
    layer.severity = read_severity(r);
    layer.enabled = r.boolean("enabled");
    layer.labels = read_labels(r);
    layer.open_after = to_int(r.integer("open_after", 1, 1000));
    layer.resolve_after = to_int(r.integer("resolve_after", 1, 1000));
  }
  if (level == Level::defaults || level == Level::site) {
    layer.status_message = r.string("status_message");
    layer.recovery_watch = r.duration("recovery_watch");
    layer.comms_deadline = r.duration("comms_deadline");
  }
  return layer;
}

void merge_into(Layer& base, const Layer& over) {
  if (over.url) base.url = over.url;
  inherit(base.method, over.method);
  for (const NamedTemplate& h : over.headers) {
    const std::string name = text::to_lower(h.name);
    auto same = std::find_if(base.headers.begin(), base.headers.end(),
                             [&](const NamedTemplate& b) { return text::to_lower(b.name) == name; });
    if (same != base.headers.end()) same->value = h.value;  // the first spelling stays
    else base.headers.push_back(h);
  }
  if (over.body) base.body = over.body;
  if (over.auth) base.auth = over.auth;
  inherit(base.interval, over.interval);
  inherit(base.interval_when_failing, over.interval_when_failing);
  inherit(base.timeout, over.timeout);
  inherit(base.retries, over.retries);
  inherit(base.follow_redirects, over.follow_redirects);
  inherit(base.max_redirects, over.max_redirects);
  inherit(base.follow_redirects_with_secrets, over.follow_redirects_with_secrets);
  inherit(base.max_body_bytes, over.max_body_bytes);
  inherit(base.fresh_connection, over.fresh_connection);
  inherit(base.ip_version, over.ip_version);
  inherit(base.resolve, over.resolve);
  if (over.proxy_url) base.proxy_url = over.proxy_url;
  inherit(base.tls.ca_file, over.tls.ca_file);
  inherit(base.tls.client_cert, over.tls.client_cert);
  inherit(base.tls.client_key, over.tls.client_key);
  inherit(base.tls.insecure, over.tls.insecure);
  merge_into(base.expect, over.expect);
  for (const auto& [k, v] : over.vars) base.vars[k] = v;
  inherit(base.severity, over.severity);
  inherit(base.enabled, over.enabled);
  for (const auto& [k, v] : over.labels) base.labels[k] = v;
  inherit(base.open_after, over.open_after);
  inherit(base.resolve_after, over.resolve_after);
  inherit(base.status_message, over.status_message);
  inherit(base.recovery_watch, over.recovery_watch);
  inherit(base.comms_deadline, over.comms_deadline);
}

}  // namespace synthprobe::config
