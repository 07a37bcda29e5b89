#include <doctest/doctest.h>

#include <time.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "config/weekly_window.h"
#include "common/time_format.h"
#include "probe/incidents/incident_tracker.h"
#include "probe/health/maintenance_window.h"
#include "probe/health/site_severity.h"
#include "common/time_zone.h"

#include <date/tz.h>

using namespace synthprobe;
using namespace std::chrono_literals;
namespace cfg = synthprobe::config;

namespace {

Timestamp at(const char* text) {
  auto t = parse_rfc3339(text);
  REQUIRE_MESSAGE(t.has_value(), text);
  return *t;
}

// ---- loading ----

cfg::LoadResult load(std::string_view text, std::map<std::string, std::string> env = {}) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  // Secrets and TZDIR come from here, never from the real environment.
  auto getenv = [env = std::move(env)](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  return cfg::load_config_string(std::string(text), "t.toml", getenv);
}

std::vector<std::string> messages(const cfg::LoadResult& result) {
  std::vector<std::string> out;
  for (const auto& e : result.errors) out.push_back(e.to_string());
  return out;
}

std::string all_messages(const cfg::LoadResult& result) {
  std::string out;
  for (const auto& m : messages(result)) out += m + "\n";
  return out;
}

// Lines 1-4; a test's own text starts on line 5.
constexpr std::string_view kSites = R"toml([[site]]
name = "shop"
[[site]]
name = "blog"
)toml";

cfg::Config valid(std::string_view rest) {
  if (!rest.empty() && rest.front() == '\n') rest.remove_prefix(1);
  const auto result = load(std::string(kSites) + std::string(rest));
  INFO(all_messages(result));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  return *result.config;
}

void fails_with(std::string_view rest, const std::vector<std::string>& expected,
                std::map<std::string, std::string> env = {}) {
  if (!rest.empty() && rest.front() == '\n') rest.remove_prefix(1);
  const auto result = load(std::string(kSites) + std::string(rest), std::move(env));
  INFO(all_messages(result));
  CHECK_FALSE(result.config.has_value());
  CHECK(messages(result) == expected);
}

// ---- evaluation ----

cfg::MaintenanceWindow weekly(std::string text, std::string zone = "UTC", std::string site = "shop") {
  cfg::MaintenanceWindow w;
  w.site = std::move(site);
  w.weekly = std::move(text);
  w.time_zone = std::move(zone);
  return w;
}

cfg::MaintenanceWindow one_off(const char* start, const char* end, std::string site = "shop") {
  cfg::MaintenanceWindow w;
  w.site = std::move(site);
  w.start = at(start);
  w.end = at(end);
  return w;
}

const date::time_zone& zone(const std::string& name) {
  std::string error;
  const date::time_zone* z = find_time_zone(name, &error);
  INFO(error);
  REQUIRE(z != nullptr);
  return *z;
}

long offset(const date::time_zone& z, const char* when) { return static_cast<long>(utc_offset(z, at(when)).count()); }

