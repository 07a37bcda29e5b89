// The deploy/ files against a real scrape. `synthprobe run` is started with a config that makes every
// kind of series appear (a passing check with labels, a failing one that opens an incident, a flow with
// steps, an HTTPS check, a webhook notifier), and its /metrics is the reference: every input series of
// every promtool test file must have a real series' name and exactly a real series' label names (a
// fixture can neither invent nor drop a label), and every metric and label name that the shipped rules
// and the Grafana dashboard select, group by or print must be one the probe exports.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/deploy_files.h"
#include "tests/support/exposition.h"
#include "tests/support/probe_daemon.h"
#include "tests/support/process.h"
#include "tests/support/promql_names.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

using namespace synthprobe::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// What the probe exports: per sample name (probe_all_success_sum, not probe_all_success), the label-name
// sets of its series and the values seen per label.
struct RealScrape {
  std::map<std::string, std::set<std::set<std::string>>> label_sets;
  std::map<std::string, std::map<std::string, std::set<std::string>>> values;
  std::set<std::string> all_labels;

  explicit RealScrape(const std::string& text) {
    for (const Sample& s : samples(text)) {
      std::set<std::string> names;
      for (const auto& [k, v] : s.labels) {
        names.insert(k);
        values[s.name][k].insert(v);
        all_labels.insert(k);
      }
      label_sets[s.name].insert(std::move(names));
    }
  }
  bool exports(const std::string& name) const { return label_sets.contains(name); }
  std::set<std::string> labels_of(const std::string& name) const {
    std::set<std::string> out;
    if (auto it = label_sets.find(name); it != label_sets.end())
      for (const auto& set : it->second) out.insert(set.begin(), set.end());
    return out;
  }
};

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return "{" + out + "}";
}

// A probe with every kind of series, run until each kind has appeared; its scrape, taken once per process.
const RealScrape& real_scrape() {
  static std::optional<RealScrape> scrape;
  if (scrape) return *scrape;
  TempDir dir;
  TestServer shop([](const TestRequest& req) {
    TestResponse r;
    r.status = req.target == "/checkout" ? 503 : 200;
    r.body = "shop page";
    return r;
  });
  const TlsFiles tls = make_self_signed_certificate(dir.path().string(), 30);
  TestServer secure(
      [](const TestRequest&) {
        TestResponse r;
        r.body = "secure page";
        return r;
      },
      tls);
  TestServer hook([](const TestRequest&) {
    TestResponse r;
    r.body = "{}";
    return r;
  });
  // shop carries a site label and home a check label; blog carries none (the minimal shape).
  const std::string config = R"([probe]
name = "fixture-probe"
region = "fixture-region"
listen = "127.0.0.1:LISTEN_PORT"
state_dir = "state"

[defaults]
interval = "1s"
timeout = "800ms"

[[site]]
name = "shop"
labels = { team = "web" }
vars = { base = ")" + shop.url("") + R"(" }
open_after = 1
resolve_after = 1

[[site]]
name = "blog"
open_after = 1

[[check]]
name = "home"
site = "shop"
area = "storefront"
severity = "P1"
url = "${base}/"
labels = { page = "home" }

[[check]]
name = "checkout"
site = "shop"
area = "checkout"
severity = "P2"
url = "${base}/checkout"

[[flow]]
name = "buy"
site = "shop"
area = "checkout"

[[flow.step]]
name = "product"
url = "${base}/product/42"

[[flow.step]]
name = "cart"
url = "${base}/cart"

[[check]]
name = "secure"
site = "blog"
area = "tls"
url = ")" + secure.url("/") + R"("
tls = { ca_file = ")" + tls.cert_file + R"(" }

[[notifier]]
name = "hook"
type = "webhook"
url = ")" + hook.url("/hook") + R"("
)";
  ProbeDaemon d(dir, "probe", config);
  auto has = [&](const std::string& text, const std::string& series, double at_least = 0) {
    auto v = sample_value(text, series);
    return v && *v >= at_least;
  };
  std::string text;
  const bool complete = eventually(
      [&] {
        text = d.metrics();
        bool all_ran = true;
        for (const char* check : {"home", "checkout", "buy", "secure"})
          all_ran = all_ran && has(text, std::string("probe_all_success_count{check=\"") + check + "\"}", 1);
        return all_ran && has(text, R"(synthprobe_incident_open{site="shop",severity="P2"})", 1) &&
               has(text, R"(synthprobe_notifications_total{notifier="hook",event="open",result="delivered"})", 1) &&
               has(text, R"(synthprobe_notification_queue{notifier="hook"})") &&
               has(text, R"(probe_success{check="buy",step="cart"})", 1) &&
               has(text, R"(probe_ssl_earliest_cert_expiry{check="secure"})", 1);
      },
      60s);
  REQUIRE_MESSAGE(complete, "the probe never exported every kind of series\n" << text << "\n" << d.log());
  d.process().signal(SIGTERM);
  CHECK(d.process().wait(30s) == std::optional<int>(0));
  scrape.emplace(text);
  return *scrape;
}

