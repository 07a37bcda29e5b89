// Two regional probes and one real Prometheus that scrapes both and loads the SHIPPED rule files.
// Site "shop" is down from both regions (eu gets 503, us a refused connection): the quorum alert
// SiteDownMultiRegion becomes active for it, and Prometheus holds the incident series of both regions.
// Site "blog" is down from eu only (us gets 200): SiteIncidentSingleRegion becomes active for it and
// SiteDownMultiRegion never does. The `for:` of the shipped alerts (1m, 5m) is left alone there: an alert
// in state `pending` proves its expression matched. The Grafana dashboard's queries run against the same
// data, with its variables expanded as Grafana expands "All".
// Then the whole path to a person: a real Alertmanager (route grouped by site, a webhook receiver on
// loopback) gets alerts from that Prometheus, which loads copies of the shipped rules whose `for:` alone
// is shortened, and from both probes' alertmanager notifiers. The quorum alert and the SLO page reach it
// for a site both regions see fail, only the single-region alert for a site one region sees fail, and the
// probes' SiteDown alerts of both regions arrive in one notification.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/alertmanager.h"
#include "tests/support/deploy_files.h"
#include "tests/support/exposition.h"
#include "tests/support/probe_daemon.h"
#include "tests/support/process.h"
#include "tests/support/prometheus.h"
#include "tests/support/promql_names.h"
#include "tests/support/refusing_port.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"
#include "common/text.h"

using namespace synthprobe::testing;
using namespace std::chrono_literals;
using synthprobe::text::percent_encode;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

TestServer::Handler answering(int status) {
  return [status](const TestRequest&) {
    TestResponse r;
    r.status = status;
    r.body = status == 200 ? "page" : "unavailable";
    return r;
  };
}

struct Targets {
  std::string shop;  // home's URL
  std::string blog;  // front's URL
};

// Three sites: shop (one P1 check and a passing flow, with a site label), blog (one P2 check) and api
// (an HTTPS check), and a webhook notifier, so that every panel of the dashboard has data.
std::string probe_config(const std::string& name, const std::string& region, const Targets& t,
                         const std::string& healthy, const std::string& secure, const std::string& ca_file,
                         const std::string& hook, const std::string& extra = "") {
  return R"([probe]
name = ")" + name + R"("
region = ")" + region + R"("
listen = "127.0.0.1:LISTEN_PORT"
state_dir = "state"

[defaults]
interval = "1s"
timeout = "800ms"
open_after = 1
resolve_after = 1

[[site]]
name = "shop"
labels = { team = "web" }

[[site]]
name = "blog"

[[site]]
name = "api"

[[check]]
name = "home"
site = "shop"
area = "storefront"
severity = "P1"
url = ")" + t.shop + R"("

[[flow]]
name = "buy"
site = "shop"
area = "checkout"

[[flow.step]]
name = "product"
url = ")" + healthy + R"(/product/42"

[[flow.step]]
name = "cart"
url = ")" + healthy + R"(/cart"

[[check]]
name = "front"
site = "blog"
severity = "P2"
url = ")" + t.blog + R"("

[[check]]
name = "secure"
site = "api"
area = "tls"
url = ")" + secure + R"("
tls = { ca_file = ")" + ca_file + R"(" }

[[notifier]]
name = "hook"
type = "webhook"
url = ")" + hook + R"("
)" + extra;
}

// Blocks until both alerting groups have been evaluated `n` more times, and checks `each` after every time.
template <typename F>
void over_alert_evaluations(const Prometheus& prometheus, int n, F each) {
  std::string last_alerts = prometheus.last_evaluation("synthprobe-alerts");
  std::string last_slo = prometheus.last_evaluation("synthprobe-slo-alerts");
  for (int i = 0; i < n; ++i) {
    REQUIRE_MESSAGE(eventually(
                        [&] {
                          const std::string alerts = prometheus.last_evaluation("synthprobe-alerts");
                          const std::string slo = prometheus.last_evaluation("synthprobe-slo-alerts");
                          if (alerts.empty() || slo.empty() || alerts == last_alerts || slo == last_slo) return false;
                          last_alerts = alerts;
                          last_slo = slo;
                          return true;
                        },
                        30s),
                    "the alerting rules were not evaluated again");
    each();
  }
}