// glibc's answer, for comparison: TZ switched for the duration of one call.
class GlibcZone {
 public:
  explicit GlibcZone(const std::string& name) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", name.c_str(), 1);
    ::tzset();
  }
  ~GlibcZone() {
    if (old_) ::setenv("TZ", old_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
  long offset(std::int64_t t) const {
    const time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    ::localtime_r(&tt, &tm);
    return tm.tm_gmtoff;
  }

 private:
  std::optional<std::string> old_;
};

// ---- incidents ----

CheckHealth check(std::string name, CheckState state) {
  CheckHealth c;
  c.area = name;
  c.name = std::move(name);
  c.state = state;
  if (state == CheckState::down) {
    c.reason = Reason::connect;
    c.message = "connection refused";
  }
  return c;
}

SiteAssessment all(CheckState state) { return assess("shop", std::vector{check("home", state), check("cart", state)}); }

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Loading

TEST_CASE("a one-off window: TOML date-times or RFC 3339 strings, with offsets") {
  const auto c = valid(R"toml(
[[maintenance]]
site = "shop"
start = 2026-05-01T02:00:00Z
end = "2026-05-01T05:30:00+02:00"
reason = "database upgrade"
)toml");
  REQUIRE(c.maintenance.size() == 1);
  const auto& w = c.maintenance[0];
  CHECK(w.site == "shop");
  CHECK(w.start == at("2026-05-01T02:00:00Z"));
  CHECK(w.end == at("2026-05-01T03:30:00Z"));
  CHECK(w.weekly.empty());
  CHECK(w.reason == "database upgrade");
}

TEST_CASE("a weekly window in a time zone, and day ranges") {
  const auto c = valid(R"toml(
[[maintenance]]
site = "shop"
weekly = "Sun 02:00-04:00"
time_zone = "Europe/Berlin"
[[maintenance]]
site = "blog"
weekly = "mon-Fri 23:00-01:00"
[[maintenance]]
site = "blog"
weekly = "Sat 22:00-24:00"
)toml");
  REQUIRE(c.maintenance.size() == 3);
  CHECK(c.maintenance[0].weekly == "Sun 02:00-04:00");
  CHECK(c.maintenance[0].time_zone == "Europe/Berlin");
  CHECK_FALSE(c.maintenance[0].start.has_value());
  CHECK(c.maintenance[1].site == "blog");
  CHECK(c.maintenance[1].time_zone == "UTC");
  CHECK(c.maintenance[1].reason.empty());
}

TEST_CASE("weekly text: weekdays and times are checked where they were written") {
  fails_with(R"toml(
[[maintenance]]
site = "shop"
weekly = "Thurs 02:00-04:00"
[[maintenance]]
site = "shop"
weekly = "Sun 25:00-04:00"
[[maintenance]]
site = "shop"
weekly = "Mon-Fir 02:00-03:00"
[[maintenance]]
site = "shop"
weekly = "Sun 02:00"
[[maintenance]]
site = "shop"
weekly = "Sun 03:00-03:00"
[[maintenance]]
site = "shop"
weekly = "Sun 02:60-04:00"
)toml",
             {R"(t.toml:7:11: "weekly" "Thurs 02:00-04:00": unknown weekday "Thurs" (did you mean "Thu"?))",
              R"(t.toml:10:15: "weekly" "Sun 25:00-04:00": "25:00" is not a time of day: use HH:MM from 00:00 to 23:59 (24:00 only as the end))",
              R"(t.toml:13:15: "weekly" "Mon-Fir 02:00-03:00": unknown weekday "Fir" (did you mean "Fri"?))",
              R"(t.toml:16:20: "weekly" "Sun 02:00": must look like "Sun 02:00-04:00" or "Mon-Fri 23:00-01:00")",
              R"(t.toml:19:15: "weekly" "Sun 03:00-03:00": the window is empty: it starts and ends at the same time)",
              R"(t.toml:22:15: "weekly" "Sun 02:60-04:00": "02:60" is not a time of day: use HH:MM from 00:00 to 23:59 (24:00 only as the end))"});
}

