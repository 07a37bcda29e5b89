#include "config/config_loader.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "common/listen_address.h"
#include "config/check_builder.h"
#include "config/dns_server.h"
#include "config/maintenance_reader.h"
#include "config/notifier_reader.h"
#include "config/remote_write_reader.h"
#include "config/secret_headers.h"
#include "config/settings_layer.h"
#include "config/site_directory.h"
#include "config/team_reader.h"
#include "config/template_field.h"
#include "config/toml_reader.h"

namespace synthprobe::config {
namespace {

constexpr std::array<std::string_view, 10> kTopKeys{"probe",     "defaults",  "site",        "check",         "flow",
                                                    "notifier",  "heartbeat", "maintenance", "incident_team", "remote_write"};
constexpr std::array<std::string_view, 10> kProbeKeys{"name",          "region",          "listen",    "state_dir",
                                                      "max_in_flight", "log_format",      "state_retention",
                                                      "api_token",     "shard",           "dns_servers"};
constexpr std::array<std::string_view, 2> kSiteOwnKeys{"name", "incident_team"};

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::filesystem::path folder_of(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path.empty() ? "." : path, ec);
  if (ec) absolute = path;
  return absolute.parent_path().lexically_normal();
}

// The tables of an array of tables such as [[site]]; a lone [site] is reported with the fix.
std::vector<const toml::table*> tables_of(const toml::table& doc, std::string_view key, LoadContext& ctx) {
  std::vector<const toml::table*> out;
  const toml::node* node = doc.get(key);
  if (!node) return out;
  if (!node->is_array_of_tables()) {
    ctx.error(pos_of(*node), quote(key) + " must be an array of tables: write [[" + std::string(key) + "]]");
    return out;
  }
  for (const toml::node& element : *node->as_array()) out.push_back(element.as_table());
  return out;
}

const toml::table* table_of(const toml::table& doc, std::string_view key, LoadContext& ctx) {
  const toml::node* node = doc.get(key);
  if (!node) return nullptr;
  if (!node->is_table()) {
    ctx.error(pos_of(*node), quote(key) + " must be a table: write [" + std::string(key) + "]");
    return nullptr;
  }
  return node->as_table();
}

Probe read_probe(const toml::table* table, LoadContext& ctx) {
  Probe probe;
  probe.name = host_name();
  if (table) {
    TableReader r(*table, "[probe]", ctx);
    r.reject_unknown(kProbeKeys);
    if (r.find("name"))
      if (auto name = read_name(r, "name")) probe.name = name->value;
    if (r.find("region"))
      if (auto region = read_name(r, "region")) probe.region = region->value;
    if (auto listen = r.string("listen")) {
      std::string why;
      if (parse_listen_address(listen->value, why)) probe.listen = listen->value;
      else ctx.error(listen->pos, "\"listen\" " + quote(listen->value) + ": " + why);
    }
    if (auto dir = r.string("state_dir")) {
      if (dir->value.empty()) ctx.error(dir->pos, "\"state_dir\" must not be empty");
      else probe.state_dir = dir->value;
    }
    if (auto n = r.integer("max_in_flight", 1, 1'000'000)) probe.max_in_flight = static_cast<int>(n->value);
    if (auto keep = r.duration("state_retention")) {
      if (keep->value < std::chrono::hours(1)) ctx.error(keep->pos, "\"state_retention\" must be at least 1h");
      else probe.state_retention = keep->value;
    }
    if (const toml::node* node = r.string_node("api_token")) {
      // Usually "${env:SYNTHPROBE_API_TOKEN}": a secret, redacted wherever it could be printed.
      const TemplateEnv env = make_template_env(ctx, nullptr, nullptr);
      if (auto token = parse_constant(*node, "\"api_token\"", env, ctx)) {
        if (token->size() < 16) ctx.error(pos_of(*node), "\"api_token\" must be at least 16 characters");
        else probe.api_token = *token;
      }
    }
    if (auto shard = r.string("shard")) {
      std::string why;
      if (auto parsed = parse_shard(shard->value, why)) probe.shard = *parsed;
      else ctx.error(shard->pos, "\"shard\" " + quote(shard->value) + " " + why);
    }
    if (auto servers = r.located_strings("dns_servers")) {
      if (servers->value.empty())
        ctx.error(servers->pos, "\"dns_servers\" lists no server; leave it out to use /etc/resolv.conf");
      for (const auto& entry : servers->value) {
        std::string why;
        if (auto server = parse_dns_server(entry.value, why)) probe.dns_servers.push_back(server->to_string());
        else ctx.error(entry.pos, "\"dns_servers\" entry " + quote(entry.value) + ": " + why);
      }
    }
    if (auto format = r.string("log_format")) {
      if (format->value == "logfmt" || format->value == "json") probe.log_format = format->value;
      else ctx.error(format->pos, "\"log_format\" " + quote(format->value) + " must be \"logfmt\" or \"json\"");
    }
  }
  probe.state_dir = ctx.absolute_path(probe.state_dir);
  return probe;
}

Site make_site(const std::string& name, const Layer& layer) {
  Site site;
  site.name = name;
  site.vars = layer.vars;
  site.labels = layer.labels;
  if (layer.open_after) site.open_after = layer.open_after->value;
  if (layer.resolve_after) site.resolve_after = layer.resolve_after->value;
  if (layer.status_message) site.status_message = layer.status_message->value;
  if (layer.recovery_watch) site.recovery_watch = layer.recovery_watch->value;
  if (layer.comms_deadline) site.comms_deadline = layer.comms_deadline->value;
  return site;
}

// Names must be unique within one namespace; the second use is the error, naming the first.
class UniqueNames {
 public:
  explicit UniqueNames(std::string what) : what_(std::move(what)) {}
  void add(const toml::table& table, const std::string& name, LoadContext& ctx) {
    const toml::node* node = table.get("name");
    const SourcePos pos = node ? pos_of(*node) : pos_of(table);
    auto [it, fresh] = first_.emplace(name, pos);
    if (!fresh)
      ctx.error(pos, "duplicate " + what_ + " name " + quote(name) + " (first used on line " +
                         std::to_string(it->second.line) + ")");
  }