// The targets both regions watch, and each region's config: shop is down from eu (503) and from us
// (refused), blog from eu only, api and the flow up everywhere.
struct RegionTargets {
  TempDir dir;
  TlsFiles tls = make_self_signed_certificate(dir.path().string(), 30);
  TestServer broken{answering(503)};
  TestServer healthy{answering(200)};
  TestServer secure{answering(200), tls};
  TestServer hook{answering(200)};
  RefusingPort refusing;
  const std::string refused = "http://127.0.0.1:" + std::to_string(refusing.port()) + "/";

  std::string eu_config(const std::string& extra = "") const {
    return probe_config("probe-eu", "eu", {broken.url("/"), broken.url("/blog")}, healthy.url(""), secure.url("/"),
                        tls.cert_file, hook.url("/hook"), extra);
  }
  std::string us_config(const std::string& extra = "") const {
    return probe_config("probe-us", "us", {refused, healthy.url("/blog")}, healthy.url(""), secure.url("/"),
                        tls.cert_file, hook.url("/hook"), extra);
  }
};

// Everything one scenario needs, started in order and stopped in reverse (members are destroyed bottom up:
// Prometheus, then the probes, then the servers, then the folder).
struct World : RegionTargets {
  ProbeDaemon eu{dir, "eu", eu_config()};
  ProbeDaemon us{dir, "us", us_config()};
  Prometheus prometheus{dir, {eu.address(), us.address()}, shipped_rule_files()};

  std::string logs() const { return "--- eu\n" + eu.log() + "--- us\n" + us.log() + "--- prometheus\n" + prometheus.log(); }

  template <typename F>
  void over_evaluations(int n, F each) {
    over_alert_evaluations(prometheus, n, each);
  }
};

bool active(const json::object& alert) { return alert.at("state") == "pending" || alert.at("state") == "firing"; }

std::map<std::string, std::string> labels_of(const json::value& alert_or_series, const char* field) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : alert_or_series.at(field).as_object()) out[std::string(k)] = json_text(v);
  return out;
}

bool prometheus_missing() {
  if (fs::exists(kPrometheusBinary)) return false;
  MESSAGE("skipped: " << kPrometheusBinary << " is missing (Debian package prometheus, scripts/install-deps.sh)");
  return true;
}

}  // namespace

