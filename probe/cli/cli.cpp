#include "probe/cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/version.h"
#include "config/config_loader.h"
#include "common/json_format.h"
#include "config/duration.h"
#include "probe/cli/drill_command.h"
#include "probe/cli/probe_api_client.h"
#include "probe/cli/report_command.h"
#include "probe/cli/result_table.h"
#include "probe/daemon/daemon.h"
#include "probe/daemon/drill_runner.h"
#include "probe/demo/demo_command.h"
#include "probe/engine/fd_limit.h"
#include "probe/engine/result_json.h"
#include "probe/engine/run_once.h"

namespace synthprobe {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kHelp = R"(synthprobe - synthetic monitoring probe for websites and checkout flows

Usage:
  synthprobe run --config FILE           run the daemon (scheduler, metrics, incidents)
  synthprobe once --config FILE [--format table|json] [--check NAME]...
                                         run each selected check or flow once, print results
                                         exit 0 all passed, 1 any failed, 2 config or usage error
  synthprobe check-config FILE           validate a config file; exit 0 valid, 2 invalid
  synthprobe comms --config FILE --incident ID "TEXT"
                                         record an update customers were given, on the running probe
                                         (needs [probe] api_token); exit 0 recorded, 1 refused, 2 usage
  synthprobe drill --config FILE --site SITE [--severity P1] [--duration 1m] [--wait 2m]
                                         send a [DRILL] incident through every notifier that would
                                         receive it, on the running probe (needs [probe] api_token),
                                         resolve it after the duration, print each notifier's delivery;
                                         exit 0 all delivered, 1 any not, 2 refused or usage
  synthprobe report --config FILE [--since 30d] [--format md|html|json] [--objective 99.9] [--output FILE]
                                         the stakeholder report of a period from the state store:
                                         availability against the objective, incidents, comms, drills
  synthprobe demo [--listen ADDR]        an embedded demo shop with a scripted outage
  synthprobe --version | --help
)";

int usage_error(std::string_view message) {
  std::cerr << "synthprobe: " << message << "\n(see synthprobe --help)\n";
  return kExitUsage;
}

// Loads and validates; prints every error as FILE:LINE:COLUMN: message.
std::optional<config::Config> load_or_report(const std::string& path) {
  config::LoadResult loaded = config::load_config_file(path);
  if (!loaded.errors.empty() || !loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << '\n';
    if (loaded.errors.empty()) std::cerr << path << ":1:1: invalid config\n";
    return std::nullopt;
  }
  return std::move(loaded.config);
}

// One line per site made for checks and flows without `site`, so a typo in a URL's host that splits a
// site in two shows before it runs: implicit site "shop.example.com" for checks: home, cart
std::string implicit_sites(const config::Config& cfg) {
  std::string out;
  for (const config::Site& site : cfg.sites) {
    if (!site.implicit) continue;
    out += "implicit site \"" + site.name + "\" for checks:";
    const char* separator = " ";
    for (const config::Check& check : cfg.checks) {
      if (check.site != site.name) continue;
      out += separator + check.name;
      separator = ", ";
    }
    out += '\n';
  }
  return out;
}

// Every run in flight holds descriptors: take all the kernel allows, and say so when `runs` concurrent runs
// (at most max_in_flight) still cannot fit, before they fail as connect errors that look like outages.
void prepare_fd_limit(const config::Probe& probe, std::size_t runs) {
  const auto limit = raise_fd_limit();
  const auto max_in_flight = static_cast<std::size_t>(probe.max_in_flight);
  const auto warning = fd_limit_warning(limit, std::min(runs, max_in_flight), max_in_flight);
  if (!warning) return;
  Logger logger;
  logger.set_format(probe.log_format == "json" ? LogFormat::json : LogFormat::logfmt);
  logger.log(LogLevel::warn, *warning);
}

int daemon_command(const std::string& path) {
  // The daemon loads (and reports on) the config itself; this look is only for max_in_flight, which it is
  // held to whatever the number of checks: a reload may add some.
  config::LoadResult loaded = config::load_config_file(path);
  if (loaded.config) prepare_fd_limit(loaded.config->probe, static_cast<std::size_t>(loaded.config->probe.max_in_flight));
  else raise_fd_limit();
  return run_daemon(path);
}

int check_config_command(const std::vector<std::string_view>& args) {
  if (args.size() != 1 || args[0].starts_with("-")) return usage_error("check-config takes one FILE");
  auto cfg = load_or_report(std::string(args[0]));
  if (!cfg) return kExitUsage;
  std::cout << implicit_sites(*cfg);
  if (cfg->probe.shard)
    std::cout << "shard " << cfg->probe.shard->to_string() << ": keeps " << cfg->checks.size() << " of "
              << cfg->checks_in_file << " checks and flows\n";
  std::cout << "ok: " << cfg->count(config::Check::Kind::check) << " checks, " << cfg->count(config::Check::Kind::flow)
            << " flows\n";
  return kExitOk;
}

