#pragma once
// The validated, fully inherited configuration: plain structs the engine reads and never re-checks.
// Everything here was resolved at load time: defaults < site < check/flow < step inheritance, site vars,
// ${env:} and ${file:} secrets, RE2 compilation. Only run-time values (extracted variables, ${uuid},
// ${unix_ms}, ${random_digits:N}) remain as placeholders inside TemplateString, in requests and in
// expectations alike; a regex that inserts one is the only kind compiled per run.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "config/lookup_target.h"
#include "config/shard.h"
#include "config/status_matcher.h"
#include "config/template_string.h"

namespace re2 {
class RE2;
}

namespace synthprobe::config {

using Duration = std::chrono::milliseconds;

enum class Severity { P1 = 1, P2 = 2, P3 = 3 };
enum class IpVersion { any, v4, v6 };

// A regex from the config. One that needs no run-time value is compiled once at load (`re`, shared because
// inherited expectations are copied into many checks). One that inserts a run-time value keeps its
// template instead (`re` null) and is compiled per run from the rendering, where each inserted value is
// quoted, so it matches only itself.
struct CompiledRegex {
  std::string pattern;  // with `re`: the compiled pattern; else the template as written
  std::shared_ptr<const re2::RE2> re;
  TemplateString source = {};  // context regex; empty when `re` is set
};

struct HeaderExpectation {
  std::string name;  // lower case
  CompiledRegex regex;
};

// A string inside an expected JSON value that needs a run's values.
struct JsonTemplate {
  std::string pointer;  // RFC 6901, relative to the expected value ("" is the value itself)
  TemplateString text;  // context raw
};

struct JsonExpectation {
  std::string pointer;  // RFC 6901, validated at load
  boost::json::value value;  // what `templates` point at holds "" until a run renders it
  std::vector<JsonTemplate> templates = {};  // usually empty: then `value` is compared as it is
};

struct Expect {
  std::vector<StatusMatcher> status;  // empty after load never happens: default is 2xx
  std::vector<TemplateString> body_contains;      // context raw
  std::vector<TemplateString> body_not_contains;  // context raw
  std::vector<CompiledRegex> body_regex;
  std::vector<HeaderExpectation> headers;
  std::vector<JsonExpectation> json;
  std::vector<std::string> json_absent;
  std::optional<Duration> max_latency;
  std::optional<Duration> degraded_latency;
  std::optional<int> cert_min_days;
};

struct Tls {
  std::string ca_file;      // absolute after load, empty = system store
  std::string client_cert;  // absolute after load
  std::string client_key;   // absolute after load
  bool insecure = false;
};

enum class BodyKind { none, raw, form, json };

struct Header {
  std::string name;  // as written (first spelling wins); merged case-insensitively
  TemplateString value;
  bool secret = false;  // the value holds a ${env:}/${file:} secret (directly or through a var); set at load
  bool fixed = false;   // its line is in RequestSettings::fixed_header_lines (set at load)
};

struct FormField {
  std::string name;
  TemplateString value;  // rendered raw, then form-encoded
};

// The settings every check, flow and step has. Inheritance fills all of them.
struct RequestSettings {
  TemplateString url;  // context: url
  std::string method = "GET";
  std::vector<Header> headers;  // includes User-Agent unless the user set one
  // "Name: value" of every header with a constant, non-empty value (marked `fixed`), in order, each
  // ending in a NUL: built once at load, so a run hands curl these lines instead of copying them.
  std::string fixed_header_lines;
  BodyKind body_kind = BodyKind::none;
  TemplateString body;            // raw (context none) or json (context json)
  std::vector<FormField> form;    // when body_kind == form
  std::optional<std::string> basic_auth_user;
  std::optional<std::string> basic_auth_password;
  std::optional<std::string> bearer_token;
  Duration interval{std::chrono::seconds(30)};
  std::optional<Duration> interval_when_failing;  // default = interval
  Duration timeout{std::chrono::seconds(10)};
  int retries = 0;
  bool follow_redirects = true;
  int max_redirects = 10;
  // Follow a redirect to another origin even when a header carries a secret (curl would send it along).
  bool follow_redirects_with_secrets = false;
  std::uint64_t max_body_bytes = 4u * 1024 * 1024;
  bool fresh_connection = true;
  IpVersion ip_version = IpVersion::any;
  std::vector<std::string> resolve;  // pins "host:port:addr" (IPv6 in brackets), for this request only
  std::string proxy_url;
  // For a constant URL, the host a run looks up first (or that there is none), worked out once at load
  // from url, resolve and proxy_url, so a run does not parse its URL. Unset for a templated URL, and for
  // settings not made by the loader: each run then works it out (as for a URL of another length than the
  // one it was made from). Code that changes url, resolve or proxy_url of loaded settings resets it.
  std::optional<ConstantLookup> constant_lookup;
  Tls tls;
  Expect expect;
};

struct Extraction {
  enum class Kind { regex, json, header, cookie };
  std::string variable;
  Kind kind = Kind::regex;
  std::string source;  // the regex pattern, JSON pointer, header name (lower case) or cookie name
  std::shared_ptr<const re2::RE2> regex;  // for Kind::regex, one capture group
};

struct Step {
  std::string name;
  RequestSettings request;
  std::vector<Extraction> extract;
  bool always = false;
};

// A check is a flow of one step; `kind` says which the user wrote.
struct Check {
  enum class Kind { check, flow };
  Kind kind = Kind::check;
  std::string name;
  std::string site;
  std::string area;
  Severity severity = Severity::P3;
  bool enabled = true;
  std::map<std::string, std::string> labels;  // site's merged with the check's
  RequestSettings settings;  // for a check: its request; for a flow: the flow-level settings
  std::vector<Step> steps;   // for a check: exactly one step (named after the check)
  int open_after = 3;
  int resolve_after = 2;
};

// Who handles an incident (the response plan's roles): a person's name or a rota URL each, and optionally
// the notifier that reaches them. Incidents carry the team; a P1 open goes to every role's notifier.
struct TeamMember {
  std::string name;      // "Ana Ruiz" or "https://rota.example.com/web"
  std::string notifier;  // a [[notifier]] name, or empty
  bool operator==(const TeamMember&) const = default;
};

// The roles' keys, in this order everywhere: [incident_team], the incident object's "team", payloads.
inline constexpr std::array<std::string_view, 4> kTeamRoles{"commander", "technical_lead", "communications_lead",
                                                            "support_lead"};

struct IncidentTeam {
  std::optional<TeamMember> commander;
  std::optional<TeamMember> technical_lead;
  std::optional<TeamMember> communications_lead;
  std::optional<TeamMember> support_lead;
  bool empty() const { return !commander && !technical_lead && !communications_lead && !support_lead; }
  bool operator==(const IncidentTeam&) const = default;
};

struct Site {
  std::string name;
  // Made for checks and flows without `site`, named after their URL's host, with the [defaults].
  bool implicit = false;
  std::map<std::string, std::string> vars;
  std::map<std::string, std::string> labels;
  int open_after = 3;
  int resolve_after = 2;
  std::string status_message =
      "We are currently experiencing technical issues and are working to resolve them.";
  // After an incident resolves its checks keep interval_when_failing this long, and a check going down
  // again within it reopens the same incident (a relapse). 0 turns the watch off.
  Duration recovery_watch{std::chrono::minutes(15)};
  // Customers must hear from us this long after an incident opens (the response plan's 30 minutes).
  Duration comms_deadline{std::chrono::minutes(30)};
  IncidentTeam team;  // [incident_team] with the site's own incident_team roles over it
};

struct Probe {
  std::string name;  // default: host name
  std::string region = "local";
  std::string listen = "127.0.0.1:9464";
  std::string state_dir = "state";  // absolute after load
  int max_in_flight = 1000;
  std::string log_format = "logfmt";  // logfmt | json
  Duration state_retention{std::chrono::hours(24 * 90)};  // resolved incidents and rollups kept this long
  // Bearer token for the HTTP write endpoints (POST /-/reload); usually "${env:...}". Empty: reload is
  // open to non-browser clients only.
  std::string api_token;
  // `shard = "K/N"`: this probe runs only the checks and flows whose name hashes to K (config/shard.h).
  std::optional<Shard> shard;
  // Where checks' host names are looked up, "127.0.0.1:5353" / "[::1]:53" (config/dns_server.h); empty:
  // the nameservers of /etc/resolv.conf. /etc/hosts is read first either way.
  std::vector<std::string> dns_servers;
  // "K/N", or "" without a shard.
  std::string shard_name() const { return shard ? shard->to_string() : ""; }
};

struct Notifier {
  std::string name;
  std::string type;  // pagerduty | opsgenie | alertmanager | webhook | slack
  Severity min_severity = Severity::P3;
  std::string url;
  std::vector<std::string> urls;  // alertmanager
  std::string routing_key;        // pagerduty
  std::string api_key;            // opsgenie
  std::map<std::string, std::string> headers;  // webhook
  Duration resend_interval{std::chrono::minutes(1)};
  Duration timeout{std::chrono::seconds(10)};
  // An event not delivered by then is given up (result "expired"): a page a day late helps nobody.
  Duration max_delivery_age{std::chrono::hours(24)};
  // Also hear of an incident whose customer update is overdue (the communications clock).
  bool notify_on_comms_overdue = false;
};

struct Heartbeat {
  std::string url;
  Duration interval{std::chrono::minutes(1)};
};

// [[remote_write]]: where the probe pushes its samples (Prometheus remote-write 1.0) when it cannot be
// scraped. Every `interval` the whole /metrics exposition is taken, with `labels` added to each series
// (a series' own label of the same name wins, as with Prometheus' external labels).
struct RemoteWrite {
  std::string name;  // default "remote_write"; the `remote` label of its metrics
  std::string url;
  Duration interval{std::chrono::seconds(15)};
  Duration timeout{std::chrono::seconds(10)};
  std::string bearer_token;                    // resolved (a secret)
  std::string username, password;              // basic_auth, resolved; username empty: none
  std::map<std::string, std::string> labels;   // default job = "synthprobe", instance = the probe's name
  std::size_t max_samples_per_send = 2000;
  std::size_t queue_capacity = 500000;          // samples waiting to be sent; the oldest are dropped beyond
  Duration min_backoff{std::chrono::milliseconds(100)};
  Duration max_backoff{std::chrono::seconds(10)};