TEST_CASE("SiteDownMultiRegion: active for a site both regions see down, never for a site one region sees down") {
  if (prometheus_missing()) return;
  World w;

  // (a) shop is down from eu (503) and from us (refused).
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto a = w.prometheus.alerts("SiteDownMultiRegion", "shop");
                        return a.size() == 1 && active(a.front());
                      },
                      90s),
                  w.logs());
  {
    const json::object alert = w.prometheus.alerts("SiteDownMultiRegion", "shop").front();
    INFO(json::serialize(alert));
    CHECK(labels_of(alert, "labels") ==
          std::map<std::string, std::string>{{"alertname", "SiteDownMultiRegion"}, {"severity", "critical"}, {"site", "shop"}});
    CHECK(labels_of(alert, "annotations").at("summary") == "shop has an incident seen from 2 regions");
  }
  // Prometheus holds the open incident of each region, labelled by region and probe.
  {
    const auto open = w.prometheus.query(R"(synthprobe_incident_open{site="shop"} == 1)");
    REQUIRE(open);
    std::set<std::string> regions, probes;
    for (const auto& s : *open) {
      const auto labels = labels_of(s, "metric");
      CHECK(labels.at("severity") == "P1");
      CHECK(labels.at("job") == "synthprobe");
      regions.insert(labels.at("region"));
      probes.insert(labels.at("probe"));
    }
    CHECK(open->size() == 2);
    CHECK(regions == std::set<std::string>{"eu", "us"});
    CHECK(probes == std::set<std::string>{"probe-eu", "probe-us"});
  }

  // (b) blog is down from eu only: the single-region alert names the region.
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto a = w.prometheus.alerts("SiteIncidentSingleRegion", "blog");
                        return a.size() == 1 && active(a.front());
                      },
                      90s),
                  w.logs());
  {
    const json::object alert = w.prometheus.alerts("SiteIncidentSingleRegion", "blog").front();
    INFO(json::serialize(alert));
    CHECK(labels_of(alert, "labels") == std::map<std::string, std::string>{{"alertname", "SiteIncidentSingleRegion"},
                                                                           {"region", "eu"},
                                                                           {"severity", "warning"},
                                                                           {"site", "blog"}});
    CHECK(labels_of(alert, "annotations").at("summary") == "blog fails from eu only: check that region's network");
  }
  // Prometheus has us's healthy view of blog, so the quorum alert's silence is not missing data.
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto up = w.prometheus.query(R"(probe_success{site="blog",region="us"} == 1)");
                        auto open = w.prometheus.query(R"(max(synthprobe_incident_open{site="blog",region="us"}) == 0)");
                        return up && up->size() == 1 && open && open->size() == 1;
                      },
                      30s),
                  w.logs());
  {
    const auto eu_open = w.prometheus.query(R"(synthprobe_incident_open{site="blog",region="eu",severity="P2"} == 1)");
    REQUIRE(eu_open);
    CHECK(eu_open->size() == 1);
  }

  // Over the next evaluations: shop keeps the quorum alert and no single-region one; blog the reverse;
  // api, which is up everywhere, has neither.
  w.over_evaluations(3, [&] {
    CHECK(w.prometheus.alerts("SiteDownMultiRegion", "shop").size() == 1);
    CHECK(w.prometheus.alerts("SiteDownMultiRegion", "blog").empty());
    CHECK(w.prometheus.alerts("SiteIncidentSingleRegion", "shop").empty());
    CHECK(w.prometheus.alerts("SiteIncidentSingleRegion", "blog").size() == 1);
    CHECK(w.prometheus.alerts("SiteDownMultiRegion", "api").empty());
    CHECK(w.prometheus.alerts("SiteIncidentSingleRegion", "api").empty());
  });

  // Every shipped rule evaluates without error against what the probes export.
  std::size_t rules = 0;
  for (const auto& g : w.prometheus.groups()) {
    for (const auto& r : g.at("rules").as_array()) {
      ++rules;
      CAPTURE(json_text(r.at("name")));
      CHECK(r.at("health") == "ok");
      const json::value* error = r.as_object().if_contains("lastError");  // omitted when empty
      if (error) CHECK_MESSAGE(json_text(*error).empty(), json_text(*error));
    }
  }
  CHECK(rules == read_shipped_rules().size());
}

