#include "config/layer_tables.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/text.h"
#include "config/template_field.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 4> kTlsKeys{"ca_file", "client_cert", "client_key", "insecure"};
constexpr std::array<std::string_view, 2> kBasicAuthKeys{"username", "password"};
// Labels every series already has (section 6 of the contract), and Prometheus's own.
constexpr std::array<std::string_view, 18> kReservedLabels{
    "check",  "site",   "area",    "probe",   "region", "step",      "phase", "reason",   "severity",
    "notifier", "event", "result", "version", "job",    "instance", "alertname", "le", "quantile"};

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_identifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// A string node from a table, or null (reported) when it is something else.
const toml::node* template_node(const toml::node& node, std::string_view what, LoadContext& ctx) {
  if (node.is_string()) return &node;
  ctx.error(pos_of(node), std::string(what) + " must be a string");
  return nullptr;
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

bool valid_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  int port = 0;
  for (char c : text) port = port * 10 + (c - '0');
  return port >= 1 && port <= 65535;
}

}  // namespace

bool is_http_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
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

std::map<std::string, std::string> read_labels(const TableReader& r, std::initializer_list<std::string_view> also_allowed) {
  std::map<std::string, std::string> out;
  const toml::table* table = r.subtable("labels");
  if (!table) return out;
  for (const auto& [k, node] : entries_in_order(*table)) {
    if (!is_identifier(k->str()) || k->str().starts_with("__")) {
      r.ctx().error(pos_of(*k), "label name " + quote(k->str()) + " is not a valid Prometheus label name");
      continue;
    }
    if (std::find(kReservedLabels.begin(), kReservedLabels.end(), k->str()) != kReservedLabels.end() &&
        std::find(also_allowed.begin(), also_allowed.end(), k->str()) == also_allowed.end()) {
      r.ctx().error(pos_of(*k), "label name " + quote(k->str()) + " is reserved: the probe sets it");
      continue;
    }
    if (auto value = read_string(*node, "label " + quote(k->str()), r.ctx())) out[std::string(k->str())] = *value;
  }
  return out;
}

std::vector<NamedTemplate> read_headers(const TableReader& r) {
  std::vector<NamedTemplate> out;
  const toml::table* table = r.subtable("headers");
  if (!table) return out;
  for (const auto& [k, node] : entries_in_order(*table)) {
    if (!is_http_token(k->str())) {
      r.ctx().error(pos_of(*k), "header name " + quote(k->str()) + " is not a valid HTTP header name");
      continue;
    }
    const std::string name = text::to_lower(k->str());
    if (std::any_of(out.begin(), out.end(), [&](const auto& h) { return text::to_lower(h.name) == name; })) {
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

}  // namespace synthprobe::config