TEST_CASE("one-off times: end after start, offsets required") {
  fails_with(R"toml(
[[maintenance]]
site = "shop"
start = 2026-05-01T04:00:00Z
end = 2026-05-01T02:00:00Z
[[maintenance]]
site = "shop"
start = 2026-05-01T02:00:00
end = "tomorrow"
[[maintenance]]
site = "shop"
start = "2026-05-01T02:00:00Z"
[[maintenance]]
site = "shop"
start = 2026-05-01T02:00:00Z
end = 2026-05-01T02:00:00Z
)toml",
             {R"(t.toml:8:7: "end" 2026-05-01T02:00:00Z must be after "start" 2026-05-01T04:00:00Z)",
              R"(t.toml:11:9: "start" has no UTC offset: add Z or +HH:MM, like 2026-05-01T02:00:00Z or 2026-05-01T04:00:00+02:00)",
              R"(t.toml:12:7: "end" "tomorrow" must be an RFC 3339 date-time with an offset in the years 1900 to 2100, like 2026-05-01T02:00:00Z or 2026-05-01T04:00:00+02:00)",
              R"(t.toml:13:1: missing required key "end" in [[maintenance]] (a one-off window needs both "start" and "end"))",
              R"(t.toml:19:7: "end" 2026-05-01T02:00:00Z must be after "start" 2026-05-01T02:00:00Z)"});
}

// Found by fuzzing (tests/fuzz/corpus/config_loader/maintenance_far_year.toml): a year past 2262 overflowed
// the nanosecond clock (undefined behaviour) instead of being an error.
TEST_CASE("one-off times beyond the years a timestamp holds are errors") {
  fails_with(R"toml(
[[maintenance]]
site = "shop"
start = 2026-05-01T02:00:00Z
end = "4052-05-01T04:00:00+02:00"
[[maintenance]]
site = "shop"
start = 1013-05-01T02:00:00Z
end = 9999-12-31T23:59:59Z
[[maintenance]]
site = "shop"
start = 2100-12-31T20:00:00Z
end = 2100-12-31T23:00:00-02:00
)toml",
             {R"(t.toml:8:7: "end" "4052-05-01T04:00:00+02:00" must be an RFC 3339 date-time with an offset in the years 1900 to 2100, like 2026-05-01T02:00:00Z or 2026-05-01T04:00:00+02:00)",
              R"(t.toml:11:9: "start" must be a date-time in the years 1900 to 2100, like 2026-05-01T02:00:00Z or 2026-05-01T04:00:00+02:00)",
              R"(t.toml:12:7: "end" must be a date-time in the years 1900 to 2100, like 2026-05-01T02:00:00Z or 2026-05-01T04:00:00+02:00)",
              // In UTC that is 2101, refused as the same text in a string is.
              R"(t.toml:16:7: "end" must be a date-time in the years 1900 to 2100, like 2026-05-01T02:00:00Z or 2026-05-01T04:00:00+02:00)"});
}

TEST_CASE("site, kind, zone and unknown keys") {
  fails_with(R"toml(
[[maintenance]]
site = "shpo"
weekly = "Sun 02:00-04:00"
[[maintenance]]
weekly = "Sun 02:00-04:00"
[[maintenance]]
site = "shop"
start = 2026-05-01T02:00:00Z
end = 2026-05-01T04:00:00Z
weekly = "Sun 02:00-04:00"
[[maintenance]]
site = "shop"
reason = "nothing else"
[[maintenance]]
site = "shop"
weekly = "Sun 02:00-04:00"
time_zone = "Europe/Berln"
[[maintenance]]
site = "shop"
weekly = "Sun 02:00-04:00"
time_zone = "Mars/Olympus_Mons"
[[maintenance]]
site = "shop"
weekly = "Sun 02:00-04:00"
time_zone = "../../etc/passwd"
[[maintenance]]
site = "shop"
start = 2026-05-01T02:00:00Z
end = 2026-05-01T04:00:00Z
time_zone = "Europe/Berlin"
reaso = "typo"
)toml",
             {R"(t.toml:6:8: unknown site "shpo" (did you mean "shop"?))",
              R"(t.toml:8:1: missing required key "site" in [[maintenance]])",
              R"(t.toml:14:10: a window is either one-off ("start" and "end") or "weekly", not both)",
              R"(t.toml:15:1: [[maintenance]] needs "start" and "end" (one-off) or "weekly" (repeating))",
              R"(t.toml:21:13: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?))",
              R"(t.toml:25:13: unknown time zone "Mars/Olympus_Mons": use an IANA name like "Europe/Berlin" or "UTC")",
              R"(t.toml:29:13: unknown time zone "../../etc/passwd": use an IANA name like "Europe/Berlin" or "UTC")",
              R"(t.toml:34:13: "time_zone" applies only to a weekly window: "start" and "end" carry their own offset)",
              R"(t.toml:35:1: unknown key "reaso" in [[maintenance]] (did you mean "reason"?))"});
}

