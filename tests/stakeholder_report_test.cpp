// The stakeholder report, pure: availability per site and area against the objective over every day of
// the period, incidents of the period by severity (time to detect, to resolve, relapses, customer updates
// in time or late), drills apart from incidents, top failure reasons; Markdown, JSON and a self-contained
// HTML file.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "common/json_format.h"
#include "exporters/web/stakeholder_report.h"

using namespace synthprobe;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const Timestamp kTo = std::chrono::sys_days{std::chrono::year{2026} / 12 / 1};  // midnight UTC
const Timestamp kFrom = kTo - std::chrono::days(7);
std::int64_t day(Timestamp t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() / 86400; }

Incident incident(const std::string& id, config::Severity severity, Timestamp opened, std::optional<std::chrono::seconds> lasted,
                  std::optional<Reason> reason = Reason::status) {
  Incident in;
  in.id = id;
  in.site = "shop";
  in.severity = severity;
  in.summary = "shop: checkout down (status 503)";
  in.first_failure_at = opened - 30s;
  in.opened_at = opened;
  if (lasted) in.resolved_at = opened + *lasted;
  in.customer_update_due = opened + 30min;
  FailingCheck f;
  f.name = "checkout";
  f.reason = reason;
  in.failing_checks.push_back(f);
  return in;
}

StakeholderReportInput input() {
  StakeholderReportInput in;
  in.from = kFrom;
  in.to = kTo;
  in.probe = "eu-1";
  in.region = "eu";
  // shop: checkout lost 2 runs of 1,000 on one day, home none; api: all fine; a day outside the period.
  for (std::int64_t d = day(kFrom); d < day(kTo); ++d) {
    in.days.push_back({"shop", "checkout", d, d == day(kFrom) + 2 ? 998u : 1000u, 1000});
    in.days.push_back({"shop", "home", d, 1000, 1000});
  }
  in.days.push_back({"api", "all", day(kFrom) + 1, 500, 500});
  in.days.push_back({"shop", "checkout", day(kFrom) - 1, 0, 1000});  // before the period: not counted

  Incident met = incident("a", config::Severity::P2, kFrom + 2 * 24h, 1200s);
  met.comms.push_back({met.opened_at + 10min, "We are on it", "operator"});
  met.relapses = 1;
  Incident late = incident("b", config::Severity::P1, kFrom + 3 * 24h, 3600s, Reason::timeout);
  late.comms.push_back({late.opened_at + 40min, "Sorry", "operator"});
  late.comms_overdue = true;
  Incident quick = incident("c", config::Severity::P2, kFrom + 4 * 24h, 300s);  // resolved before anyone was due
  Incident open = incident("d", config::Severity::P3, kTo - 10min, std::nullopt, std::nullopt);
  Incident before = incident("e", config::Severity::P1, kFrom - 48h, 600s);  // resolved before the period
  Incident drill = incident("drill-x", config::Severity::P1, kFrom + 24h, 60s);
  drill.drill = true;
  in.incidents = {late, met, quick, open, before, drill};
  in.drills = {{"drill-x", "shop", "P1", kFrom + 24h, true, 2, 2},
               {"drill-y", "shop", "P2", kFrom + 25h, false, 2, 1},
               {"drill-old", "shop", "P1", kFrom - 24h, true, 1, 1}};
  return in;
}

}  // namespace

TEST_CASE("availability per site and area, against the objective, every day of the period") {
  const StakeholderReport r = summarize_report(input());
  REQUIRE(r.sites.size() == 2);
  CHECK(r.sites[0].site == "api");
  CHECK(r.sites[0].runs.total == 500);
  const SiteReport& shop = r.sites[1];
  CHECK(shop.runs.total == 14000);
  CHECK(shop.runs.passed == 13998);
  CHECK(*shop.runs.ratio() == doctest::Approx(13998.0 / 14000));
  REQUIRE(shop.areas.size() == 2);
  CHECK(shop.areas[0].area == "checkout");
  CHECK(*shop.areas[0].runs.ratio() == doctest::Approx(6998.0 / 7000));  // 99.971%: meets 99.9%
  REQUIRE(shop.daily.size() == 7);
  CHECK(shop.daily[2].second.passed == 1998);
  CHECK(r.sites[0].daily.size() == 7);
  CHECK(r.sites[0].daily[0].second.total == 0);  // a day without runs is shown as such

  const json::object o = report_to_json(r);
  CHECK(o.at("sites").at(1).at("objective_met") == true);
  StakeholderReportInput strict = input();
  strict.objective = 0.9999;
  CHECK(report_to_json(summarize_report(strict)).at("sites").at(1).at("objective_met") == false);
  CHECK(render_report_markdown(summarize_report(strict)).find("| **shop** | all | 99.986% | **missed** | 14000 |") !=
        std::string::npos);
}