// The metric and label names the shipped rules may use: the probe's, plus the series the rules record
// (whose labels are those they aggregate by).
struct KnownNames {
  const RealScrape& scrape;
  std::map<std::string, std::set<std::string>> recorded;

  bool metric(const std::string& name) const { return scrape.exports(name) || recorded.contains(name); }
  std::set<std::string> labels_of(const std::string& name) const {
    auto it = recorded.find(name);
    return it != recorded.end() ? it->second : scrape.labels_of(name);
  }
};

KnownNames known_names(const RealScrape& scrape, const std::vector<PromRule>& rules) {
  KnownNames known{scrape, {}};
  for (const PromRule& r : rules) {
    if (r.kind != "record") continue;
    const PromqlNames n = promql_names(r.expr);
    std::set<std::string> labels;
    for (const auto& g : n.groupings)
      if (g.keyword == "by") labels.insert(g.labels.begin(), g.labels.end());
    if (labels.empty())
      for (const auto& m : n.metrics()) labels.merge(known.labels_of(m));
    known.recorded[r.name] = labels;
  }
  return known;
}

// What in `expr` the probe does not export; `templates` holds label names printed by a legend or an
// annotation (each must be on some metric of the expression).
std::vector<std::string> expression_problems(const KnownNames& known, const std::string& expr,
                                             const std::set<std::string>& templates = {}) {
  std::vector<std::string> problems;
  PromqlNames names;
  try {
    names = promql_names(expr);
  } catch (const std::exception& e) {
    return {e.what()};
  }
  for (const PromqlSelector& s : names.selectors) {
    if (s.metric.empty()) {
      problems.push_back("a selector without a metric name");
    } else if (!known.metric(s.metric)) {
      problems.push_back(s.metric + " is not exported by synthprobe (nor recorded by the shipped rules)");
    } else {
      const std::set<std::string> labels = known.labels_of(s.metric);
      for (const PromqlMatcher& m : s.matchers) {
        // {step=""} selects series without `step`: fine on any metric, as long as the probe uses the label.
        const bool absence = m.op == "=" && m.value.empty() && known.scrape.all_labels.contains(m.label);
        if (!labels.contains(m.label) && !absence)
          problems.push_back(s.metric + " has no label " + m.label + " (it has " + join(labels) + ")");
      }
    }
  }
  for (const PromqlGrouping& g : names.groupings) {
    for (const std::string& label : g.labels) {
      bool on_some = false;
      for (const std::string& m : g.metrics) {
        if (!known.metric(m)) continue;
        const bool has = known.labels_of(m).contains(label);
        on_some = on_some || has;
        if (g.keyword == "by" && !has) problems.push_back("by (" + label + ") over " + m + ", which has no label " + label);
      }
      if (g.keyword != "by" && !on_some) problems.push_back(g.keyword + " (" + label + "): no metric here has that label");
    }
  }
  for (const std::string& label : templates) {
    bool on_some = false;
    for (const std::string& m : names.metrics()) on_some = on_some || known.labels_of(m).contains(label);
    if (!on_some) problems.push_back("prints label " + label + ", which no metric of the expression has");
  }
  return problems;
}