TEST_CASE("every query of the Grafana dashboard answers with data from two probes, and its legends resolve") {
  if (prometheus_missing()) return;
  World w;
  const json::value dash = json::parse(read_text_file(source_dir() + "/deploy/grafana/synthprobe-dashboard.json"));
  // Both probes have opened their incidents and sent their notifications.
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto open = w.prometheus.query("synthprobe_incident_open == 1");
                        auto sent = w.prometheus.query(R"(synthprobe_notifications_total{result="delivered"})");
                        return open && open->size() == 3 && sent && sent->size() >= 2;
                      },
                      90s),
                  w.logs());

  // Variables with "All" selected: Grafana puts every value of label_values() into a regex (a|b|c).
  std::vector<std::pair<std::string, std::string>> values;  // name -> regex
  auto expand = [&](std::string text) {
    for (const auto& [name, regex] : values) {
      text = std::regex_replace(text, std::regex("\\$\\{" + name + "\\}"), regex);
      text = std::regex_replace(text, std::regex("\\$" + name + "\\b"), regex);
    }
    return text;
  };
  std::map<std::string, std::set<std::string>> seen;
  for (const DashboardVariable& v : dashboard_query_variables(dash)) {
    CAPTURE(v.query);
    std::smatch m;
    REQUIRE(std::regex_match(v.query, m, std::regex(R"(\s*label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*)")));
    const auto data = w.prometheus.api("/api/v1/label/" + m[2].str() + "/values?" + percent_encode("match[]") + "=" +
                                       percent_encode(expand(m[1])));
    REQUIRE(data);
    std::string regex;
    for (const auto& x : data->as_array()) {
      const std::string value = json_text(x);
      REQUIRE_MESSAGE(std::regex_match(value, std::regex("[A-Za-z0-9_-]+")), value);  // nothing to escape
      regex += (regex.empty() ? "" : "|") + value;
      seen[v.name].insert(value);
    }
    values.emplace_back(v.name, "(" + regex + ")");
  }
  CHECK(seen["site"] == std::set<std::string>{"api", "blog", "shop"});
  CHECK(seen["region"] == std::set<std::string>{"eu", "us"});
  CHECK(seen["check"] == std::set<std::string>{"buy", "front", "home", "secure"});

  std::map<std::string, json::array> results;  // by panel title and legend
  for (const DashboardQuery& q : dashboard_queries(dash)) {
    const std::string promql = expand(q.expr);
    CAPTURE(q.panel);
    CAPTURE(promql);
    std::optional<json::array> result;
    // Rates need two scrapes of a series: wait for data, with a bound.
    CHECK_MESSAGE(eventually(
                      [&] {
                        result = w.prometheus.query(promql);
                        return result && !result->empty();
                      },
                      30s),
                  "no data" << (result ? "" : " (the query failed)"));
    if (!result) continue;
    for (const auto& s : *result) {
      const auto labels = labels_of(s, "metric");
      for (const std::string& printed : template_label_names(q.legend)) {
        auto found = labels.find(printed);
        CHECK_MESSAGE((found != labels.end() && !found->second.empty()),
                      "legend " << q.legend << " prints " << printed << ", missing on " << json::serialize(s.at("metric")));
      }
    }
    results[q.panel + " / " + q.legend] = *result;
  }

  // What the headline panels say: each open incident with the number of regions that see it, the checks
  // down per site and region, and the checks each probe runs.
  auto values_by = [&](const std::string& key, std::initializer_list<const char*> labels) {
    std::map<std::string, std::string> out;
    for (const auto& s : results[key]) {
      const auto l = labels_of(s, "metric");
      std::string name;
      for (const char* label : labels) name += (name.empty() ? "" : " ") + (l.contains(label) ? l.at(label) : "?");
      out[name] = json_text(s.at("value").at(1));
    }
    return out;
  };
  CHECK(values_by("Open incidents (regions seeing each) / {{site}} {{severity}}", {"site", "severity"}) ==
        std::map<std::string, std::string>{{"shop P1", "2"}, {"blog P2", "1"}});
  CHECK(values_by("Checks down / {{site}} {{region}}", {"site", "region"}) ==
        std::map<std::string, std::string>{{"shop eu", "1"}, {"shop us", "1"}, {"blog eu", "1"}});
  CHECK(values_by("Checks configured / {{probe}}", {"probe"}) ==
        std::map<std::string, std::string>{{"probe-eu", "4"}, {"probe-us", "4"}});

  // One region picked (Grafana puts the bare value in): the open incidents that region sees.
  for (auto& [name, regex] : values)
    if (name == "region") regex = "us";
  for (const DashboardQuery& q : dashboard_queries(dash)) {
    if (q.panel != "Open incidents (regions seeing each)") continue;
    const auto us = w.prometheus.query(expand(q.expr));
    REQUIRE(us);
    results["us"] = *us;
  }
  CHECK(values_by("us", {"site", "severity"}) == std::map<std::string, std::string>{{"shop P1", "1"}});
}

