#include "exporters/web/public_status.h"

#include "exporters/web/html_text.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include <boost/json.hpp>

#include "common/json_format.h"
#include "common/time_format.h"

namespace synthprobe {
namespace json = boost::json;
namespace {

constexpr std::int64_t kDay = 86400;

std::string_view state_key(PublicState s) {
  switch (s) {
    case PublicState::operational: return "operational";
    case PublicState::degraded: return "degraded_performance";
    case PublicState::partial_outage: return "partial_outage";
    case PublicState::major_outage: return "major_outage";
    case PublicState::checking: return "checking";
  }
  return "checking";
}

// Worse first: what a site shows when its areas differ.
int rank(PublicState s) {
  switch (s) {
    case PublicState::major_outage: return 4;
    case PublicState::partial_outage: return 3;
    case PublicState::degraded: return 2;
    case PublicState::operational: return 1;
    case PublicState::checking: return 0;
  }
  return 0;
}

Timestamp at_unix(std::int64_t seconds) { return Timestamp(std::chrono::seconds(seconds)); }
std::int64_t unix_of(Timestamp t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); }

// "2026-11-30"
std::string date_of_day(std::int64_t day) { return format_rfc3339(at_unix(day * kDay)).substr(0, 10); }

// A <time> the page's script turns into the reader's local time; without script it reads in UTC.
std::string time_tag(Timestamp t, bool with_date = true) {
  const std::string iso = format_rfc3339(t);
  const std::string utc = (with_date ? iso.substr(0, 10) + " " : std::string()) + iso.substr(11, 5) + " UTC";
  return "<time data-local=\"" + std::string(with_date ? "datetime" : "time") + "\" datetime=\"" + iso + "\">" + utc +
         "</time>";
}

std::string percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, share >= 0.9999 || share <= 0 ? "%.0f%%" : "%.2f%%", share * 100.0);
  return buf;
}

// The bar colour class of a day: how bad, not how exact.
std::string_view bar_class(std::optional<double> share) {
  if (!share) return "none";
  if (*share >= 0.999) return "ok";
  if (*share >= 0.99) return "minor";
  if (*share >= 0.95) return "partial";
  return "major";
}

// What customers are told an incident was: its extent and areas in plain words, never its internal summary.
std::string incident_title(const Incident& in) {
  std::string areas;
  for (std::size_t i = 0; i < in.areas.size() && i < 5; ++i) areas += (i ? ", " : "") + in.areas[i];
  if (in.areas.size() > 5) areas += " and more";
  switch (in.extent) {
    case Extent::full: return "Major outage";
    case Extent::partial: return areas.empty() ? "Partial outage" : "Partial outage affecting " + areas;
    case Extent::degraded: return areas.empty() ? "Degraded performance" : "Degraded performance of " + areas;
  }
  return "Incident";
}

std::string duration_words(std::int64_t seconds) {
  return format_duration(std::chrono::milliseconds(std::max<std::int64_t>(0, seconds) * 1000));
}

struct AreaFacts {
  std::string name;
  PublicState state = PublicState::checking;
  std::vector<std::optional<double>> days;  // kUptimeDays, oldest first
  std::optional<double> uptime;             // over the whole window
};

struct SiteFacts {
  const config::Site* site = nullptr;
  PublicState state = PublicState::checking;
  std::vector<AreaFacts> areas;
  const Incident* open = nullptr;
  std::vector<const Incident*> past;  // newest first
};

// A site is in a major outage only when every area is; one area down is a partial outage of the site.
PublicState site_state(const std::vector<AreaFacts>& areas) {
  std::size_t major = 0, known = 0;
  PublicState worst = PublicState::checking;
  for (const auto& a : areas) {
    if (a.state == PublicState::checking) continue;
    ++known;
    major += a.state == PublicState::major_outage;
    if (rank(a.state) > rank(worst)) worst = a.state;
  }
  if (known == 0) return PublicState::checking;
  if (worst == PublicState::major_outage && major < areas.size()) return PublicState::partial_outage;
  return worst;
}