int comms_command(const std::vector<std::string_view>& args) {
  std::string path, incident, message;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if ((a == "--config" || a == "--incident") && i + 1 < args.size()) {
      (a == "--config" ? path : incident) = std::string(args[++i]);
    } else if (!a.starts_with("--") && message.empty()) {
      message = std::string(a);
    } else {
      return usage_error("comms takes --config FILE --incident ID \"TEXT\"");
    }
  }
  if (path.empty() || incident.empty() || message.empty())
    return usage_error("comms takes --config FILE --incident ID \"TEXT\"");
  auto cfg = load_or_report(path);
  if (!cfg) return kExitUsage;
  if (cfg->probe.api_token.empty()) {
    std::cerr << "synthprobe: comms needs [probe] api_token in " << path << " (the running probe checks it)\n";
    return kExitUsage;
  }
  const std::string body = serialize_json(boost::json::object{{"message", message}});
  const ProbeApiReply reply = post_to_probe(cfg->probe, "/api/incidents/" + incident + "/comms", body);
  if (reply.status == 201) {
    std::cout << "recorded for " << incident << "\n";
    return kExitOk;
  }
  std::cerr << "synthprobe: " << (reply.status ? "the probe answered " + std::to_string(reply.status) + ": " + reply.body : reply.error);
  if (reply.status) std::cerr << (reply.body.ends_with('\n') ? "" : "\n");
  else std::cerr << "\n";
  return kExitFailed;
}

// --listen ADDR (or --listen=ADDR); the tests' --time-scale F, --state-dir DIR and --shop-port N stay out
// of --help (see DemoOptions).
int demo_command(const std::vector<std::string_view>& args) {
  const std::string usage = "demo takes only --listen ADDR";
  DemoOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a.starts_with("--listen=")) {
      options.listen = std::string(a.substr(9));
      continue;
    }
    if (i + 1 >= args.size()) return usage_error(usage);
    const std::string value(args[++i]);
    if (a == "--listen") {
      options.listen = value;
    } else if (a == "--state-dir") {
      options.state_dir = value;
    } else if (a == "--time-scale") {
      char* end = nullptr;
      options.time_scale = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !(options.time_scale > 0.0 && options.time_scale <= 1.0))
        return usage_error("--time-scale is a factor above 0 and at most 1, like 0.1");
    } else if (a == "--shop-port") {
      char* end = nullptr;
      const long port = std::strtol(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || port < 0 || port > 65535) return usage_error("--shop-port is 0 to 65535");
      options.shop_port = static_cast<unsigned short>(port);
    } else {
      return usage_error(usage);
    }
  }
  return run_demo(options);
}

int drill_command(const std::vector<std::string_view>& args) {
  const std::string usage = "drill takes --config FILE --site SITE [--severity P1|P2|P3] [--duration 1m] [--wait 2m]";
  std::string path;
  DrillOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    std::string* target = a == "--config"     ? &path
                          : a == "--site"     ? &options.site
                          : a == "--severity" ? &options.severity
                          : a == "--duration" ? &options.duration
                          : a == "--wait"     ? &options.wait
                                              : nullptr;
    if (!target || i + 1 >= args.size()) return usage_error(usage);
    *target = std::string(args[++i]);
  }
  if (path.empty() || options.site.empty()) return usage_error(usage);
  if (options.severity != "P1" && options.severity != "P2" && options.severity != "P3")
    return usage_error("--severity is P1, P2 or P3");
  for (const std::string* d : {&options.duration, &options.wait}) {
    std::string error;
    const auto parsed = config::parse_duration(*d, error);
    if (!parsed || *parsed < std::chrono::seconds(1) || *parsed > DrillRunner::kMaxDuration)
      return usage_error("--duration and --wait are durations from 1s to 1h, like 2m (not " + *d + ")");
  }
  auto cfg = load_or_report(path);
  if (!cfg) return kExitUsage;
  if (cfg->probe.api_token.empty()) {
    std::cerr << "synthprobe: drill needs [probe] api_token in " << path << " (the running probe checks it)\n";
    return kExitUsage;
  }
  return run_drill(cfg->probe, options, std::cout, std::cerr);
}

