#include "config/settings_layer.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "config/template_field.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 22> kRequestKeys{
    "url",     "method",  "headers",          "body",          "form",           "json",
    "basic_auth", "bearer_token", "interval", "interval_when_failing", "timeout", "retries",
    "follow_redirects", "max_redirects", "max_body_bytes", "fresh_connection", "ip_version", "resolve",
    "proxy_url", "tls", "expect", "vars"};
constexpr std::array<std::string_view, 5> kCheckKeys{"severity", "enabled", "labels", "open_after",
                                                     "resolve_after"};
constexpr std::array<std::string_view, 1> kSiteKeys{"status_message"};
// Settings of the whole run: a step cannot have its own.
constexpr std::array<std::string_view, 8> kFlowOnlyKeys{"interval", "interval_when_failing", "retries",
                                                        "severity", "enabled",  "labels",
                                                        "open_after", "resolve_after"};
constexpr std::array<std::string_view, 4> kTlsKeys{"ca_file", "client_cert", "client_key", "insecure"};
constexpr std::array<std::string_view, 2> kBasicAuthKeys{"username", "password"};
// Labels every series already has (section 6 of the contract), and Prometheus's own.
constexpr std::array<std::string_view, 18> kReservedLabels{
    "check",  "site",   "area",    "probe",   "region", "step",      "phase", "reason",   "severity",
    "notifier", "event", "result", "version", "job",    "instance", "alertname", "le", "quantile"};
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

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

bool is_identifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
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
  if (auto* s = node->as_string()) text = lower_case(s->get());
  if (text == "4") return At<IpVersion>{IpVersion::v4, pos_of(*node)};
  if (text == "6") return At<IpVersion>{IpVersion::v6, pos_of(*node)};
  if (text == "any") return At<IpVersion>{IpVersion::any, pos_of(*node)};
  r.ctx().error(pos_of(*node), "\"ip_version\" must be 4, 6 or \"any\"");
  return std::nullopt;
}

// A string-to-string table (vars, labels) whose keys must pass `valid_key`.
template <class KeyCheck>
std::map<std::string, std::string> read_string_map(const TableReader& r, std::string_view key, KeyCheck valid_key) {
  std::map<std::string, std::string> out;
  const toml::table* table = r.subtable(key);
  if (!table) return out;
  for (const auto& [k, node] : entries_in_order(*table)) {
    if (!valid_key(*k)) continue;
    auto value = read_string(*node, std::string(key) + " value " + quote(k->str()), r.ctx());
    if (value) out[std::string(k->str())] = *value;
  }
  return out;
}

// Var values may take ${env:} and ${file:} (a base URL per environment is common), but nothing that needs
// another var or a run: they are resolved here, once.
std::map<std::string, std::string> read_vars(const TableReader& r) {
  std::map<std::string, std::string> out;
  const toml::table* table = r.subtable("vars");
  if (!table) return out;
  const TemplateEnv env = make_template_env(r.ctx(), nullptr, nullptr);
  for (const auto& [k, node] : entries_in_order(*table)) {
    if (const std::string problem = variable_name_problem(k->str()); !problem.empty()) {
      r.ctx().error(pos_of(*k), problem);
      continue;
    }
    const std::string what = "var " + quote(k->str());
    if (!node->is_string()) {
      r.ctx().error(pos_of(*node), what + " must be a string");
      continue;
    }
    if (auto value = parse_constant(*node, what, env, r.ctx())) out[std::string(k->str())] = *value;
  }
  return out;
}

std::map<std::string, std::string> read_labels(const TableReader& r) {
  return read_string_map(r, "labels", [&](const toml::key& k) {
    if (!is_identifier(k.str()) || k.str().starts_with("__")) {
      r.ctx().error(pos_of(k), "label name " + quote(k.str()) + " is not a valid Prometheus label name");
      return false;
    }
    if (contains(kReservedLabels, k.str())) {
      r.ctx().error(pos_of(k), "label name " + quote(k.str()) + " is reserved: the probe sets it");
      return false;
    }
    return true;
  });
}

// A string node from a table, or null (reported) when it is something else.
const toml::node* template_node(const toml::node& node, std::string_view what, LoadContext& ctx) {
  if (node.is_string()) return &node;
  ctx.error(pos_of(node), std::string(what) + " must be a string");
  return nullptr;
}

std::vector<NamedTemplate> read_headers(const TableReader& r) {
  std::vector<NamedTemplate> out;
  const toml::table* table = r.subtable("headers");
  if (!table) return out;
  for (const auto& [k, node] : entries_in_order(*table)) {
    if (!is_token(k->str())) {
      r.ctx().error(pos_of(*k), "header name " + quote(k->str()) + " is not a valid HTTP header name");
      continue;
    }
    const std::string name = lower_case(k->str());
    if (std::any_of(out.begin(), out.end(), [&](const auto& h) { return lower_case(h.name) == name; })) {
      r.ctx().error(pos_of(*k), "header " + quote(k->str()) + " is given twice (header names are case-insensitive)");
      continue;
    }
    if (auto* value = template_node(*node, "header " + quote(k->str()), r.ctx()))
      out.push_back({std::string(k->str()), value});
  }
  return out;
}

