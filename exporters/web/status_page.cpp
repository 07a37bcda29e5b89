#include "exporters/web/status_page.h"

#include "exporters/web/html_text.h"

#include <boost/json.hpp>

#include <algorithm>
#include <ctime>
#include <map>

#include "common/time_format.h"
#include "probe/engine/result_json.h"

namespace synthprobe {
namespace json = boost::json;
namespace {

std::string iso8601(double unix_seconds) {
  return format_rfc3339(Timestamp(std::chrono::duration_cast<Timestamp::duration>(std::chrono::duration<double>(unix_seconds))));
}

json::value optional_number(std::optional<double> v) { return v ? json::value(*v) : json::value(nullptr); }

// Sites in config order, each with its checks in config order.
std::vector<std::pair<const config::Site*, std::vector<const CheckStatusRow*>>> group(const StatusView& view) {
  std::vector<std::pair<const config::Site*, std::vector<const CheckStatusRow*>>> sites;
  std::map<std::string_view, std::size_t> index;
  for (const auto& site : view.sites) {
    index.emplace(site.name, sites.size());
    sites.push_back({&site, {}});
  }
  for (const auto& c : view.checks)
    if (auto it = index.find(c.check->site); it != index.end()) sites[it->second].second.push_back(&c);
  return sites;
}

const Incident* open_incident(const StatusView& view, const std::string& site) {
  auto it = view.board.open_by_site.find(site);
  return it == view.board.open_by_site.end() ? nullptr : it->second.get();
}

std::string percent(std::optional<double> v) {
  if (!v) return "–";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f%%", *v * 100.0);
  return buf;
}

}  // namespace

std::string site_state(const std::vector<const CheckStatusRow*>& checks) {
  std::size_t down = 0, degraded = 0, known = 0;
  for (const CheckStatusRow* c : checks) {
    if (c->state == CheckState::unknown) continue;
    ++known;
    down += c->state == CheckState::down;
    degraded += c->state == CheckState::degraded;
  }
  if (known == 0) return "unknown";
  if (down > 0 && down == checks.size()) return "down";
  if (down > 0) return "partial_outage";
  if (degraded > 0) return "degraded";
  return "up";
}

std::string render_status_json(const StatusView& view) {
  json::object root;
  root["probe"] = view.probe.name;
  root["region"] = view.probe.region;
  root["shard"] = view.probe.shard ? json::value(view.probe.shard->to_string()) : json::value(nullptr);
  root["probe_saturated"] = view.saturated;
  root["generated_at"] = iso8601(static_cast<double>(view.now_unix));
  json::array sites;
  for (const auto& [site, members] : group(view)) {
    json::object s;
    s["name"] = site->name;
    const std::string state = site_state(members);
    s["state"] = state;
    s["status_message"] = (state == "up" || state == "unknown") ? json::value(nullptr) : json::value(site->status_message);
    std::map<std::string, std::vector<const CheckStatusRow*>> by_area;
    for (const CheckStatusRow* c : members) by_area[c->check->area].push_back(c);
    json::array areas;
    for (const auto& [area, area_checks] : by_area) areas.push_back(json::object{{"name", area}, {"state", site_state(area_checks)}});
    s["areas"] = std::move(areas);
    json::array checks;
    for (const CheckStatusRow* c : members) {
      json::object o;
      o["name"] = c->check->name;
      o["kind"] = c->check->kind == config::Check::Kind::flow ? "flow" : "check";
      o["area"] = c->check->area;
      o["severity"] = "P" + std::to_string(static_cast<int>(c->check->severity));
      o["state"] = std::string(to_string(c->state));
      o["uptime_1h"] = optional_number(c->uptime_1h);
      o["uptime_24h"] = optional_number(c->uptime_24h);
      if (c->last_run_unix) {
        o["last_run_at"] = iso8601(*c->last_run_unix);
        o["last_result"] = result_to_json(c->last);
      } else {
        o["last_run_at"] = nullptr;
        o["last_result"] = nullptr;
      }
      checks.push_back(std::move(o));
    }
    s["checks"] = std::move(checks);
    const Incident* incident = open_incident(view, site->name);
    s["incident"] = incident ? json::value(to_json(*incident)) : json::value(nullptr);
    sites.push_back(std::move(s));
  }
  root["sites"] = std::move(sites);
  return serialize_json(root);
}

std::string render_status_html(const StatusView& view) {
  std::string out =
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"15\">"
      "<title>Status</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}"
      ".up{color:#1a7f37}.degraded,.failing{color:#9a6700}.down,.partial_outage{color:#cf222e}.unknown{color:#777}"
      "</style></head><body><h1>Status</h1>";
  for (const auto& [site, members] : group(view)) {
    const std::string state = site_state(members);
    out += "<h2>" + html_escape(site->name) + " <span class=\"" + state + "\">" + state + "</span></h2>";
    if (state != "up" && state != "unknown") out += "<p>" + html_escape(site->status_message) + "</p>";
    if (const Incident* incident = open_incident(view, site->name)) {
      out += "<p><strong>Incident " + std::string(severity_name(incident->severity)) + "</strong> since " +
             html_escape(format_rfc3339(incident->opened_at)) + ": " + html_escape(incident->summary) + "</p>";
    }
    out += "<table><tr><th>check</th><th>area</th><th>state</th><th>uptime 1h</th><th>uptime 24h</th></tr>";
    for (const CheckStatusRow* c : members) {
      const std::string s(to_string(c->state));
      out += "<tr><td>" + html_escape(c->check->name) + "</td><td>" + html_escape(c->check->area) +
             "</td><td class=\"" + s + "\">" + s + "</td><td>" + percent(c->uptime_1h) +
             "</td><td>" + percent(c->uptime_24h) + "</td></tr>";
    }
    out += "</table>";
  }
  if (view.saturated)
    out += "<p class=\"down\">This probe is saturated: it skips runs, so what it shows may be late or partial.</p>";
  out += "<p><small>probe " + html_escape(view.probe.name) + " (" + html_escape(view.probe.region) +
         "), " + iso8601(static_cast<double>(view.now_unix)) + "</small></p></body></html>";
  return out;
}

}  // namespace synthprobe
