#include "probe/demo/demo_command.h"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>

#include "common/time_format.h"
#include "config/config_loader.h"
#include "probe/daemon/daemon.h"
#include "probe/demo/demo_config.h"
#include "probe/demo/demo_shop.h"
#include "probe/demo/demo_time_scale.h"

namespace synthprobe {
namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* kDemoShopAddress = "http://127.0.0.1:8480";
constexpr auto kViewEvery = std::chrono::seconds(2);

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// One screen: the shop's phase, then every check with its state and latest duration.
// The communications clock as the incident team reads it: counting down, met, or overdue.
std::string comms_clock(const json::object& incident, const std::string& listen) {
  if (!incident.at("customer_updates").as_array().empty()) {
    const auto& first = incident.at("customer_updates").as_array().front();
    return "customer update: given (" + std::string(first.at("source").as_string()) + ")";
  }
  if (incident.at("comms_overdue").as_bool()) return "customer update: OVERDUE - post one: synthprobe comms --config ... --incident ID \"...\"";
  const auto due = incident.at("customer_update_due").is_string()
                       ? parse_rfc3339(incident.at("customer_update_due").as_string())
                       : std::nullopt;
  if (!due) return "customer update: no deadline";
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*due - std::chrono::system_clock::now());
  return "customer update due in " + format_duration(std::max(left, std::chrono::milliseconds(0))) +
         " (opening http://" + listen + "/status shows customers the site's message)";
}

void print_view(const demo::DemoShop& shop, const std::string& status_json, const std::string& incidents_json,
                const std::string& listen, const std::string& state_dir) {
  std::string out = "\x1b[H\x1b[2J";
  out += "synthprobe demo — shop " + shop.url("/") + " — phase: " + shop.current_phase_name() + "\n";
  out += "metrics http://" + listen + "/metrics   status http://" + listen + "/status   api http://" + listen +
         "/api/status\n\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-16s %-12s %-10s %-9s %10s  %s\n", "CHECK", "AREA", "SEVERITY", "STATE",
                "LAST ms", "REASON");
  out += line;
  boost::system::error_code ec;
  const json::value doc = json::parse(status_json, ec);
  if (!ec) {
    for (const auto& site : doc.at("sites").as_array()) {
      for (const auto& c : site.at("checks").as_array()) {
        std::string ms = "-", reason;
        if (c.at("last_result").is_object()) {
          const auto& r = c.at("last_result");
          std::snprintf(line, sizeof line, "%.1f", r.at("duration_seconds").to_number<double>() * 1000.0);
          ms = line;
          if (r.at("reason").is_string()) reason = std::string(r.at("reason").as_string()) + ": " +
                                                   std::string(r.at("message").as_string());
        }
        std::snprintf(line, sizeof line, "%-16s %-12s %-10s %-9s %10s  %.60s\n", c.at("name").as_string().c_str(),
                      c.at("area").as_string().c_str(), c.at("severity").as_string().c_str(),
                      c.at("state").as_string().c_str(), ms.c_str(), reason.c_str());
        out += line;
      }
      out += "\nsite " + std::string(site.at("name").as_string()) + ": " + std::string(site.at("state").as_string()) + "\n";
      if (const auto& inc = site.at("incident"); inc.is_object()) {
        out += "INCIDENT " + std::string(inc.at("severity").as_string()) + " " + std::string(inc.at("extent").as_string()) +
               " since " + std::string(inc.at("opened_at").as_string()) + ": " + std::string(inc.at("summary").as_string()) +
               "\n  " + std::string(inc.at("id").as_string()) + "\n";
        out += "  " + comms_clock(inc.as_object(), listen) + "\n";
        if (const auto relapses = inc.at("relapses").to_number<int>(); relapses > 0)
          out += "  relapsed " + std::to_string(relapses) + (relapses == 1 ? " time" : " times") +
                 " (a check went down again within the recovery watch: the same incident reopened)\n";
      }
    }
  }
  const json::value incidents = json::parse(incidents_json, ec);
  if (!ec) {
    for (const auto& inc : incidents.at("incidents").as_array()) {
      if (inc.at("resolved_at").is_null()) continue;
      out += "\nlast resolved: " + std::string(inc.at("id").as_string()) + " (" + std::string(inc.at("severity").as_string()) +
             "), review draft: " + state_dir + "/incidents/" + std::string(inc.at("id").as_string()) + ".md\n";
      break;
    }
  }
  const demo::DemoShopStatus shop_status = shop.status();
  out += "\nincident team's webhook (notifier \"team\"): " + std::to_string(shop_status.team_messages) + " messages" +
         (shop_status.last_team_message.empty() ? std::string() : ", last: " + shop_status.last_team_message.substr(0, 90)) +
         "\ntry a drill:  synthprobe drill --config config/examples/demo.toml --site demo-shop --duration 10s\n";
  out += "\nCtrl-C to stop.\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int run_demo(const DemoOptions& options) {
  net::io_context io(1);
  demo::DemoShopOptions shop_options;
  shop_options.script = demo::scale_script(demo::DemoScript::standard(), options.time_scale);
  std::optional<demo::DemoShop> shop;
  try {
    shop_options.port = options.shop_port.value_or(8480);
    shop.emplace(io, shop_options);
  } catch (const std::exception& e) {
    if (options.shop_port) {
      std::cerr << "synthprobe demo: the shop cannot listen on port " << *options.shop_port << ": " << e.what() << '\n';
      return 1;
    }
    shop_options.port = 0;  // 8480 is taken: any free port will do
    shop.emplace(io, shop_options);
  }
  std::string text = replace_all(kDemoConfig, kDemoShopAddress, shop->url(""));
  if (!options.listen.empty())
    text = replace_all(text, "listen = \"127.0.0.1:9464\"", "listen = \"" + options.listen + "\"");
  config::LoadResult loaded = config::load_config_string(text, "demo.toml");
  if (!loaded.config || !loaded.errors.empty()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << '\n';
    return 2;
  }
  demo::scale_timings(*loaded.config, options.time_scale);
  if (!options.state_dir.empty()) loaded.config->probe.state_dir = options.state_dir;
  const std::string probe_listen = loaded.config->probe.listen;
  const std::string state_dir = loaded.config->probe.state_dir;
  Daemon daemon(io, "", std::move(*loaded.config));
  std::string error;
  if (!daemon.start(error)) {
    std::cerr << "synthprobe demo: " << error << " (choose another with --listen ADDR)\n";
    return 1;
  }
  net::steady_timer view(io);
  std::function<void()> refresh = [&] {
    print_view(*shop, daemon.status_json(), daemon.incidents_json(), probe_listen, state_dir);
    view.expires_after(kViewEvery);
    view.async_wait([&](boost::system::error_code ec) {
      if (!ec) refresh();
    });
  };
  refresh();
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    view.cancel();
    shop->stop();
    daemon.drain();
  });
  io.run();
  std::cout << "\nsynthprobe demo stopped.\n";
  return 0;
}

}  // namespace synthprobe