TEST_CASE("[maintenance] must be an array of tables") {
  fails_with(R"toml(
[maintenance]
site = "shop"
)toml",
             {R"(t.toml:5:1: "maintenance" must be an array of tables: write [[maintenance]])"});
}

// ---------------------------------------------------------------------------------------------------------
// Weekly text

TEST_CASE("weekly text: days, ranges that wrap, midnight") {
  cfg::WeeklyWindowError error;
  auto w = cfg::parse_weekly_window("Sun 02:00-04:00", error);
  REQUIRE(w);
  CHECK(w->days == 1 << 6);
  CHECK(w->start_minute == 120);
  CHECK(w->end_minute == 240);
  CHECK_FALSE(w->crosses_midnight());

  w = cfg::parse_weekly_window("Fri-Mon 9:30-1:15", error);
  REQUIRE(w);
  CHECK(w->days == ((1 << 4) | (1 << 5) | (1 << 6) | (1 << 0)));
  CHECK(w->crosses_midnight());

  w = cfg::parse_weekly_window("Sat 00:00-24:00", error);
  REQUIRE(w);
  CHECK(w->end_minute == 1440);

  CHECK_FALSE(cfg::parse_weekly_window("Sat 24:00-02:00", error));
  CHECK_FALSE(cfg::parse_weekly_window("Sat  02:00-03:00 ", error));
  CHECK_FALSE(cfg::parse_weekly_window("Sunday 02:00-03:00", error));
  CHECK(error.message == "unknown weekday \"Sunday\" (did you mean \"Sun\"?)");
  CHECK_FALSE(cfg::parse_weekly_window("Xyz 02:00-03:00", error));
  CHECK(error.message == "unknown weekday \"Xyz\": use Mon, Tue, Wed, Thu, Fri, Sat or Sun");
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

TEST_CASE("one-off: start inclusive, end exclusive") {
  const auto w = one_off("2026-11-27T02:00:00Z", "2026-11-27T03:00:00Z");
  CHECK_FALSE(in_maintenance(w, at("2026-11-27T01:59:59.999Z")));
  CHECK(in_maintenance(w, at("2026-11-27T02:00:00Z")));
  CHECK(in_maintenance(w, at("2026-11-27T02:30:00Z")));
  CHECK(in_maintenance(w, at("2026-11-27T02:59:59.999Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-11-27T03:00:00Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-12-04T02:30:00Z")));  // not weekly
}

TEST_CASE("weekly in UTC: the day and the hours") {
  // 2026-11-27 is a Friday.
  const auto w = weekly("Sun 02:00-04:00");
  CHECK_FALSE(in_maintenance(w, at("2026-11-29T01:59:59Z")));
  CHECK(in_maintenance(w, at("2026-11-29T02:00:00Z")));
  CHECK(in_maintenance(w, at("2026-11-29T03:59:59Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-11-29T04:00:00Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-11-28T02:30:00Z")));  // Saturday
  CHECK_FALSE(in_maintenance(w, at("2026-11-30T02:30:00Z")));  // Monday
  CHECK(in_maintenance(w, at("2026-12-06T02:30:00Z")));        // every Sunday
  CHECK(in_maintenance(w, at("1999-12-26T02:30:00Z")));

  const auto weekdays = weekly("Mon-Fri 12:00-13:00");
  CHECK(in_maintenance(weekdays, at("2026-11-25T12:30:00Z")));        // Wednesday
  CHECK(in_maintenance(weekdays, at("2026-11-27T12:30:00Z")));        // Friday
  CHECK_FALSE(in_maintenance(weekdays, at("2026-11-28T12:30:00Z")));  // Saturday

  const auto to_midnight = weekly("Sat 22:00-24:00");
  CHECK(in_maintenance(to_midnight, at("2026-11-28T23:59:59Z")));
  CHECK_FALSE(in_maintenance(to_midnight, at("2026-11-29T00:00:00Z")));
}

TEST_CASE("weekly across midnight, and across the week's end (Sun -> Mon)") {
  const auto sat = weekly("Sat 23:00-01:00");
  CHECK_FALSE(in_maintenance(sat, at("2026-11-28T22:59:59Z")));
  CHECK(in_maintenance(sat, at("2026-11-28T23:00:00Z")));
  CHECK(in_maintenance(sat, at("2026-11-29T00:59:59Z")));  // Sunday morning: the tail of Saturday's window
  CHECK_FALSE(in_maintenance(sat, at("2026-11-29T01:00:00Z")));
  CHECK_FALSE(in_maintenance(sat, at("2026-11-28T00:30:00Z")));  // Saturday morning belongs to Friday
  CHECK_FALSE(in_maintenance(sat, at("2026-11-29T23:30:00Z")));  // Sunday night

  const auto sun = weekly("Sun 23:00-01:00");
  CHECK(in_maintenance(sun, at("2026-11-29T23:30:00Z")));
  CHECK(in_maintenance(sun, at("2026-11-30T00:30:00Z")));  // Monday: wraps into the next week
  CHECK_FALSE(in_maintenance(sun, at("2026-11-30T01:00:00Z")));
  CHECK_FALSE(in_maintenance(sun, at("2026-11-29T00:30:00Z")));  // Sunday morning belongs to Saturday

  const auto weekend = weekly("Fri-Sun 22:00-06:00");
  CHECK(in_maintenance(weekend, at("2026-11-27T23:00:00Z")));   // Fri night
  CHECK(in_maintenance(weekend, at("2026-11-28T05:00:00Z")));   // Sat morning
  CHECK_FALSE(in_maintenance(weekend, at("2026-11-28T12:00:00Z")));
  CHECK(in_maintenance(weekend, at("2026-11-30T05:59:59Z")));   // Mon morning, after Sunday night
  CHECK_FALSE(in_maintenance(weekend, at("2026-11-27T05:00:00Z")));  // Fri morning: Thursday is not listed
}

TEST_CASE("weekly in Europe/Berlin follows the wall clock on both sides of a DST change") {
  // Winter (CET, +01:00): Sun 02:00-04:00 local is 01:00-03:00 UTC.
  const auto w = weekly("Sun 02:00-04:00", "Europe/Berlin");
  CHECK_FALSE(in_maintenance(w, at("2026-03-22T00:59:59Z")));
  CHECK(in_maintenance(w, at("2026-03-22T01:00:00Z")));
  CHECK(in_maintenance(w, at("2026-03-22T02:59:59Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-03-22T03:00:00Z")));
  // 2026-03-29: at 01:00 UTC clocks jump from 02:00 to 03:00; the window is 03:00-04:00 CEST, one hour.
  CHECK_FALSE(in_maintenance(w, at("2026-03-29T00:59:59Z")));
  CHECK(in_maintenance(w, at("2026-03-29T01:00:00Z")));
  CHECK(in_maintenance(w, at("2026-03-29T01:59:59Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-03-29T02:00:00Z")));
  // Summer (CEST, +02:00): 00:00-02:00 UTC.
  CHECK(in_maintenance(w, at("2026-04-05T00:00:00Z")));
  CHECK(in_maintenance(w, at("2026-04-05T01:59:59Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-04-05T02:00:00Z")));
  // 2026-10-25: at 01:00 UTC clocks fall from 03:00 back to 02:00; 02:00-03:00 happens twice, three hours.
  CHECK_FALSE(in_maintenance(w, at("2026-10-24T23:59:59Z")));
  CHECK(in_maintenance(w, at("2026-10-25T00:00:00Z")));
  CHECK(in_maintenance(w, at("2026-10-25T00:59:59Z")));
  CHECK(in_maintenance(w, at("2026-10-25T01:00:00Z")));
  CHECK(in_maintenance(w, at("2026-10-25T02:59:59Z")));
  CHECK_FALSE(in_maintenance(w, at("2026-10-25T03:00:00Z")));
  // Winter again.
  CHECK_FALSE(in_maintenance(w, at("2026-11-01T00:30:00Z")));
  CHECK(in_maintenance(w, at("2026-11-01T01:30:00Z")));
}

TEST_CASE("a zone that cannot be read covers nothing") {
  CHECK_FALSE(in_maintenance(weekly("Sun 00:00-24:00", "Nowhere/Atlantis"), at("2026-11-29T12:00:00Z")));
  CHECK_FALSE(in_maintenance(weekly("not a schedule"), at("2026-11-29T12:00:00Z")));
}

TEST_CASE("site_in_maintenance: only the site's own windows") {
  const std::vector<cfg::MaintenanceWindow> windows{
      one_off("2026-11-27T02:00:00Z", "2026-11-27T03:00:00Z", "blog"),
      weekly("Sun 02:00-04:00", "UTC", "shop"),
  };
  CHECK(site_in_maintenance("shop", windows, at("2026-11-29T02:30:00Z")));
  CHECK_FALSE(site_in_maintenance("blog", windows, at("2026-11-29T02:30:00Z")));
  CHECK(site_in_maintenance("blog", windows, at("2026-11-27T02:30:00Z")));
  CHECK_FALSE(site_in_maintenance("shop", windows, at("2026-11-27T02:30:00Z")));
  CHECK_FALSE(site_in_maintenance("api", windows, at("2026-11-29T02:30:00Z")));
  CHECK(active_maintenance("shop", windows, at("2026-11-29T02:30:00Z")) == &windows[1]);
}

// ---------------------------------------------------------------------------------------------------------
// Time zones

TEST_CASE("time zones: Berlin's offsets at the 2026 changes, and UTC") {
  const date::time_zone& berlin = zone("Europe/Berlin");
  CHECK(offset(berlin, "2026-03-29T00:59:59Z") == 3600);
  CHECK(offset(berlin, "2026-03-29T01:00:00Z") == 7200);
  CHECK(offset(berlin, "2026-10-25T00:59:59Z") == 7200);
  CHECK(offset(berlin, "2026-10-25T01:00:00Z") == 3600);
  CHECK(offset(zone("UTC"), "2026-07-01T00:00:00Z") == 0);
  std::string error;
  CHECK(find_time_zone("Mars/Olympus_Mons", &error) == nullptr);
  CHECK(error.find("Mars/Olympus_Mons") != std::string::npos);
}

TEST_CASE("zone offsets agree with glibc's localtime_r, 1970-2037, at every change to the second") {
  for (const std::string name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/Dublin",
                                 "Asia/Kolkata", "Pacific/Chatham", "America/Sao_Paulo", "Africa/Casablanca",
                                 "Antarctica/Troll", "Asia/Tehran", "America/St_Johns", "Pacific/Apia",
                                 "Europe/Lisbon", "America/Santiago", "Asia/Gaza"}) {
    CAPTURE(name);
    const date::time_zone& mine = zone(name);
    const GlibcZone glibc(name);
    const auto ours = [&](std::int64_t t) {
      return static_cast<long>(utc_offset(mine, std::chrono::system_clock::time_point(std::chrono::seconds(t))).count());
    };
    int mismatches = 0;
    std::int64_t previous = 0;
    for (std::int64_t t = 0; t < 2'145'916'800 /* 2038: the end of tzdata's listed transitions */ && mismatches < 5; t += 6 * 3600 + 17 * 60) {
      const long expected = glibc.offset(t);
      if (ours(t) != expected) {
        ++mismatches;
        FAIL_CHECK("at " << format_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(t))) << ": "
                         << ours(t) << " != " << expected);
      }
      // An offset changed in between: find the exact second and compare on both sides of it.
      if (t > 0 && glibc.offset(previous) != expected) {
        std::int64_t lo = previous, hi = t;
        while (hi - lo > 1) {
          const std::int64_t mid = lo + (hi - lo) / 2;
          (glibc.offset(mid) == glibc.offset(lo) ? lo : hi) = mid;
        }
        if (ours(lo) != glibc.offset(lo) || ours(hi) != glibc.offset(hi)) {
          ++mismatches;
          FAIL_CHECK("change at " << hi << ": " << ours(lo) << "/" << ours(hi) << " != " << glibc.offset(lo) << "/"
                                  << glibc.offset(hi));
        }
      }
      previous = t;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// With the incident tracker

TEST_CASE("with IncidentTracker: nothing opens in the window, and after it detection starts afresh") {
  const std::vector<cfg::MaintenanceWindow> windows{one_off("2026-11-27T02:00:00Z", "2026-11-27T03:00:00Z")};
  IncidentTracker tracker({"shop", "probe-1", "local", {}});
  const auto run = [&](const char* when, CheckState state) {
    tracker.set_in_maintenance(site_in_maintenance("shop", windows, at(when)));
    return tracker.update(all(state), at(when));
  };
  CHECK(run("2026-11-27T01:59:00Z", CheckState::up).empty());
  CHECK(run("2026-11-27T02:00:00Z", CheckState::down).empty());
  CHECK(tracker.in_maintenance());
  CHECK(run("2026-11-27T02:30:00Z", CheckState::down).empty());
  CHECK(run("2026-11-27T02:59:59Z", CheckState::down).empty());
  CHECK_FALSE(tracker.open_incident().has_value());

  auto actions = run("2026-11-27T03:00:00Z", CheckState::down);
  CHECK_FALSE(tracker.in_maintenance());
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::open);
  CHECK(actions[0].incident.opened_at == at("2026-11-27T03:00:00Z"));
  CHECK(actions[0].incident.first_failure_at == at("2026-11-27T03:00:00Z"));  // not the failures inside it
}