// What in an input series of a promtool test differs from every real series of that name.
std::vector<std::string> input_series_problems(const RealScrape& scrape, const std::string& series) {
  const SeriesSelector s = parse_selector(series);
  if (!scrape.exports(s.name)) return {s.name + " is not exported by synthprobe"};
  std::set<std::string> names;
  for (const auto& [k, v] : s.labels) names.insert(k);
  std::vector<std::string> problems;
  const auto& real = scrape.label_sets.at(s.name);
  if (!real.contains(names)) {
    std::string sets;
    for (const auto& set : real) sets += " " + join(set);
    problems.push_back(s.name + " has labels " + join(names) + "; the probe exports it with" + sets);
  }
  // Labels whose every value the probe exports from config load: a fixture must use one of them.
  for (const char* closed : {"severity", "phase", "reason", "le"}) {
    auto it = s.labels.find(closed);
    if (it == s.labels.end()) continue;
    const std::set<std::string>& seen = scrape.values.at(s.name).at(closed);
    if (!seen.contains(it->second)) problems.push_back(std::string(closed) + "=\"" + it->second + "\" is never exported: the probe has " + join(seen));
  }
  return problems;
}

// Every rule of every shipped rule file (synthprobe-rules.yml and synthprobe-slo-objectives.yml): a rule of
// one may use what the other records.
std::vector<PromRule> shipped_rules() { return read_shipped_rules(); }

std::string report(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += "\n  " + p;
  return out;
}

}  // namespace

TEST_CASE("every input series of the promtool rule tests has a real series' name and label names") {
  const RealScrape& scrape = real_scrape();
  const fs::path dir = fs::path(source_dir()) / "deploy/prometheus";
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".test.yml")) continue;
    ++files;
    CAPTURE(file);
    const RuleTestFile test = read_rule_test(read_text_file(entry.path().string()));
    CHECK(!test.input_series.empty());
    for (const std::string& rules : test.rule_files) CHECK_MESSAGE(fs::exists(dir / rules), rules);
    for (const InputSeries& in : test.input_series) {
      const auto problems = input_series_problems(scrape, in.series);
      CHECK_MESSAGE(problems.empty(), file << ":" << in.line << ": " << in.series << report(problems));
    }
    const KnownNames known = known_names(scrape, shipped_rules());
    for (const std::string& expr : test.exprs) {
      const auto problems = expression_problems(known, expr);
      CHECK_MESSAGE(problems.empty(), file << ": " << expr << report(problems));
    }
  }
  CHECK(files >= 1);
}

TEST_CASE("the shipped rules select, group by and print only what the probe exports") {
  const RealScrape& scrape = real_scrape();
  const std::vector<std::string> files = shipped_rule_files();
  CHECK(files.size() == 2);  // synthprobe-rules.yml and synthprobe-slo-objectives.yml
  const KnownNames known = known_names(scrape, shipped_rules());
  for (const std::string& path : files) {
    const std::string file = fs::path(path).filename().string();
    CAPTURE(file);
    const std::vector<PromRule> rules = read_rules(read_text_file(path));
    // The line-based reader saw every rule promtool sees.
    std::string out;
    REQUIRE_MESSAGE(run_command("promtool check rules " + path, &out) == 0, out);
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_search(out, m, std::regex(R"(SUCCESS: (\d+) rules found)")), out);
    CHECK(rules.size() == std::stoul(m[1]));

    for (const PromRule& r : rules) {
      CAPTURE(r.name);
      CHECK_MESSAGE(!r.expr.empty(), file << ":" << r.line);
      std::set<std::string> printed;
      for (const auto& [key, text] : r.annotations) printed.merge(template_label_names(text));
      const auto problems = expression_problems(known, r.expr, printed);
      CHECK_MESSAGE(problems.empty(), file << ":" << r.line << ": " << r.expr << report(problems));
    }
  }
}

TEST_CASE("every alert of the shipped rules is unit-tested by a promtool test file") {
  std::set<std::string> tested;
  const fs::path dir = fs::path(source_dir()) / "deploy/prometheus";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.path().string().ends_with(".test.yml")) continue;
    const std::string text = read_text_file(entry.path().string());
    static const std::regex alertname(R"(\balertname:\s*([A-Za-z_][A-Za-z0-9_]*))");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), alertname); it != std::sregex_iterator(); ++it)
      tested.insert((*it)[1]);
  }
  for (const PromRule& r : shipped_rules())
    if (r.kind == "alert") CHECK_MESSAGE(tested.contains(r.name), r.name << " has no alert_rule_test");
}