std::vector<SiteFacts> gather(const PublicStatusView& view) {
  const std::int64_t today = view.now_unix / kDay;
  const std::int64_t first_day = today - kUptimeDays + 1;
  std::map<std::pair<std::string, std::string>, std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>>> runs;
  for (const auto& d : view.history) runs[{d.site, d.area}][d.day] = {d.passed, d.total};

  std::vector<SiteFacts> out;
  std::map<std::string_view, std::size_t> index;
  for (const auto& site : view.sites) {
    index.emplace(site.name, out.size());
    out.push_back(SiteFacts{&site, PublicState::checking, {}, nullptr, {}});
  }
  // Areas in config order, each with its checks.
  std::vector<std::map<std::string, std::vector<const CheckStatusRow*>>> by_area(out.size());
  std::vector<std::vector<std::string>> area_order(out.size());
  for (const auto& c : view.checks) {
    auto it = index.find(c.check->site);
    if (it == index.end()) continue;
    auto& areas = by_area[it->second];
    if (!areas.contains(c.check->area)) area_order[it->second].push_back(c.check->area);
    areas[c.check->area].push_back(&c);
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    SiteFacts& s = out[i];
    for (const auto& name : area_order[i]) {
      AreaFacts a;
      a.name = name;
      a.state = area_state(by_area[i][name]);
      const auto& history = runs[{s.site->name, name}];
      std::uint64_t passed = 0, total = 0;
      for (std::int64_t day = first_day; day <= today; ++day) {
        auto d = history.find(day);
        if (d == history.end() || d->second.second == 0) {
          a.days.emplace_back(std::nullopt);
          continue;
        }
        passed += d->second.first;
        total += d->second.second;
        a.days.emplace_back(static_cast<double>(d->second.first) / static_cast<double>(d->second.second));
      }
      if (total > 0) a.uptime = static_cast<double>(passed) / static_cast<double>(total);
      s.areas.push_back(std::move(a));
    }
    s.state = site_state(s.areas);
    if (auto open = view.board.open_by_site.find(s.site->name); open != view.board.open_by_site.end())
      s.open = open->second.get();
    for (const auto& in : view.board.incidents) {
      if (in->site != s.site->name || !in->resolved_at) continue;
      if (unix_of(*in->resolved_at) < view.now_unix - kPastIncidentDays * kDay) continue;
      s.past.push_back(in.get());
    }
  }
  return out;
}

constexpr std::string_view kStyle =
    "*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:#1f2328;background:#f6f8fa}main{max-width:52rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem;margin:1rem 0}"
    "h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .25rem}"
    ".site{margin-bottom:2.5rem}.banner{padding:1rem 1.25rem;border-radius:.5rem;color:#fff;font-weight:600;font-size:1.15rem}"
    ".operational{background:#1a7f37}.degraded_performance{background:#9a6700}.partial_outage{background:#bc4c00}"
    ".major_outage{background:#cf222e}.checking{background:#6e7781}"
    ".incident{background:#fff;border-left:.3rem solid #cf222e;border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}"
    ".incident p{margin:.25rem 0}.when,.meta{color:#57606a;font-size:.9rem}"
    ".updates{list-style:none;padding:0;margin:.5rem 0 0}.updates li{border-top:1px solid #d0d7de;padding:.35rem 0}"
    ".components{list-style:none;padding:0;margin:1rem 0;background:#fff;border-radius:.5rem;border:1px solid #d0d7de}"
    ".component{padding:.75rem 1rem;border-top:1px solid #d0d7de}.component:first-child{border-top:0}"
    ".row{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}.name{font-weight:600;overflow-wrap:anywhere}"
    ".state{font-weight:600}.state.operational{color:#1a7f37;background:none}.state.degraded_performance{color:#9a6700;background:none}"
    ".state.partial_outage{color:#bc4c00;background:none}.state.major_outage{color:#cf222e;background:none}"
    ".state.checking{color:#6e7781;background:none}"
    ".bars{display:flex;gap:1px;height:2rem;margin:.5rem 0 .25rem}.bar{flex:1 1 0;min-width:0;border-radius:1px;background:#d0d7de}"
    ".bar.ok{background:#2da44e}.bar.minor{background:#d4a72c}.bar.partial{background:#fb8500}.bar.major{background:#cf222e}"
    ".legend{display:flex;justify-content:space-between;color:#57606a;font-size:.8rem}"
    ".past ul{list-style:none;padding:0;margin:0}.past li{background:#fff;border:1px solid #d0d7de;border-radius:.5rem;"
    "padding:.5rem .75rem;margin:.25rem 0}footer{color:#57606a;font-size:.85rem;text-align:center;padding:1rem}";