std::optional<BodyLayer> read_body(const TableReader& r) {
  std::vector<std::string_view> given;
  for (std::string_view key : {"body", "form", "json"})
    if (r.find(key)) given.push_back(key);
  if (given.empty()) return std::nullopt;
  if (given.size() > 1) {
    r.ctx().error(pos_of(*r.find(given[1])), "at most one of \"body\", \"form\" and \"json\" may be set, but \"" +
                                                 std::string(given[0]) + "\" and \"" + std::string(given[1]) +
                                                 "\" are");
    return std::nullopt;
  }
  BodyLayer body;
  if (given[0] == "body") {
    body.kind = BodyKind::raw;
    body.text = r.string_node("body");
    if (!body.text) return std::nullopt;
  } else if (given[0] == "json") {
    body.kind = BodyKind::json;
    const toml::node* node = r.find("json");
    if (!node->is_string()) {
      r.ctx().error(pos_of(*node), "\"json\" must be a string holding the JSON text, like json = '{\"sku\": 42}'");
      return std::nullopt;
    }
    body.text = node;
  } else {
    body.kind = BodyKind::form;
    const toml::table* table = r.subtable("form");
    if (!table) return std::nullopt;
    for (const auto& [k, node] : entries_in_order(*table)) {
      if (auto* value = template_node(*node, "form field " + quote(k->str()), r.ctx()))
        body.form.push_back({std::string(k->str()), value});
    }
  }
  return body;
}

std::optional<AuthLayer> read_auth(const TableReader& r, const std::string& prefix) {
  const toml::node* basic = r.find("basic_auth");
  const toml::node* bearer = r.find("bearer_token");
  if (basic && bearer) {
    r.ctx().error(pos_of(*bearer), "at most one of \"basic_auth\" and \"bearer_token\" may be set");
    return std::nullopt;
  }
  AuthLayer auth;
  if (bearer) {
    auth.bearer_token = r.string_node("bearer_token");
    if (!auth.bearer_token) return std::nullopt;
    return auth;
  }
  if (!basic) return std::nullopt;
  const toml::table* table = r.subtable("basic_auth");
  if (!table) return std::nullopt;
  TableReader b(*table, "[" + prefix + ".basic_auth]", r.ctx());
  b.reject_unknown(kBasicAuthKeys);
  auth.username = b.string_node("username");
  auth.password = b.string_node("password");
  if (!b.find("username")) b.missing("username");
  if (!auth.username) return std::nullopt;
  return auth;
}

// A file the probe will need on every run: better to learn now that it is missing.
Setting<std::string> read_path(const TableReader& r, std::string_view key) {
  auto path = r.string(key);
  if (!path || path->value.empty()) return path;
  path->value = r.ctx().absolute_path(path->value);
  if (::access(path->value.c_str(), R_OK) != 0) {
    r.ctx().error(path->pos, "cannot read " + std::string(key) + " " + quote(path->value) + ": " + std::strerror(errno));
  }
  return path;
}

TlsLayer read_tls(const TableReader& r, const std::string& prefix) {
  TlsLayer tls;
  const toml::table* table = r.subtable("tls");
  if (!table) return tls;
  TableReader t(*table, "[" + prefix + ".tls]", r.ctx());
  t.reject_unknown(kTlsKeys);
  tls.ca_file = read_path(t, "ca_file");
  tls.client_cert = read_path(t, "client_cert");
  tls.client_key = read_path(t, "client_key");
  tls.insecure = t.boolean("insecure");
  const bool cert = tls.client_cert && !tls.client_cert->value.empty();
  const bool key = tls.client_key && !tls.client_key->value.empty();
  if (cert != key) t.missing(cert ? "client_key" : "client_cert", "a client certificate needs both");
  return tls;
}

bool valid_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const int port = std::stoi(std::string(text));
  return port >= 1 && port <= 65535;
}

// curl's CURLOPT_RESOLVE wants "host:port:addr", with IPv6 addresses in brackets.
Setting<std::vector<std::string>> read_resolve(const TableReader& r) {
  const toml::table* table = r.subtable("resolve");
  if (!table) return std::nullopt;
  std::vector<std::string> entries;
  for (const auto& [k, node] : entries_in_order(*table)) {
    const std::string_view host_port = k->str();
    const std::size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || !valid_port(host_port.substr(colon + 1))) {
      r.ctx().error(pos_of(*k), "resolve key " + quote(host_port) + " must be \"host:port\", like \"shop.example.com:443\"");
      continue;
    }
    auto addr = read_string(*node, "resolve address for " + quote(host_port), r.ctx());
    if (!addr) continue;
    std::string address = *addr;
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
      address = address.substr(1, address.size() - 2);
    unsigned char buf[16];
    const bool v4 = ::inet_pton(AF_INET, address.c_str(), buf) == 1;
    const bool v6 = !v4 && ::inet_pton(AF_INET6, address.c_str(), buf) == 1;
    if (!v4 && !v6) {
      r.ctx().error(pos_of(*node), "resolve address " + quote(*addr) + " must be an IPv4 or IPv6 address");
      continue;
    }
    entries.push_back(std::string(host_port) + ":" + (v6 ? "[" + address + "]" : address));
  }
  return At<std::vector<std::string>>{std::move(entries), pos_of(*r.find("resolve"))};
}

Setting<std::string> read_method(const TableReader& r) {
  auto method = r.string("method");
  if (method && !is_token(method->value)) {
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

std::string lower_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<Severity> parse_severity(std::string_view text) {
  const std::string s = lower_case(text);
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
  if (level == Level::defaults || level == Level::site) layer.status_message = r.string("status_message");
  return layer;
}

void merge_into(Layer& base, const Layer& over) {
  if (over.url) base.url = over.url;
  inherit(base.method, over.method);
  for (const NamedTemplate& h : over.headers) {
    const std::string name = lower_case(h.name);
    auto same = std::find_if(base.headers.begin(), base.headers.end(),
                             [&](const NamedTemplate& b) { return lower_case(b.name) == name; });
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
}

}  // namespace synthprobe::config