int report_command(const std::vector<std::string_view>& args) {
  const std::string usage =
      "report takes --config FILE [--since 30d] [--format md|html|json] [--objective 99.9] [--output FILE]";
  std::string path;
  ReportOptions options;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string_view flag = args[i];
    const std::string value(args[i + 1]);
    if (flag == "--config") {
      path = value;
    } else if (flag == "--since") {
      std::string error;
      const auto since = config::parse_duration(value, error);
      if (!since || since->count() <= 0) return usage_error("--since is a duration like 30d or 12h");
      options.since = *since;
    } else if (flag == "--format") {
      if (value != "md" && value != "html" && value != "json") return usage_error("--format is md, html or json");
      options.format = value;
    } else if (flag == "--objective") {
      char* end = nullptr;
      const double percent = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !(percent > 0 && percent <= 100))
        return usage_error("--objective is a percentage like 99.9");
      options.objective = percent / 100;
    } else if (flag == "--output") {
      options.output = value;
    } else {
      return usage_error(usage);
    }
  }
  if (args.size() % 2 != 0 || path.empty()) return usage_error(usage);
  auto cfg = load_or_report(path);
  if (!cfg) return kExitUsage;
  return write_report(*cfg, options, std::chrono::system_clock::now(), std::cout, std::cerr);
}

int once_command(const std::vector<std::string_view>& args) {
  std::string path;
  std::string format = "table";
  std::vector<std::string> selected;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&](std::string_view flag) -> std::optional<std::string> {
      if (a.starts_with(std::string(flag) + "=")) return std::string(a.substr(flag.size() + 1));
      if (a == flag && i + 1 < args.size()) return std::string(args[++i]);
      return std::nullopt;
    };
    if (a.starts_with("--config")) {
      auto v = value("--config");
      if (!v) return usage_error("--config needs a FILE");
      path = *v;
    } else if (a.starts_with("--format")) {
      auto v = value("--format");
      if (!v || (*v != "table" && *v != "json")) return usage_error("--format is table or json");
      format = *v;
    } else if (a.starts_with("--check")) {
      auto v = value("--check");
      if (!v) return usage_error("--check needs a NAME");
      selected.push_back(*v);
    } else {
      return usage_error("unknown argument for once: " + std::string(a));
    }
  }
  if (path.empty()) return usage_error("once needs --config FILE");
  auto cfg = load_or_report(path);
  if (!cfg) return kExitUsage;

  std::vector<std::shared_ptr<const config::Check>> checks;
  for (const std::string& name : selected) {
    const bool known = std::any_of(cfg->checks.begin(), cfg->checks.end(), [&](const auto& c) { return c.name == name; });
    if (!known) return usage_error("no check or flow named \"" + name + "\" in " + path);
  }
  for (const auto& c : cfg->checks) {
    // Named checks run even when disabled; otherwise only enabled ones.
    const bool named = std::find(selected.begin(), selected.end(), c.name) != selected.end();
    if (selected.empty() ? c.enabled : named) checks.push_back(std::make_shared<const config::Check>(c));
  }

  prepare_fd_limit(cfg->probe, checks.size());
  std::vector<RunResult> results = run_once(checks, static_cast<std::size_t>(cfg->probe.max_in_flight), dns_options(cfg->probe));
  for (RunResult& r : results) {
    r.message = cfg->redact(std::move(r.message));
    for (StepResult& s : r.steps) s.message = cfg->redact(std::move(s.message));
  }
  if (format == "json") {
    std::cout << results_to_json(cfg->probe.name, cfg->probe.region, results) << '\n';
  } else {
    std::cout << results_to_table(results, isatty(STDOUT_FILENO) != 0);
  }
  const bool all_passed = std::all_of(results.begin(), results.end(), [](const RunResult& r) { return r.success; });
  return all_passed ? kExitOk : kExitFailed;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kHelp;
    return kExitUsage;
  }
  const std::string_view command = args.front();
  const std::vector<std::string_view> rest(args.begin() + 1, args.end());
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kHelp;
    return kExitOk;
  }
  if (command == "--version" || command == "version") {
    std::cout << "synthprobe " << kVersion << '\n';
    return kExitOk;
  }
  if (command == "check-config") return check_config_command(rest);
  if (command == "once") return once_command(rest);
  if (command == "comms") return comms_command(rest);
  if (command == "drill") return drill_command(rest);
  if (command == "report") return report_command(rest);
  if (command == "run") {
    if (rest.size() == 2 && rest[0] == "--config") return daemon_command(std::string(rest[1]));
    if (rest.size() == 1 && rest[0].starts_with("--config=")) return daemon_command(std::string(rest[0].substr(9)));
    return usage_error("run needs --config FILE");
  }
  if (command == "demo") return demo_command(rest);
  return usage_error("unknown command " + std::string(command));
}

}  // namespace synthprobe