namespace {

// ---- the path to a person: Alertmanager ----------------------------------------------------------

// Seconds in a Prometheus duration such as 1m, 1h30m or 250ms.
double duration_seconds(const std::string& text) {
  static const std::regex part(R"((\d+)(ms|s|m|h|d|w|y))");
  static const std::map<std::string, double> unit{{"ms", 0.001}, {"s", 1},      {"m", 60},      {"h", 3600},
                                                  {"d", 86400},  {"w", 604800}, {"y", 31536000}};
  REQUIRE_MESSAGE(std::regex_match(text, std::regex(R"((\d+(ms|s|m|h|d|w|y))+)")), text);
  double seconds = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), part); it != std::sregex_iterator(); ++it)
    seconds += std::stod((*it)[1]) * unit.at((*it)[2]);
  return seconds;
}

// Copies of the shipped rule files in dir/rules with every `for:` divided by `divisor` (at least 1s), so
// that alerts fire within the test; nothing else is touched, which is checked line by line.
std::vector<std::string> quick_rule_copies(const TempDir& dir, int divisor) {
  std::vector<std::string> out;
  static const std::regex for_line(R"(^(\s*)for: (\S+)$)");
  for (const std::string& path : shipped_rule_files()) {
    std::istringstream in(read_text_file(path));
    std::string copy;
    int rewritten = 0;
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_match(line, m, for_line)) {
        const long seconds = std::max(1L, std::lround(duration_seconds(m[2]) / divisor));
        line = m[1].str() + "for: " + std::to_string(seconds) + "s";
        ++rewritten;
      }
      copy += line + "\n";
    }
    CHECK(read_rules(copy).size() == read_rules(read_text_file(path)).size());
    if (fs::path(path).filename() == "synthprobe-rules.yml") CHECK(rewritten >= 10);
    out.push_back(dir.write("rules/" + fs::path(path).filename().string(), copy));
  }
  return out;
}

// Alertmanager's webhook receiver: every notification, in arrival order.
class NotificationSink {
 public:
  std::string url(std::string_view path) const { return server_.url(path); }
  std::vector<json::object> notifications() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  TestResponse on(const TestRequest& req) {
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    std::lock_guard lock(mutex_);
    if (!ec && v.is_object()) received_.push_back(v.as_object());
    return TestResponse{};
  }
  mutable std::mutex mutex_;
  std::vector<json::object> received_;
  TestServer server_{[this](const TestRequest& req) { return on(req); }};  // last: stops first
};

// The route that README's example has: one group per site, a webhook; the waits shortened for the test
// (group_wait covers the second or so between two regions' probes seeing the same outage).
std::string alertmanager_config(const std::string& webhook) {
  return "route:\n  receiver: hook\n  group_by: [site]\n  group_wait: 5s\n  group_interval: 1s\n  repeat_interval: 1h\n"
         "receivers:\n  - name: hook\n    webhook_configs:\n      - url: '" + webhook + "'\n        send_resolved: true\n";
}

// Does `alert` (of a notification, or of Alertmanager's API) carry every label of `want`?
bool alert_matches(const json::value& alert, const std::map<std::string, std::string>& want) {
  const json::object& labels = alert.at("labels").as_object();
  for (const auto& [k, v] : want)
    if (!labels.contains(k) || json_text(labels.at(k)) != v) return false;
  return true;
}

// The firing alerts of `notification` that match `want`.
std::vector<json::object> firing(const json::object& notification, const std::map<std::string, std::string>& want) {
  std::vector<json::object> out;
  for (const auto& a : notification.at("alerts").as_array())
    if (json_text(a.at("status")) == "firing" && alert_matches(a, want)) out.push_back(a.as_object());
  return out;
}

std::string describe(const std::vector<json::object>& notifications) {
  std::string out;
  for (const auto& n : notifications) {
    out += "notification " + json::serialize(n.at("groupLabels")) + ":\n";
    for (const auto& a : n.at("alerts").as_array())
      out += "  " + json_text(a.at("status")) + " " + json::serialize(a.at("labels")) + "\n";
  }
  return out;
}

