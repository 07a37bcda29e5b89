#include "config/maintenance_reader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/time_format.h"
#include "common/time_zone.h"
#include "config/did_you_mean.h"
#include "config/weekly_window.h"

namespace synthprobe::config {
namespace {

using Timestamp = std::chrono::system_clock::time_point;

constexpr std::array<std::string_view, 6> kMaintenanceKeys{"site", "start", "end", "weekly", "time_zone", "reason"};
bool check_time_zone(const At<std::string>& zone, LoadContext& ctx) {
  if (zone.value == "UTC") return true;  // built in: needs no tzdata
  std::string why;
  if (find_time_zone(zone.value, &why)) return true;
  const std::string message = "unknown time zone " + quote(zone.value);
  const std::vector<std::string> names = time_zone_names();
  if (names.empty())
    ctx.error(zone.pos, "time zone " + quote(zone.value) + " needs the time zone database (" + why +
                            "): install the tzdata package");
  else if (auto hint = did_you_mean(zone.value, names))
    ctx.error(zone.pos, message + " (did you mean " + quote(*hint) + "?)");
  else
    ctx.error(zone.pos, message + ": use an IANA name like \"Europe/Berlin\" or \"UTC\"");
  return false;
}

// A TOML offset date-time (start = 2026-05-01T02:00:00Z) or the same as an RFC 3339 string.
std::optional<Timestamp> read_instant(const TableReader& r, std::string_view key) {
  const toml::node* node = r.find(key);
  if (!node) return std::nullopt;
  const std::string example = "like 2026-05-01T02:00:00Z or 2026-05-01T04:00:00+02:00";
  const std::string years = " in the years " + std::to_string(kFirstYear) + " to " + std::to_string(kLastYear);
  if (const auto* value = node->as_date_time()) {
    const toml::date_time& dt = value->get();
    if (!dt.offset) {
      r.ctx().error(pos_of(*node), quote(key) + " has no UTC offset: add Z or +HH:MM, " + example);
      return std::nullopt;
    }
    // Checked in the local year first (a Timestamp cannot even hold the year 9999), then in UTC, as
    // parse_rfc3339 does for the string form: 2100-12-31T23:00:00-02:00 is 2101 and refused by both.
    const auto refuse = [&] {
      r.ctx().error(pos_of(*node), quote(key) + " must be a date-time" + years + ", " + example);
      return std::nullopt;
    };
    if (dt.date.year < kFirstYear || dt.date.year > kLastYear) return refuse();
    using namespace std::chrono;
    const sys_days day{year{dt.date.year} / month{dt.date.month} / std::chrono::day{dt.date.day}};
    const auto utc = day + hours{dt.time.hour} + minutes{dt.time.minute} + seconds{dt.time.second} +
                     nanoseconds{dt.time.nanosecond} - minutes{dt.offset->minutes};
    const int utc_year = static_cast<int>(year_month_day{floor<days>(utc)}.year());
    if (utc_year < kFirstYear || utc_year > kLastYear) return refuse();
    return time_point_cast<Timestamp::duration>(utc);
  }
  if (node->is_string()) {
    const std::string& text = node->as_string()->get();
    if (auto t = parse_rfc3339(text)) return t;
    r.ctx().error(pos_of(*node), quote(key) + " " + quote(text) + " must be an RFC 3339 date-time with an offset" + years +
                                     ", " + example);
    return std::nullopt;
  }
  r.ctx().error(pos_of(*node), quote(key) + " must be a date-time with an offset, " + example);
  return std::nullopt;
}

bool read_one_off(const TableReader& r, MaintenanceWindow& w) {
  LoadContext& ctx = r.ctx();
  bool ok = true;
  if (!r.find("start")) {
    r.missing("start", "a one-off window needs both \"start\" and \"end\"");
    ok = false;
  }
  if (!r.find("end")) {
    r.missing("end", "a one-off window needs both \"start\" and \"end\"");
    ok = false;
  }
  w.start = read_instant(r, "start");
  w.end = read_instant(r, "end");
  if (w.start && w.end && *w.end <= *w.start) {
    ctx.error(pos_of(*r.find("end")), "\"end\" " + format_rfc3339(*w.end) + " must be after \"start\" " +
                                          format_rfc3339(*w.start));
    ok = false;
  }
  if (const toml::node* zone = r.find("time_zone")) {
    ctx.error(pos_of(*zone), "\"time_zone\" applies only to a weekly window: \"start\" and \"end\" carry their own offset");
    ok = false;
  }
  return ok && w.start && w.end;
}

bool read_weekly(const TableReader& r, MaintenanceWindow& w) {
  LoadContext& ctx = r.ctx();
  bool ok = true;
  if (auto weekly = r.string("weekly")) {
    WeeklyWindowError error;
    if (parse_weekly_window(weekly->value, error)) {
      w.weekly = weekly->value;
    } else {
      ctx.error(ctx.inside(*r.find("weekly"), error.offset), "\"weekly\" " + quote(weekly->value) + ": " + error.message);
      ok = false;
    }
  } else {
    ok = false;  // the wrong type is reported
  }
  if (auto zone = r.string("time_zone")) {
    if (check_time_zone(*zone, ctx)) w.time_zone = zone->value;
    else ok = false;
  } else if (r.find("time_zone")) {
    ok = false;
  }
  return ok;
}

}  // namespace

std::optional<MaintenanceWindow> read_maintenance(const toml::table& table, std::span<const Site> sites,
                                                  LoadContext& ctx) {
  TableReader r(table, "[[maintenance]]", ctx);
  r.reject_unknown(kMaintenanceKeys);
  MaintenanceWindow w;
  bool ok = true;

  if (auto site = r.string("site")) {
    const bool known = std::any_of(sites.begin(), sites.end(), [&](const Site& s) { return s.name == site->value; });
    if (known) {
      w.site = site->value;
    } else {
      std::vector<std::string> names;
      for (const Site& s : sites) names.push_back(s.name);
      std::string message = "unknown site " + quote(site->value);
      if (auto hint = did_you_mean(site->value, names)) message += " (did you mean " + quote(*hint) + "?)";
      else message += " (define it in a [[site]] table)";
      ctx.error(site->pos, message);
      ok = false;
    }
  } else {
    if (!r.find("site")) r.missing("site");
    ok = false;
  }
  if (auto reason = r.string("reason")) w.reason = reason->value;

  const toml::node* weekly = r.find("weekly");
  if (weekly && (r.find("start") || r.find("end"))) {
    ctx.error(pos_of(*weekly), "a window is either one-off (\"start\" and \"end\") or \"weekly\", not both");
    ok = false;
  } else if (weekly) {
    ok = read_weekly(r, w) && ok;
  } else if (r.find("start") || r.find("end")) {
    ok = read_one_off(r, w) && ok;
  } else {
    ctx.error(r.pos(), "[[maintenance]] needs \"start\" and \"end\" (one-off) or \"weekly\" (repeating)");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return w;
}

}  // namespace synthprobe::config