// Turns every <time> into the reader's local time, leaving UTC when scripts are off.
constexpr std::string_view kScript =
    "for(const t of document.querySelectorAll('time[data-local]')){const d=new Date(t.getAttribute('datetime'));"
    "if(isNaN(d))continue;t.title=t.textContent;t.textContent=t.dataset.local==='time'?"
    "d.toLocaleTimeString([], {hour:'2-digit',minute:'2-digit'}):"
    "d.toLocaleString([], {month:'short',day:'numeric',hour:'2-digit',minute:'2-digit'});}";

}  // namespace

std::string_view public_words(PublicState state) {
  switch (state) {
    case PublicState::operational: return "Operational";
    case PublicState::degraded: return "Degraded performance";
    case PublicState::partial_outage: return "Partial outage";
    case PublicState::major_outage: return "Major outage";
    case PublicState::checking: return "Checking";
  }
  return "Checking";
}

PublicState area_state(const std::vector<const CheckStatusRow*>& checks) {
  std::size_t known = 0, down = 0, degraded = 0;
  for (const auto* c : checks) {
    if (c->state == CheckState::unknown) continue;
    ++known;
    down += c->state == CheckState::down;
    degraded += c->state == CheckState::degraded;
  }
  if (known == 0) return PublicState::checking;
  if (down > 0 && down == checks.size()) return PublicState::major_outage;
  if (down > 0) return PublicState::partial_outage;
  if (degraded > 0) return PublicState::degraded;
  return PublicState::operational;
}

std::string render_public_status_html(const PublicStatusView& view) {
  const std::vector<SiteFacts> sites = gather(view);
  const std::int64_t today = view.now_unix / kDay;
  std::string out;
  out.reserve(16 * 1024);
  out += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta http-equiv=\"refresh\" content=\"60\"><title>Service status</title><style>";
  out += kStyle;
  out += "</style></head><body><main>";
  for (const SiteFacts& s : sites) {
    const std::string name = html_escape(s.site->name);
    out += "<section class=\"site\" data-site=\"" + name + "\"><h1>" + name + "</h1>";
    const std::string banner = s.state == PublicState::operational ? "All systems operational"
                               : s.state == PublicState::checking  ? "Checking all systems"
                                                                   : std::string(public_words(s.state));
    out += "<div class=\"banner " + std::string(state_key(s.state)) + "\" data-state=\"" +
           std::string(state_key(s.state)) + "\">" + banner + "</div>";
    if (s.open) {
      out += "<div class=\"incident\" data-incident=\"open\"><h2>" + html_escape(incident_title(*s.open)) + "</h2><p>" +
             html_escape(s.site->status_message) + "</p><p class=\"when\">Since " + time_tag(s.open->opened_at) + "</p>";
      // What the team told customers, newest first.
      bool any = false;
      for (auto it = s.open->comms.rbegin(); it != s.open->comms.rend(); ++it) {
        if (it->source != "operator") continue;
        if (!any) out += "<ul class=\"updates\">";
        any = true;
        out += "<li data-update><span class=\"when\">" + time_tag(it->at) + "</span> " + html_escape(it->message) + "</li>";
      }
      if (any) out += "</ul>";
      out += "</div>";
    }
    out += "<ul class=\"components\">";
    // Bars are for a handful of components; a site with hundreds (areas left at their checks' names) lists
    // them with their state only, so the page stays small.
    const bool bars = s.areas.size() <= kMaxAreasWithBars;
    for (const AreaFacts& a : s.areas) {
      const std::string key(state_key(a.state));
      out += "<li class=\"component\" data-area=\"" + html_escape(a.name) + "\" data-state=\"" + key +
             "\"><div class=\"row\"><span class=\"name\">" + html_escape(a.name) + "</span><span class=\"state " + key +
             "\">" + std::string(public_words(a.state)) + "</span></div>";
      if (!bars) {
        out += "</li>";
        continue;
      }
      out += "<div class=\"bars\" role=\"img\" aria-label=\"" + std::to_string(kUptimeDays) + "-day availability\">";
      for (std::size_t i = 0; i < a.days.size(); ++i) {
        const std::string date = date_of_day(today - kUptimeDays + 1 + static_cast<std::int64_t>(i));
        const auto& share = a.days[i];
        out += "<span class=\"bar " + std::string(bar_class(share)) + "\" title=\"" + date + ": " +
               (share ? percent(*share) + " available" : std::string("no data")) + "\"></span>";
      }
      out += "</div><div class=\"legend\"><span>" + std::to_string(kUptimeDays) + " days ago</span><span>" +
             (a.uptime ? percent(*a.uptime) + " uptime" : std::string("no data yet")) + "</span><span>Today</span></div></li>";
    }
    out += "</ul><section class=\"past\"><h2>Past incidents</h2>";
    if (s.past.empty()) out += "<p class=\"meta\">No incidents in the last " + std::to_string(kPastIncidentDays) + " days.</p>";
    else out += "<ul>";
    for (const Incident* in : s.past) {
      out += "<li data-incident=\"resolved\"><strong>" + html_escape(incident_title(*in)) + "</strong><div class=\"meta\">" +
             time_tag(in->opened_at) + " – " + time_tag(*in->resolved_at, false) + " (resolved after " +
             duration_words(unix_of(*in->resolved_at) - unix_of(in->opened_at)) + ")</div></li>";
    }
    if (!s.past.empty()) out += "</ul>";
    out += "</section></section>";
  }
  out += "</main><footer>Updated " + time_tag(at_unix(view.now_unix)) + " · refreshes every minute</footer><script>";
  out += kScript;
  out += "</script></body></html>\n";
  return out;
}