  bool operator==(const RemoteWrite&) const = default;
};

// A time when a site's outages are expected: checks still run and export metrics, but no incident opens
// (one already open stays open and resolves as usual). Either one-off (start and end) or weekly.
struct MaintenanceWindow {
  std::string site;
  std::optional<std::chrono::system_clock::time_point> start, end;  // one-off: [start, end)
  std::string weekly;  // as written, e.g. "Sun 02:00-04:00", "Mon-Fri 23:00-01:00"; empty for one-off
  std::string time_zone = "UTC";  // IANA name; the weekly window follows its wall clock
  std::string reason;
};

struct Config {
  std::string path;  // the file it came from
  Probe probe;
  std::vector<Site> sites;
  std::vector<Check> checks;  // checks and flows in file order (this probe's shard of them)
  std::size_t checks_in_file = 0;  // before [probe] shard kept its share
  std::vector<Notifier> notifiers;
  std::vector<Heartbeat> heartbeats;
  std::vector<RemoteWrite> remote_writes;
  std::vector<std::string> secrets;  // resolved secret values, for redaction: unique, longest first
  std::vector<MaintenanceWindow> maintenance;
  IncidentTeam incident_team;  // [incident_team]: every site's, unless the site names its own

  std::size_t count(Check::Kind kind) const;
  const Site* find_site(const std::string& name) const;
  // Replaces every secret value in text by "<secret>".
  std::string redact(std::string text) const;
};

}  // namespace synthprobe::config