// shop's home page is one server for both regions, switched by `shop_down`; blog fails from eu only, from
// the start. Both probes notify the Alertmanager; Prometheus loads the quick copies of the rules.
struct AlertingWorld {
  TempDir dir;
  TlsFiles tls = make_self_signed_certificate(dir.path().string(), 30);
  std::atomic<bool> shop_down{false};
  TestServer shop{[this](const TestRequest& req) { return answering(shop_down ? 503 : 200)(req); }};
  TestServer broken{answering(503)};
  TestServer healthy{answering(200)};
  TestServer secure{answering(200), tls};
  TestServer hook{answering(200)};
  NotificationSink sink;
  Alertmanager am{dir, "am", alertmanager_config(sink.url("/alerts"))};
  const std::string am_notifier = "\n[[notifier]]\nname = \"am\"\ntype = \"alertmanager\"\nurls = [\"" + am.url("") + "\"]\n";
  ProbeDaemon eu{dir, "eu",
                 probe_config("probe-eu", "eu", {shop.url("/"), broken.url("/blog")}, healthy.url(""), secure.url("/"),
                              tls.cert_file, hook.url("/hook"), am_notifier)};
  ProbeDaemon us{dir, "us",
                 probe_config("probe-us", "us", {shop.url("/"), healthy.url("/blog")}, healthy.url(""), secure.url("/"),
                              tls.cert_file, hook.url("/hook"), am_notifier)};
  Prometheus prometheus{dir, {eu.address(), us.address()}, quick_rule_copies(dir, 30), am.address()};

  std::string logs() const {
    return describe(sink.notifications()) + "--- eu\n" + eu.log() + "--- us\n" + us.log() + "--- prometheus\n" +
           prometheus.log() + "--- alertmanager\n" + am.log();
  }
  // The first notification with a firing alert matching `want`, nullopt if none came.
  std::optional<json::object> first_with(const std::map<std::string, std::string>& want) const {
    for (const auto& n : sink.notifications())
      if (!firing(n, want).empty()) return n;
    return std::nullopt;
  }
  std::size_t in_alertmanager(const std::map<std::string, std::string>& want) const {
    std::size_t n = 0;
    for (const auto& a : am.alerts()) n += alert_matches(a, want);
    return n;
  }
};

bool alertmanager_missing() {
  if (fs::exists(kAlertmanagerBinary)) return false;
  MESSAGE("skipped: " << kAlertmanagerBinary << " is missing (Debian package prometheus-alertmanager, scripts/install-deps.sh)");
  return true;
}

}  // namespace