std::string render_public_status_json(const PublicStatusView& view) {
  const std::vector<SiteFacts> sites = gather(view);
  const std::int64_t today = view.now_unix / kDay;
  json::array list;
  for (const SiteFacts& s : sites) {
    json::object o;
    o["name"] = s.site->name;
    o["status"] = state_key(s.state);
    o["status_text"] = public_words(s.state);
    if (s.open) {
      json::array updates;
      for (auto it = s.open->comms.rbegin(); it != s.open->comms.rend(); ++it)
        if (it->source == "operator") updates.push_back(json::object{{"at", format_rfc3339(it->at)}, {"message", it->message}});
      o["incident"] = json::object{{"title", incident_title(*s.open)},
                                   {"message", s.site->status_message},
                                   {"started_at", format_rfc3339(s.open->opened_at)},
                                   {"updates", std::move(updates)}};
    } else {
      o["incident"] = nullptr;
    }
    json::array components;
    for (const AreaFacts& a : s.areas) {
      json::array days;
      for (std::size_t i = 0; i < a.days.size(); ++i) {
        days.push_back(json::object{{"date", date_of_day(today - kUptimeDays + 1 + static_cast<std::int64_t>(i))},
                                    {"availability", a.days[i] ? json::value(*a.days[i]) : json::value(nullptr)}});
      }
      components.push_back(json::object{{"name", a.name},
                                        {"status", state_key(a.state)},
                                        {"status_text", public_words(a.state)},
                                        {"uptime_90d", a.uptime ? json::value(*a.uptime) : json::value(nullptr)},
                                        {"days", std::move(days)}});
    }
    o["components"] = std::move(components);
    json::array past;
    for (const Incident* in : s.past)
      past.push_back(json::object{{"title", incident_title(*in)},
                                  {"started_at", format_rfc3339(in->opened_at)},
                                  {"resolved_at", format_rfc3339(*in->resolved_at)}});
    o["past_incidents"] = std::move(past);
    list.push_back(std::move(o));
  }
  return serialize_json(json::object{{"generated_at", format_rfc3339(at_unix(view.now_unix))}, {"sites", std::move(list)}});
}

}  // namespace synthprobe