 private:
  std::string what_;
  std::map<std::string, SourcePos> first_;
};

// Incidents are keyed "synthprobe/<site>/<region>" at the receivers (drills "synthprobe-drill/...", a
// sharded probe's keys end in "/shard-K-of-N"); PagerDuty takes dedup keys of at most 255 characters
// (Opsgenie 512). A key that long would turn every page into a 400, so it is refused here, where it can
// still be fixed, with room for the longest of them.
constexpr std::size_t kDedupKeyMax = 255;
constexpr std::size_t kDedupKeyExtra = std::string_view("synthprobe-drill/").size() + 1 +
                                       std::string_view("/shard-999-of-1000").size();

bool dedup_key_fits(std::string_view site, std::string_view region) {
  return kDedupKeyExtra + site.size() + region.size() <= kDedupKeyMax;
}

void check_dedup_key_length(std::string_view site, std::string_view region, SourcePos pos, LoadContext& ctx) {
  if (dedup_key_fits(site, region)) return;
  ctx.error(pos, "site name " + quote(std::string(site.substr(0, 40))) + "... with region " +
                     quote(std::string(region)) + " makes an incident key longer than " +
                     std::to_string(kDedupKeyMax) + " characters (PagerDuty's limit): shorten one of them");
}

void read_document(const toml::table& doc, Config& config, LoadContext& ctx) {
  TableReader(doc, "the top-level table", ctx).reject_unknown(kTopKeys);
  config.probe = read_probe(table_of(doc, "probe", ctx), ctx);

  Layer defaults;
  if (const toml::table* table = table_of(doc, "defaults", ctx))
    defaults = read_layer(TableReader(*table, "[defaults]", ctx), Level::defaults, {});
  // Tables that name notifiers, checked once the notifiers are known.
  std::vector<std::pair<const toml::table*, IncidentTeam>> teams;
  const toml::table* team_table = table_of(doc, "incident_team", ctx);
  if (team_table) {
    config.incident_team = read_team(*team_table, "[incident_team]", ctx);
    teams.emplace_back(team_table, config.incident_team);
  }

  SiteDirectory sites(defaults);
  UniqueNames site_names("site");
  for (const toml::table* table : tables_of(doc, "site", ctx)) {
    TableReader r(*table, "[[site]]", ctx);
    auto name = read_name(r);
    Layer layer = defaults;
    merge_into(layer, read_layer(r, Level::site, kSiteOwnKeys));
    if (!name) continue;
    site_names.add(*table, name->value, ctx);
    check_dedup_key_length(name->value, config.probe.region, name->pos, ctx);
    if (sites.find(name->value)) continue;
    Site site = make_site(name->value, layer);
    site.team = config.incident_team;
    if (const toml::table* own = r.subtable("incident_team")) {
      const IncidentTeam team = read_team(*own, "[[site]] incident_team", ctx);
      site.team = merge_team(config.incident_team, team);
      teams.emplace_back(own, team);
    }
    config.sites.push_back(std::move(site));
    sites.add(name->value, std::move(layer));
  }

  // Checks and flows share one list, in file order.
  std::vector<std::pair<const toml::table*, Check::Kind>> checks;
  for (const toml::table* t : tables_of(doc, "check", ctx)) checks.emplace_back(t, Check::Kind::check);
  for (const toml::table* t : tables_of(doc, "flow", ctx)) checks.emplace_back(t, Check::Kind::flow);
  std::stable_sort(checks.begin(), checks.end(), [](const auto& a, const auto& b) {
    const SourcePos pa = pos_of(*a.first), pb = pos_of(*b.first);
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  UniqueNames check_names("check/flow");
  for (const auto& [table, kind] : checks) {
    auto check = build_check(*table, kind, sites, ctx);
    if (!check) continue;
    check_names.add(*table, check->name, ctx);
    config.checks.push_back(std::move(*check));
  }
  config.checks_in_file = config.checks.size();
  if (const auto& shard = config.probe.shard)
    std::erase_if(config.checks, [&](const Check& c) { return !in_shard(c.name, *shard); });
  // Made for the checks and flows without `site`, before maintenance windows, which may name them too.
  for (const std::string& name : sites.implicit()) {
    if (!dedup_key_fits(name, config.probe.region))
      ctx.error(pos_of(doc), "implicit site " + quote(name.substr(0, 40)) + "... makes an incident key longer than " +
                                 std::to_string(kDedupKeyMax) + " characters: give its checks a shorter site");
    Site site = make_site(name, defaults);
    site.implicit = true;
    site.team = config.incident_team;
    config.sites.push_back(std::move(site));
  }

  UniqueNames notifier_names("notifier");
  for (const toml::table* table : tables_of(doc, "notifier", ctx)) {
    auto notifier = read_notifier(*table, ctx);
    if (!notifier) continue;
    notifier_names.add(*table, notifier->name, ctx);
    config.notifiers.push_back(std::move(*notifier));
  }
  for (const auto& [table, team] : teams) check_team_notifiers(*table, team, config.notifiers, ctx);
  for (const toml::table* table : tables_of(doc, "heartbeat", ctx))
    if (auto heartbeat = read_heartbeat(*table, ctx)) config.heartbeats.push_back(std::move(*heartbeat));
  UniqueNames remote_write_names("remote_write");
  for (const toml::table* table : tables_of(doc, "remote_write", ctx)) {
    auto remote = read_remote_write(*table, config.probe.name, ctx);
    if (!remote) continue;
    remote_write_names.add(*table, remote->name, ctx);
    config.remote_writes.push_back(std::move(*remote));
  }
  for (const toml::table* table : tables_of(doc, "maintenance", ctx))
    if (auto window = read_maintenance(*table, config.sites, ctx)) config.maintenance.push_back(std::move(*window));
}


}  // namespace

LoadResult load_config_string(std::string_view text, const std::string& path_for_messages,
                              std::function<const char*(const char*)> getenv) {
  if (!getenv) getenv = [](const char* name) -> const char* { return std::getenv(name); };
  ErrorList errors(path_for_messages);
  Config config;
  config.path = path_for_messages;
  LoadContext ctx{errors, text, folder_of(path_for_messages), &config.secrets, std::move(getenv), {}};

  toml::table doc;
  // toml++ reports syntax errors by exception; it stops here, at the first one.
  try {
    doc = toml::parse(text, std::string_view(path_for_messages));
  } catch (const toml::parse_error& e) {
    errors.add({e.source().begin.line, e.source().begin.column}, std::string(e.description()));
    return LoadResult{std::nullopt, errors.take({})};
  }

  read_document(doc, config, ctx);
  sort_secrets(config.secrets);  // once, in the order redaction needs
  mark_secret_headers(config);
  if (!errors.empty()) return LoadResult{std::nullopt, errors.take(config.secrets)};
  return LoadResult{std::move(config), {}};
}

LoadResult load_config_file(const std::string& path, std::function<const char*(const char*)> getenv) {
  const auto unreadable = [&](const std::string& why) {
    return LoadResult{std::nullopt, {ConfigError{path, 0, 0, "cannot read config file: " + why}}};
  };
  std::error_code ec;
  // A folder opens like an empty file, which would pass as an empty config.
  if (std::filesystem::is_directory(path, ec)) return unreadable("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable(std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return unreadable(std::strerror(errno));
  return load_config_string(text.str(), path, std::move(getenv));
}

}  // namespace synthprobe::config