TEST_CASE("with IncidentTracker: an incident open when the window starts stays open and resolves normally") {
  const std::vector<cfg::MaintenanceWindow> windows{weekly("Fri 02:00-04:00")};  // 2026-11-27 is a Friday
  IncidentTracker tracker({"shop", "probe-1", "local", {}});
  const auto run = [&](const char* when, CheckState state) {
    tracker.set_in_maintenance(site_in_maintenance("shop", windows, at(when)));
    return tracker.update(all(state), at(when));
  };
  auto actions = run("2026-11-27T01:50:00Z", CheckState::down);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::open);
  const std::string id = actions[0].incident.id;

  CHECK(run("2026-11-27T02:00:00Z", CheckState::down).empty());
  CHECK(tracker.in_maintenance());
  REQUIRE(tracker.open_incident().has_value());
  CHECK(tracker.open_incident()->id == id);

  actions = run("2026-11-27T02:20:00Z", CheckState::up);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::resolve);
  CHECK(actions[0].incident.id == id);
  CHECK(actions[0].incident.resolved_at == at("2026-11-27T02:20:00Z"));

  // Still in the window: a new outage opens nothing; after it, it does.
  CHECK(run("2026-11-27T03:00:00Z", CheckState::down).empty());
  actions = run("2026-11-27T04:00:00Z", CheckState::down);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == IncidentAction::Kind::open);
  CHECK(actions[0].incident.id != id);
}