TEST_CASE("Alertmanager: the quorum alert and the SLO page for a site both regions see fail, the single-region "
          "alert for one, both regions' SiteDown in one notification per site") {
  if (prometheus_missing() || alertmanager_missing()) return;
  AlertingWorld w;
  using Labels = std::map<std::string, std::string>;

  // blog fails from eu only: the single-region alert, not the quorum alert, reaches the receiver, beside
  // eu's own SiteDown.
  REQUIRE_MESSAGE(eventually([&] { return w.first_with({{"alertname", "SiteIncidentSingleRegion"}, {"site", "blog"}}).has_value(); },
                             60s),
                  w.logs());
  {
    const json::object n = *w.first_with({{"alertname", "SiteIncidentSingleRegion"}, {"site", "blog"}});
    INFO(describe({n}));
    const auto alerts = firing(n, {{"alertname", "SiteIncidentSingleRegion"}});
    REQUIRE(alerts.size() == 1);
    CHECK(labels_of(alerts.front(), "labels") == Labels{{"alertname", "SiteIncidentSingleRegion"},
                                                        {"region", "eu"},
                                                        {"severity", "warning"},
                                                        {"site", "blog"}});
    CHECK(labels_of(alerts.front(), "annotations").at("summary") == "blog fails from eu only: check that region's network");
  }
  CHECK_MESSAGE(eventually([&] { return w.first_with({{"alertname", "SiteDown"}, {"site", "blog"}, {"region", "eu"}}).has_value(); }, 30s),
                w.logs());

  // shop passes from both regions, then fails from both at once.
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto up = w.prometheus.query(R"(probe_success{site="shop",check="home"} == 1)");
                        return up && up->size() == 2;
                      },
                      30s),
                  w.logs());
  CHECK(!w.first_with({{"site", "shop"}}));
  w.shop_down = true;

  // The quorum alert reaches the receiver, in shop's group.
  REQUIRE_MESSAGE(eventually([&] { return w.first_with({{"alertname", "SiteDownMultiRegion"}, {"site", "shop"}}).has_value(); }, 60s),
                  w.logs());
  {
    const json::object n = *w.first_with({{"alertname", "SiteDownMultiRegion"}, {"site", "shop"}});
    INFO(describe({n}));
    const auto alerts = firing(n, {{"alertname", "SiteDownMultiRegion"}});
    REQUIRE(alerts.size() == 1);
    CHECK(labels_of(alerts.front(), "labels") ==
          Labels{{"alertname", "SiteDownMultiRegion"}, {"severity", "critical"}, {"site", "shop"}});
    CHECK(labels_of(alerts.front(), "annotations").at("summary") == "shop has an incident seen from 2 regions");
  }

  // The probes' own SiteDown alerts of both regions: the first notification that carries one carries both.
  {
    const auto n = w.first_with({{"alertname", "SiteDown"}, {"site", "shop"}});
    REQUIRE_MESSAGE(n, w.logs());
    INFO(describe({*n}));
    CHECK(labels_of(*n, "groupLabels") == Labels{{"site", "shop"}});
    std::set<std::string> regions, probes;
    for (const auto& a : firing(*n, {{"alertname", "SiteDown"}})) {
      const auto labels = labels_of(a, "labels");
      CHECK(labels.at("severity") == "P1");
      regions.insert(labels.at("region"));
      probes.insert(labels.at("probe"));
    }
    CHECK(regions == std::set<std::string>{"eu", "us"});
    CHECK(probes == std::set<std::string>{"probe-eu", "probe-us"});
  }
  CHECK(w.in_alertmanager({{"alertname", "SiteDown"}, {"site", "shop"}}) == 2);

  // The SLO's fast page: half of shop's runs (home, not the flow) fail in both regions.
  CHECK_MESSAGE(eventually([&] { return w.first_with({{"alertname", "SiteErrorBudgetBurn"}, {"site", "shop"}, {"window", "1h"}}).has_value(); },
                           60s),
                w.logs());

  // Meanwhile, and over the next evaluations: no quorum alert and no SLO page for blog, no single-region
  // alert for shop.
  auto none_wrong = [&] {
    for (const Labels& wrong : {Labels{{"alertname", "SiteDownMultiRegion"}, {"site", "blog"}},
                                Labels{{"alertname", "SiteErrorBudgetBurn"}, {"site", "blog"}},
                                Labels{{"alertname", "SiteIncidentSingleRegion"}, {"site", "shop"}}}) {
      std::string what;
      for (const auto& [k, v] : wrong) what += k + "=" + v + " ";
      CAPTURE(what);
      CHECK(!w.first_with(wrong));
      CHECK(w.in_alertmanager(wrong) == 0);
    }
    CHECK(w.prometheus.alerts("SiteDownMultiRegion", "blog").empty());
    CHECK(w.prometheus.alerts("SiteErrorBudgetBurn", "blog").empty());
    CHECK(w.prometheus.alerts("SiteIncidentSingleRegion", "shop").empty());
  };
  none_wrong();
  over_alert_evaluations(w.prometheus, 3, none_wrong);

  // Every notification is one site's group and carries only that site's alerts.
  const std::vector<json::object> notifications = w.sink.notifications();
  INFO(describe(notifications));
  CHECK(notifications.size() >= 3);
  for (const auto& n : notifications) {
    const auto group = labels_of(n, "groupLabels");
    REQUIRE(group.size() == 1);
    for (const auto& a : n.at("alerts").as_array()) CHECK(labels_of(a, "labels").at("site") == group.at("site"));
  }
}