TEST_CASE("the Grafana dashboard's variables and queries use only what the probe exports") {
  const RealScrape& scrape = real_scrape();
  const boost::json::value dash =
      boost::json::parse(read_text_file(source_dir() + "/deploy/grafana/synthprobe-dashboard.json"));
  const KnownNames known = known_names(scrape, shipped_rules());

  const std::vector<DashboardVariable> variables = dashboard_query_variables(dash);
  CHECK(variables.size() >= 3);
  for (const DashboardVariable& v : variables) {
    CAPTURE(v.name);
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_match(v.query, m, std::regex(R"(\s*label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*)")),
                    v.query);
    const auto problems = expression_problems(known, m[1], {m[2]});
    CHECK_MESSAGE(problems.empty(), v.query << report(problems));
  }

  const std::vector<DashboardQuery> queries = dashboard_queries(dash);
  CHECK(queries.size() >= 10);
  for (const DashboardQuery& q : queries) {
    CAPTURE(q.panel);
    const auto problems = expression_problems(known, q.expr, template_label_names(q.legend));
    CHECK_MESSAGE(problems.empty(), q.expr << report(problems));
  }
}

TEST_CASE("the checks catch the drift they are for") {
  const RealScrape& scrape = real_scrape();
  const KnownNames known = known_names(scrape, shipped_rules());
  // The incident series as the rule test had them before the probe exported region: now a dropped label.
  CHECK(input_series_problems(scrape, R"(synthprobe_incident_open{site="shop",severity="P1"})").size() == 1);
  // An invented label, a wrong severity, a name the probe does not export.
  CHECK(input_series_problems(scrape, R"(probe_all_success_sum{area="a",check="c",probe="p",region="r",site="s",step=""})").size() == 1);
  CHECK(input_series_problems(scrape, R"(synthprobe_incident_open{probe="p",region="r",site="s",severity="critical"})").size() == 1);
  CHECK(input_series_problems(scrape, R"(probe_all_success{probe="p",region="r"})").size() == 1);
  CHECK(input_series_problems(scrape, R"(synthprobe_incident_open{probe="p",region="r",site="s",severity="P2"})").empty());

  CHECK(expression_problems(known, R"(max by (site, zone) (synthprobe_incident_open))").size() == 1);
  CHECK(expression_problems(known, R"(sum(synthprobe_incident_open{zone="x"}) by (site))").size() == 1);
  CHECK(expression_problems(known, R"(sum(probe_success) by (severity))").size() == 1);
  CHECK(expression_problems(known, R"(synthprobe_checks_configured)", {"site"}).size() == 1);
  CHECK(expression_problems(known, R"(probe_sucess{step=""})").size() == 1);
  CHECK(expression_problems(known, R"(site_region:availability:ratio1h{region="eu"} < 0.99)").empty());
  CHECK(expression_problems(known, R"(a_recorded:series:that_nobody_records)").size() == 1);
}

TEST_CASE("promql_names: selectors, matchers and what each grouping applies to") {
  const PromqlNames n = promql_names(
      R"(count by (site) (max by (site, region) (synthprobe_incident_open{severity=~"P1|P2"}) == 1) >= 2
           unless on (site) sum(rate(probe_success{step=""}[5m] offset 1m)) by (site, le) # a comment: x{y="z"}
       )");
  REQUIRE(n.selectors.size() == 2);
  CHECK(n.selectors[0].metric == "synthprobe_incident_open");
  REQUIRE(n.selectors[0].matchers.size() == 1);
  CHECK(n.selectors[0].matchers[0].label == "severity");
  CHECK(n.selectors[0].matchers[0].op == "=~");
  CHECK(n.selectors[0].matchers[0].value == "P1|P2");
  CHECK(n.selectors[1].metric == "probe_success");
  REQUIRE(n.groupings.size() == 4);
  CHECK(n.groupings[0].keyword == "by");
  CHECK(n.groupings[0].labels == std::vector<std::string>{"site"});
  CHECK(n.groupings[0].metrics == std::set<std::string>{"synthprobe_incident_open"});
  CHECK(n.groupings[1].labels == std::vector<std::string>{"site", "region"});
  CHECK(n.groupings[2].keyword == "on");
  CHECK(n.groupings[2].metrics == std::set<std::string>{"synthprobe_incident_open", "probe_success"});
  CHECK(n.groupings[3].labels == std::vector<std::string>{"site", "le"});
  CHECK(n.groupings[3].metrics == std::set<std::string>{"probe_success"});  // postfix form
  CHECK(template_label_names("{{ $labels.site }} from {{ $value }} {{$labels.region}}; {{check}} / {{ step }}") ==
        std::set<std::string>{"site", "region", "check", "step"});
}