TEST_CASE("incidents of the period by severity, with detection, resolution, relapses and customer updates") {
  const StakeholderReport r = summarize_report(input());
  // a, b, c and the still open d; not e (resolved before the period) nor the drill.
  REQUIRE(r.incidents.size() == 4);
  CHECK(r.incidents[0].id == "a");  // by opening time
  CHECK(r.incidents[1].id == "b");
  CHECK(r.by_severity[0].count == 1);
  CHECK(r.by_severity[1].count == 2);
  CHECK(r.by_severity[2].count == 1);
  CHECK(*r.by_severity[1].mean_time_to_resolve == doctest::Approx(750.0));  // (1200 + 300) / 2
  CHECK(*r.by_severity[0].mean_time_to_detect == doctest::Approx(30.0));
  CHECK_FALSE(r.by_severity[2].mean_time_to_resolve.has_value());  // d is open
  CHECK(r.incidents[0].comms == CommsOutcome::met);
  CHECK(r.incidents[1].comms == CommsOutcome::missed);
  CHECK(r.incidents[2].comms == CommsOutcome::none);  // resolved in 5 minutes, before the update was due
  CHECK(r.incidents[3].comms == CommsOutcome::due);   // open, its deadline still ahead
  CHECK(r.comms_met == 1);
  CHECK(r.comms_missed == 1);
  CHECK(r.relapses == 1);
  REQUIRE(r.top_reasons.size() == 3);
  CHECK(r.top_reasons[0] == std::pair<std::string, std::size_t>{"status", 2});
  CHECK(r.drills.size() == 2);  // not the one before the period

  const std::string md = render_report_markdown(r);
  CHECK(md.find("# Availability and incidents, 2026-11-24 to 2026-11-30") != std::string::npos);
  CHECK(md.find("| P2 | 2 | 30s | 12m 30s |") != std::string::npos);
  CHECK(md.find("Customer updates: 1 in time, 1 late. Relapses within the recovery watch: 1.") != std::string::npos);
  CHECK(md.find("| 2026-11-26 00:00 UTC | shop | P2 | shop: checkout down (status 503) | 30s | 20m | 1 | met |") !=
        std::string::npos);
  CHECK(md.find("- status: 2 incidents") != std::string::npos);
  CHECK(md.find("shop P2: **failed**, 1 of 2 notifiers delivered (drill-y)") != std::string::npos);
  CHECK(md.find("drill-old") == std::string::npos);

  const json::object o = report_to_json(r);
  CHECK(o.at("by_severity").at("P2").at("incidents") == 2);
  CHECK(o.at("incidents").at(1).at("customer_update") == "missed");
  CHECK(o.at("customer_updates").at("met") == 1);
  CHECK(o.at("drills").as_array().size() == 2);
}

TEST_CASE("the HTML report is one self-contained file: no scripts, no external assets, text escaped") {
  StakeholderReportInput in = input();
  in.incidents[0].summary = "shop: <script>alert(1)</script> & more";
  const std::string html = render_report_html(summarize_report(in));
  CHECK(html.starts_with("<!doctype html>"));
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more") != std::string::npos);
  for (const char* external : {"src=", "href=", "@import", "url("}) {
    CAPTURE(external);
    CHECK(html.find(external) == std::string::npos);
  }
  CHECK(html.find("<svg class=\"daily\"") != std::string::npos);
  CHECK(html.find("<svg class=\"severity\"") != std::string::npos);
  CHECK(html.find("data-card=\"drills\"><b>1 of 2</b>") != std::string::npos);
}

TEST_CASE("an empty period says so") {
  StakeholderReportInput in;
  in.from = kFrom;
  in.to = kTo;
  const StakeholderReport r = summarize_report(in);
  const std::string md = render_report_markdown(r);
  CHECK(md.find("No runs recorded in this period.") != std::string::npos);
  CHECK(md.find("None: no incident in this period.") != std::string::npos);
  CHECK(md.find("No drill in this period") != std::string::npos);
  CHECK(render_report_html(r).find("No runs recorded in this period.") != std::string::npos);
}

TEST_CASE("Markdown: names and summaries cannot break the tables; a running drill is not a failed one") {
  StakeholderReportInput in = input();
  in.incidents[0].summary = "shop: a | b `c` *d*";
  in.drills.push_back({"drill-z", "shop", "P1", kTo - 1h, false, 1, 0, false});
  const std::string md = render_report_markdown(summarize_report(in));
  CHECK(md.find("shop: a \\| b \\`c\\` \\*d\\*") != std::string::npos);
  CHECK(md.find("shop P1: running or unfinished, 0 of 1 notifiers delivered") != std::string::npos);
  const json::object o = report_to_json(summarize_report(in));
  CHECK(o.at("drills").at(2).at("finished") == false);
}