namespace {

// The same two regions, but Prometheus scrapes neither probe: both push their samples with
// [[remote_write]] to its receiver (--web.enable-remote-write-receiver), as probes behind a NAT would.
struct PushWorld : RegionTargets {
  Prometheus prometheus{dir, Prometheus::Options{{}, shipped_rule_files(), "", true}};
  const std::string push = "\n[[remote_write]]\nurl = \"" + prometheus.url("/api/v1/write") + "\"\ninterval = \"1s\"\n";
  ProbeDaemon eu{dir, "eu", eu_config(push)};
  ProbeDaemon us{dir, "us", us_config(push)};

  std::string logs() const { return "--- eu\n" + eu.log() + "--- us\n" + us.log() + "--- prometheus\n" + prometheus.log(); }
};

// Series per metric name: from a scrape of the probe, and from what Prometheus holds of it.
std::map<std::string, std::size_t> scraped_names(const ProbeDaemon& probe) {
  std::map<std::string, std::size_t> out;
  for (const auto& s : samples(probe.metrics())) ++out[s.name];
  return out;
}

std::map<std::string, std::size_t> stored_names(const Prometheus& prometheus, const std::string& probe) {
  std::map<std::string, std::size_t> out;
  auto result = prometheus.query("count by (__name__) ({probe=\"" + probe + "\"})");
  if (!result) return out;
  for (const auto& s : *result)
    out[json_text(s.at("metric").at("__name__"))] = static_cast<std::size_t>(std::stod(json_text(s.at("value").at(1))));
  return out;
}

}  // namespace

TEST_CASE("remote_write: two probes push to a Prometheus that scrapes neither, and the quorum rule fires from it") {
  if (prometheus_missing()) return;
  PushWorld w;

  // Samples of both regions arrive, with the job and instance a scrape would have given them.
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto info = w.prometheus.query("synthprobe_build_info");
                        return info && info->size() == 2;
                      },
                      30s),
                  w.logs());
  const auto info = w.prometheus.query("synthprobe_build_info");
  REQUIRE(info);
  for (const auto& s : *info) {
    const auto labels = labels_of(s, "metric");
    CHECK(labels.at("job") == "synthprobe");
    CHECK(labels.at("instance") == labels.at("probe"));
  }

  // shop is down from both regions: the quorum alert; blog from eu only: the single-region one.
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto quorum = w.prometheus.alerts("SiteDownMultiRegion", "shop");
                        auto single = w.prometheus.alerts("SiteIncidentSingleRegion", "blog");
                        return quorum.size() == 1 && active(quorum.front()) && single.size() == 1 &&
                               active(single.front());
                      },
                      90s),
                  w.logs());
  over_alert_evaluations(w.prometheus, 3, [&] {
    CHECK(w.prometheus.alerts("SiteDownMultiRegion", "shop").size() == 1);
    CHECK(w.prometheus.alerts("SiteDownMultiRegion", "blog").empty());
    CHECK(w.prometheus.alerts("SiteIncidentSingleRegion", "shop").empty());
  });

  // What was pushed is what a scrape reads: the same metric names, with as many series each.
  std::map<std::string, std::size_t> scraped, stored;
  const bool same = eventually(
      [&] {
        scraped = scraped_names(w.eu);
        stored = stored_names(w.prometheus, "probe-eu");
        return !scraped.empty() && scraped == stored;
      },
      30s);
  if (!same) {
    for (const auto& [name, n] : scraped)
      CHECK_MESSAGE(stored[name] == n, name << ": scraped " << n << ", stored " << stored[name]);
    for (const auto& [name, n] : stored) CHECK_MESSAGE(scraped.contains(name), name << " stored but never scraped");
  }

  // The probe says how the pushing goes.
  const std::string metrics = w.eu.metrics();
  CHECK(sample_value(metrics, R"(synthprobe_remote_write_samples_total{remote="remote_write",result="sent"})").value_or(0) > 0);
  CHECK(!sample_value(metrics, R"(synthprobe_remote_write_samples_total{remote="remote_write",result="rejected"})"));
}
