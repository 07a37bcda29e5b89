#pragma once
// The settings one table sets, before inheritance: [defaults], a [[site]], a [[check]] or [[flow]], or a
// [[flow.step]]. Every field unset means "inherit". Values are type-checked here, once, where they were
// written; templates stay unparsed string nodes because their variables are only known once the check's
// site and the step's place in its flow are.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_model.h"
#include "config/expect_layer.h"
#include "config/toml_reader.h"

namespace synthprobe::config {

enum class Level { defaults, site, check, flow, step };

struct NamedTemplate {
  std::string name;
  const toml::node* value = nullptr;  // a string node
};

// body, form and json are one setting: a level that sets one replaces what it inherited.
struct BodyLayer {
  BodyKind kind = BodyKind::none;
  const toml::node* text = nullptr;  // body or json
  std::vector<NamedTemplate> form;
};

// basic_auth and bearer_token are one setting too.
struct AuthLayer {
  const toml::node* username = nullptr;
  const toml::node* password = nullptr;
  const toml::node* bearer_token = nullptr;
};

struct TlsLayer {
  Setting<std::string> ca_file;  // absolute
  Setting<std::string> client_cert;
  Setting<std::string> client_key;
  Setting<bool> insecure;
};

struct Layer {
  // What every request has.
  const toml::node* url = nullptr;
  Setting<std::string> method;
  std::vector<NamedTemplate> headers;  // merged case-insensitively, first spelling kept
  std::optional<BodyLayer> body;
  std::optional<AuthLayer> auth;
  Setting<Duration> interval;
  Setting<Duration> interval_when_failing;
  Setting<Duration> timeout;
  Setting<int> retries;
  Setting<bool> follow_redirects;
  Setting<int> max_redirects;
  Setting<bool> follow_redirects_with_secrets;
  Setting<std::uint64_t> max_body_bytes;
  Setting<bool> fresh_connection;
  Setting<IpVersion> ip_version;
  Setting<std::vector<std::string>> resolve;  // "host:port:addr"
  const toml::node* proxy_url = nullptr;
  TlsLayer tls;
  ExpectLayer expect;
  std::map<std::string, std::string> vars;
  // What a check or flow has.
  Setting<Severity> severity;
  Setting<bool> enabled;
  std::map<std::string, std::string> labels;
  Setting<int> open_after;
  Setting<int> resolve_after;
  Setting<std::string> status_message;
  Setting<Duration> recovery_watch;
  Setting<Duration> comms_deadline;
};

// Reads the settings a table at `level` may hold. `own_keys` are the table's other keys (name, site, ...),
// which the caller reads; anything else is reported as unknown.
Layer read_layer(const TableReader& reader, Level level, std::span<const std::string_view> own_keys);

// `over` wins; headers, tls, expect, vars and labels merge key by key.
void merge_into(Layer& base, const Layer& over);


// "P1", "P2", "P3" (any case).
std::optional<Severity> parse_severity(std::string_view text);

// Empty when `name` can be a template variable (vars and extractions): what ${name} accepts, and not a
// name templates reserve (env, file, uuid, ...); else why not.
std::string variable_name_problem(std::string_view name);

}  // namespace synthprobe::config
