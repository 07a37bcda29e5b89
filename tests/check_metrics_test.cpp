#include "exporters/metrics/check_metrics.h"

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <prometheus/registry.h>

#include "exporters/metrics/metrics_text.h"
#include "exporters/metrics/self_metrics.h"
#include "tests/support/temp_dir.h"

using synthprobe::CheckMetrics;
using synthprobe::Phases;
using synthprobe::Reason;
using synthprobe::MetricsText;
using synthprobe::render_metrics;
using synthprobe::render_metrics_text;
using synthprobe::RunResult;
using synthprobe::SelfMetrics;
using synthprobe::StepResult;
namespace config = synthprobe::config;
namespace testing = synthprobe::testing;

namespace {

using CheckPtr = std::shared_ptr<const config::Check>;

// What the config loader hands over: site labels already merged into the check's.
CheckPtr make_check(const std::string& name, std::map<std::string, std::string> labels = {{"team", "web"}}) {
  config::Check c;
  c.kind = config::Check::Kind::check;
  c.name = name;
  c.site = "shop";
  c.area = "storefront";
  c.labels = std::move(labels);
  config::Step step;
  step.name = name;
  c.steps.push_back(step);
  return std::make_shared<const config::Check>(std::move(c));
}

CheckPtr make_flow(const std::string& name, std::vector<std::string> steps = {"login", "cart"}) {
  config::Check c;
  c.kind = config::Check::Kind::flow;
  c.name = name;
  c.site = "shop";
  c.area = "checkout";
  c.labels = {{"team", "web"}, {"tier", "gold"}};  // team from the site, tier from the flow
  for (auto& s : steps) {
    config::Step step;
    step.name = std::move(s);
    c.steps.push_back(std::move(step));
  }
  return std::make_shared<const config::Check>(std::move(c));
}

RunResult passing_tls_run() {
  RunResult r;
  r.name = "home";
  r.site = "shop";
  r.area = "storefront";
  r.success = true;
  r.duration_seconds = 0.02;
  r.status_code = 200;
  r.phases = Phases{0.001, 0.002, 0.005, 0.01, 0.002};
  r.http_version = "2";
  r.body_bytes = 5120;
  r.redirects = 1;
  r.tls_used = true;
  r.cert_expiry_unix = 1'800'000'000;
  StepResult s;
  s.name = "home";
  s.success = true;
  s.status_code = 200;
  r.steps.push_back(s);
  return r;
}

RunResult plain_run(bool success, double duration) {
  RunResult r;
  r.name = "home";
  r.success = success;
  if (!success) {
    r.reason = Reason::connect;
    r.message = "connection refused";
  }
  r.duration_seconds = duration;
  r.http_version = success ? "1.1" : "";
  r.status_code = success ? 200 : 0;
  return r;
}

// The flow got through login, then cart answered 503.
RunResult failing_flow_run() {
  RunResult r;
  r.name = "buy";
  r.is_flow = true;
  r.site = "shop";
  r.area = "checkout";
  r.success = false;
  r.reason = Reason::status;
  r.message = "step cart: status 503 not in [2xx]";
  r.failed_step = "cart";
  r.duration_seconds = 0.3;
  r.status_code = 503;
  r.phases = Phases{0.01, 0.02, 0, 0.2, 0.07};
  r.http_version = "1.1";
  r.body_bytes = 42;
  StepResult login;
  login.name = "login";
  login.success = true;
  login.duration_seconds = 0.1;
  login.status_code = 200;
  login.phases = Phases{0.01, 0.01, 0, 0.07, 0.01};
  StepResult cart;
  cart.name = "cart";
  cart.success = false;
  cart.reason = Reason::status;
  cart.duration_seconds = 0.2;
  cart.status_code = 503;
  cart.phases = Phases{0, 0.01, 0, 0.13, 0.06};
  r.steps = {login, cart};
  return r;
}

const std::string kHome = R"(area="storefront",check="home",probe="p1",region="eu",site="shop",team="web")";
const std::string kBuy = R"(area="checkout",check="buy",probe="p1",region="eu",site="shop",team="web",tier="gold")";
std::string buy_step(const std::string& step) {
  return R"(area="checkout",check="buy",probe="p1",region="eu",site="shop",step=")" + step +
         R"(",team="web",tier="gold")";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  const auto lines = lines_of(text);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// Sample lines (not HELP/TYPE) of one metric name, with or without a suffix.
std::vector<std::string> samples(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(text)) {
    if (line.starts_with(name + "{") || line.starts_with(name + " ")) out.push_back(line);
  }
  return out;
}

// The value of the sample whose name and labels are `series`; -1 when absent.
double value_of(const std::string& text, const std::string& series) {
  for (const auto& line : lines_of(text)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

std::size_t count_containing(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (const auto& line : lines_of(text)) n += line.find(needle) != std::string::npos ? 1 : 0;
  return n;
}

// `promtool check metrics` must accept the exposition without a single complaint.
void require_promtool_clean(const std::string& text) {
  std::string where;
  const int found = testing::run_command("command -v promtool", &where);
  if (found != 0) FAIL("promtool not found on PATH: install Debian's prometheus package (it ships promtool)");
  testing::TempDir dir;
  const std::string file = dir.write("metrics.txt", text);
  std::string output;
  const int status = testing::run_command("promtool check metrics < '" + file + "'", &output);
  INFO("promtool output:\n" << output << "\nexposition:\n" << text);
  CHECK(status == 0);
  CHECK(output.empty());
}

struct Fixture {
  CheckMetrics metrics{"p1", "eu"};
  // What /metrics serves for these checks (written from the numbers), which must be, byte for byte, what
  // prometheus-cpp's TextSerializer makes of Collect().
  std::string render() const {
    const std::string text = render_direct();
    CHECK(text == render_metrics({&metrics}));
    return text;
  }
  std::string render_direct() const { return render_metrics_text({}, &metrics); }
};

}  // namespace

TEST_CASE("before the first run: phases, counters and state exist, latest-run values do not") {
  Fixture f;
  f.metrics.configure({make_check("home"), make_flow("buy")});
  const std::string text = f.render();
  require_promtool_clean(text);

  for (const std::string phase : {"resolve", "connect", "tls", "processing", "transfer"}) {
    CHECK(has_line(text, "probe_http_duration_seconds{area=\"storefront\",check=\"home\",phase=\"" + phase +
                             "\",probe=\"p1\",region=\"eu\",site=\"shop\",team=\"web\"} 0"));
    CHECK(has_line(text, "probe_http_duration_seconds{area=\"checkout\",check=\"buy\",phase=\"" + phase +
                             "\",probe=\"p1\",region=\"eu\",site=\"shop\",team=\"web\",tier=\"gold\"} 0"));
    for (const std::string step : {"login", "cart"}) {
      CHECK(has_line(text, "probe_http_duration_seconds{area=\"checkout\",check=\"buy\",phase=\"" + phase +
                               "\",probe=\"p1\",region=\"eu\",site=\"shop\",step=\"" + step +
                               "\",team=\"web\",tier=\"gold\"} 0"));
    }
  }
  CHECK(samples(text, "probe_http_duration_seconds").size() == 5 + 5 + 2 * 5);

  for (const std::string reason :
       {"dns", "connect", "tls", "timeout", "protocol", "status", "assertion", "latency", "extraction"}) {
    CHECK(has_line(text, "synthprobe_check_failures_total{area=\"storefront\",check=\"home\",probe=\"p1\",reason=\"" +
                             reason + "\",region=\"eu\",site=\"shop\",team=\"web\"} 0"));
  }
  CHECK(samples(text, "synthprobe_check_failures_total").size() == 2 * 9);
  CHECK(has_line(text, "probe_all_success_count{" + kHome + "} 0"));
  CHECK(has_line(text, "probe_all_success_sum{" + kHome + "} 0"));
  CHECK(has_line(text, "probe_all_duration_seconds_bucket{" + kHome + ",le=\"+Inf\"} 0"));
  CHECK(has_line(text, "synthprobe_check_degraded_total{" + kBuy + "} 0"));
  CHECK(has_line(text, "synthprobe_check_state{" + kHome + "} 4"));
  CHECK(has_line(text, "synthprobe_check_state{" + kBuy + "} 4"));

  // No latest run yet: no value that would read as a failure or a certificate expiring in 1970.
  CHECK(samples(text, "probe_success").empty());
  CHECK(samples(text, "probe_duration_seconds").empty());
  CHECK(samples(text, "probe_ssl_earliest_cert_expiry").empty());
  CHECK(samples(text, "synthprobe_check_last_run_timestamp_seconds").empty());
  CHECK(text.find("probe_ssl_earliest_cert_expiry") == std::string::npos);  // not even HELP/TYPE

  // HELP and TYPE on every family, never job or instance.
  CHECK(has_line(text, "# TYPE probe_all_success summary"));
  CHECK(has_line(text, "# TYPE probe_all_duration_seconds histogram"));
  CHECK(has_line(text, "# TYPE synthprobe_check_failures_total counter"));
  CHECK(has_line(text, "# TYPE synthprobe_check_degraded_total counter"));
  CHECK(has_line(text, "# TYPE synthprobe_check_state gauge"));
  CHECK(count_containing(text, "# HELP ") == count_containing(text, "# TYPE "));
  CHECK(text.find("job=") == std::string::npos);
  CHECK(text.find("instance=") == std::string::npos);
}

TEST_CASE("prefetch is a hint: for any index, before or after configure, it changes nothing") {
  // What can go wrong is a read to find the address: a null entry or an index past the end, which the
  // sanitizer build reports (member access through null, a read past the vector).
  Fixture f;
  for (std::size_t i : {0u, 1u, 7u}) f.metrics.prefetch(i);  // nothing installed yet
  f.metrics.configure({make_check("home"), nullptr, make_flow("buy")});
  f.metrics.record(0, passing_tls_run(), 1'700'000'000.5);
  f.metrics.record(2, failing_flow_run(), 1'700'000'001);
  const std::string before = f.render();
  for (std::size_t i : {0u, 1u, 2u, 3u, 1000u}) f.metrics.prefetch(i);  // configured, null, past the end
  CHECK(f.render() == before);
  f.metrics.prefetch(0);
  f.metrics.record(0, passing_tls_run(), 1'700'000'002.5);  // and the record it prepares still counts
  CHECK(has_line(f.render(), "probe_all_success_count{" + kHome + "} 2"));
}

TEST_CASE("a passing TLS check and a failing flow: latest values, availability, failures") {
  Fixture f;
  f.metrics.configure({make_check("home"), make_flow("buy")});
  f.metrics.record(0, passing_tls_run(), 1'700'000'000.5);
  f.metrics.set_state(0, CheckMetrics::State::up);
  f.metrics.record(1, failing_flow_run(), 1'700'000'001);
  f.metrics.set_state(1, CheckMetrics::State::failing);
  const std::string text = f.render();
  require_promtool_clean(text);

  // The check's latest run.
  CHECK(has_line(text, R"(probe_success{area="storefront",check="home",probe="p1",region="eu",site="shop",team="web"} 1)"));
  CHECK(has_line(text, "probe_duration_seconds{" + kHome + "} 0.02"));
  CHECK(has_line(text, "probe_http_status_code{" + kHome + "} 200"));
  CHECK(has_line(text, "probe_http_content_length{" + kHome + "} 5120"));
  CHECK(has_line(text, "probe_http_redirects{" + kHome + "} 1"));
  CHECK(has_line(text, "probe_http_version{" + kHome + "} 2"));
  CHECK(has_line(text, "probe_http_ssl{" + kHome + "} 1"));
  CHECK(has_line(text, "probe_failed_due_to_regex{" + kHome + "} 0"));
  CHECK(has_line(text, "probe_ssl_earliest_cert_expiry{" + kHome + "} 1800000000"));
  CHECK(has_line(text,
                 R"(probe_http_duration_seconds{area="storefront",check="home",phase="tls",probe="p1",region="eu",site="shop",team="web"} 0.005)"));
  CHECK(has_line(text, "synthprobe_check_last_run_timestamp_seconds{" + kHome + "} 1700000000.5"));
  CHECK(has_line(text, "synthprobe_check_state{" + kHome + "} 0"));
  // A check (not a flow) has no step series.
  CHECK(count_containing(text, "check=\"home\",probe=\"p1\",region=\"eu\",site=\"shop\",step=") == 0);

  // The flow's own series carry no step label; its steps' series do.
  CHECK(has_line(text, "probe_success{" + kBuy + "} 0"));
  CHECK(has_line(text, "probe_success{" + buy_step("login") + "} 1"));
  CHECK(has_line(text, "probe_success{" + buy_step("cart") + "} 0"));
  CHECK(has_line(text, "probe_duration_seconds{" + kBuy + "} 0.3"));
  CHECK(has_line(text, "probe_duration_seconds{" + buy_step("login") + "} 0.1"));
  CHECK(has_line(text, "probe_duration_seconds{" + buy_step("cart") + "} 0.2"));
  CHECK(has_line(text, "probe_http_status_code{" + kBuy + "} 503"));
  CHECK(has_line(text, "probe_http_status_code{" + buy_step("login") + "} 200"));
  CHECK(has_line(text, "probe_http_status_code{" + buy_step("cart") + "} 503"));
  CHECK(has_line(text,
                 R"(probe_http_duration_seconds{area="checkout",check="buy",phase="processing",probe="p1",region="eu",site="shop",team="web",tier="gold"} 0.2)"));
  CHECK(has_line(text,
                 R"(probe_http_duration_seconds{area="checkout",check="buy",phase="processing",probe="p1",region="eu",site="shop",step="cart",team="web",tier="gold"} 0.13)"));
  CHECK(has_line(text, "probe_http_version{" + kBuy + "} 1.1"));
  CHECK(has_line(text, "probe_http_ssl{" + kBuy + "} 0"));
  CHECK(samples(text, "probe_success").size() == 1 + 1 + 2);
  CHECK(samples(text, "probe_http_content_length").size() == 2);  // no per-step body series
  CHECK(samples(text, "probe_ssl_earliest_cert_expiry").size() == 1);  // the flow had no TLS

  // Availability and failures.
  CHECK(has_line(text, "probe_all_success_sum{" + kHome + "} 1"));
  CHECK(has_line(text, "probe_all_success_count{" + kHome + "} 1"));
  CHECK(has_line(text, "probe_all_success_sum{" + kBuy + "} 0"));
  CHECK(has_line(text, "probe_all_success_count{" + kBuy + "} 1"));
  CHECK(has_line(text, "synthprobe_check_failures_total{area=\"checkout\",check=\"buy\",probe=\"p1\",reason=\"status\","
                       "region=\"eu\",site=\"shop\",team=\"web\",tier=\"gold\"} 1"));
  CHECK(has_line(text, "synthprobe_check_failures_total{area=\"checkout\",check=\"buy\",probe=\"p1\",reason=\"dns\","
                       "region=\"eu\",site=\"shop\",team=\"web\",tier=\"gold\"} 0"));
  CHECK(has_line(text, "synthprobe_check_failures_total{area=\"storefront\",check=\"home\",probe=\"p1\",reason=\"status\","
                       "region=\"eu\",site=\"shop\",team=\"web\"} 0"));
  CHECK(has_line(text, "synthprobe_check_state{" + kBuy + "} 1"));

  // Histogram: 0.02s falls in le=0.025 and above, 0.3s in le=0.5 and above.
  CHECK(has_line(text, "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.01\"} 0"));
  CHECK(has_line(text, "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.025\"} 1"));
  CHECK(has_line(text, "probe_all_duration_seconds_bucket{" + kHome + ",le=\"30\"} 1"));
  CHECK(has_line(text, "probe_all_duration_seconds_bucket{" + kBuy + ",le=\"0.25\"} 0"));
  CHECK(has_line(text, "probe_all_duration_seconds_bucket{" + kBuy + ",le=\"0.5\"} 1"));
  CHECK(has_line(text, "probe_all_duration_seconds_count{" + kBuy + "} 1"));
  CHECK(has_line(text, "probe_all_duration_seconds_sum{" + kBuy + "} 0.3"));
}

TEST_CASE("the duration histogram has the contract's buckets, cumulative, with +Inf") {
  Fixture f;
  f.metrics.configure({make_check("home")});
  for (const double d : {0.003, 0.005, 0.2, 1.5, 45.0}) f.metrics.record(0, plain_run(true, d), 1);
  const std::string text = f.render();
  require_promtool_clean(text);
  const std::vector<std::string> expected = {
      "probe_all_duration_seconds_count{" + kHome + "} 5",
      "probe_all_duration_seconds_sum{" + kHome + "} 46.708",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.005\"} 2",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.01\"} 2",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.025\"} 2",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.05\"} 2",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.1\"} 2",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.25\"} 3",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"0.5\"} 3",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"1\"} 3",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"2.5\"} 4",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"5\"} 4",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"10\"} 4",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"30\"} 4",
      "probe_all_duration_seconds_bucket{" + kHome + ",le=\"+Inf\"} 5",
  };
  CHECK(samples(text, "probe_all_duration_seconds_count") == std::vector<std::string>{expected[0]});
  auto sum = samples(text, "probe_all_duration_seconds_sum");
  REQUIRE(sum.size() == 1);
  CHECK(sum[0].starts_with("probe_all_duration_seconds_sum{" + kHome + "} 46.70"));
  CHECK(samples(text, "probe_all_duration_seconds_bucket") ==
        std::vector<std::string>(expected.begin() + 2, expected.end()));
}

TEST_CASE("certificate expiry follows the latest run and exists only after a TLS handshake") {
  Fixture f;
  f.metrics.configure({make_check("home")});

  f.metrics.record(0, plain_run(true, 0.01), 1);  // plain HTTP
  std::string text = f.render();
  CHECK(text.find("probe_ssl_earliest_cert_expiry") == std::string::npos);
  CHECK(has_line(text, "probe_http_ssl{" + kHome + "} 0"));
  CHECK(has_line(text, "probe_http_version{" + kHome + "} 1.1"));

  f.metrics.record(0, passing_tls_run(), 2);
  text = f.render();
  CHECK(has_line(text, "probe_ssl_earliest_cert_expiry{" + kHome + "} 1800000000"));

  RunResult refused = plain_run(false, 0.001);  // no handshake this time: no stale expiry
  f.metrics.record(0, refused, 3);
  text = f.render();
  CHECK(text.find("probe_ssl_earliest_cert_expiry") == std::string::npos);
  CHECK(has_line(text, "probe_success{" + kHome + "} 0"));
  CHECK(has_line(text, "probe_http_version{" + kHome + "} 0"));  // no response
  CHECK(has_line(text, "probe_http_status_code{" + kHome + "} 0"));
  CHECK(has_line(text, "synthprobe_check_failures_total{area=\"storefront\",check=\"home\",probe=\"p1\","
                       "reason=\"connect\",region=\"eu\",site=\"shop\",team=\"web\"} 1"));
  CHECK(has_line(text, "probe_all_success_sum{" + kHome + "} 2"));
  CHECK(has_line(text, "probe_all_success_count{" + kHome + "} 3"));
  require_promtool_clean(text);
}

TEST_CASE("a degraded run passes and counts as degraded; failed regex is exported") {
  Fixture f;
  f.metrics.configure({make_check("home")});
  RunResult slow = plain_run(true, 2.0);
  slow.degraded = true;
  f.metrics.record(0, slow, 1);
  RunResult regex = plain_run(false, 0.01);
  regex.reason = Reason::assertion;
  regex.failed_due_to_regex = true;
  f.metrics.record(0, regex, 2);
  f.metrics.set_state(0, CheckMetrics::State::degraded);
  const std::string text = f.render();
  CHECK(has_line(text, "synthprobe_check_degraded_total{" + kHome + "} 1"));
  CHECK(has_line(text, "probe_all_success_sum{" + kHome + "} 1"));
  CHECK(has_line(text, "probe_all_success_count{" + kHome + "} 2"));
  CHECK(has_line(text, "probe_failed_due_to_regex{" + kHome + "} 1"));
  CHECK(has_line(text, "synthprobe_check_failures_total{area=\"storefront\",check=\"home\",probe=\"p1\","
                       "reason=\"assertion\",region=\"eu\",site=\"shop\",team=\"web\"} 1"));
  CHECK(has_line(text, "synthprobe_check_state{" + kHome + "} 3"));
}

TEST_CASE("a flow step the run did not reach exports 0, not its previous values") {
  Fixture f;
  f.metrics.configure({make_flow("buy")});
  RunResult ok = failing_flow_run();
  ok.success = true;
  ok.reason.reset();
  ok.steps[1].success = true;
  ok.steps[1].status_code = 200;
  f.metrics.record(0, ok, 1);
  CHECK(has_line(f.render(), "probe_http_status_code{" + buy_step("cart") + "} 200"));

  RunResult stopped = failing_flow_run();
  stopped.steps[0].success = false;
  stopped.steps[0].status_code = 500;
  stopped.steps[1] = StepResult{};
  stopped.steps[1].name = "cart";  // success: nullopt, not run
  f.metrics.record(0, stopped, 2);
  const std::string text = f.render();
  CHECK(has_line(text, "probe_success{" + buy_step("cart") + "} 0"));
  CHECK(has_line(text, "probe_http_status_code{" + buy_step("cart") + "} 0"));
  CHECK(has_line(text, "probe_duration_seconds{" + buy_step("cart") + "} 0"));
  CHECK(has_line(text, "probe_http_status_code{" + buy_step("login") + "} 500"));
}

TEST_CASE("reconfigure: unchanged checks keep counters, removed ones vanish, new ones start at zero") {
  Fixture f;
  f.metrics.configure({make_check("home"), make_flow("buy"), make_check("old")});
  f.metrics.record(0, plain_run(false, 0.01), 1);
  f.metrics.set_state(0, CheckMetrics::State::failing);
  f.metrics.record(1, failing_flow_run(), 2);
  f.metrics.record(2, plain_run(true, 0.01), 3);
  const std::string kOld = R"(area="storefront",check="old",probe="p1",region="eu",site="shop",team="web")";
  REQUIRE(has_line(f.render(), "probe_all_success_count{" + kOld + "} 1"));

  // Reload: order changed, "old" removed, "new" added, "buy" got a third step (a new identity). A fresh
  // Check object with the same identity counts as unchanged.
  f.metrics.configure({make_check("new"), make_flow("buy", {"login", "cart", "pay"}), make_check("home")});
  CHECK(f.metrics.size() == 3);
  std::string text = f.render();
  require_promtool_clean(text);

  // home: now index 2, counters, state and latest values kept.
  CHECK(has_line(text, "probe_all_success_count{" + kHome + "} 1"));
  CHECK(has_line(text, "synthprobe_check_failures_total{area=\"storefront\",check=\"home\",probe=\"p1\","
                       "reason=\"connect\",region=\"eu\",site=\"shop\",team=\"web\"} 1"));
  CHECK(has_line(text, "synthprobe_check_state{" + kHome + "} 1"));
  CHECK(has_line(text, "probe_success{" + kHome + "} 0"));
  CHECK(has_line(text, "synthprobe_check_last_run_timestamp_seconds{" + kHome + "} 1"));

  // old: every series gone.
  CHECK(text.find("check=\"old\"") == std::string::npos);

  // new: zeroed, unknown, phases present, no latest values.
  const std::string kNew = R"(area="storefront",check="new",probe="p1",region="eu",site="shop",team="web")";
  CHECK(has_line(text, "probe_all_success_count{" + kNew + "} 0"));
  CHECK(has_line(text, "synthprobe_check_state{" + kNew + "} 4"));
  CHECK(count_containing(text, "probe_http_duration_seconds{area=\"storefront\",check=\"new\"") == 5);
  CHECK(count_containing(text, "synthprobe_check_failures_total{area=\"storefront\",check=\"new\"") == 9);
  CHECK(text.find("probe_success{" + kNew) == std::string::npos);

  // buy: its steps changed, so it starts again, with the new step's phases.
  CHECK(has_line(text, "probe_all_success_count{" + kBuy + "} 0"));
  CHECK(text.find("probe_success{" + kBuy) == std::string::npos);
  CHECK(count_containing(text, "step=\"pay\"") == 5);

  // Records now go by the new indices.
  f.metrics.record(2, plain_run(true, 0.01), 10);
  f.metrics.record(0, plain_run(true, 0.01), 10);
  text = f.render();
  CHECK(has_line(text, "probe_all_success_count{" + kHome + "} 2"));
  CHECK(has_line(text, "probe_all_success_count{" + kNew + "} 1"));

  // A changed label is a new identity too; an out-of-range index is ignored.
  f.metrics.configure({make_check("new"), make_check("home", {{"team", "platform"}})});
  f.metrics.record(5, plain_run(true, 0.01), 11);
  f.metrics.set_state(5, CheckMetrics::State::up);
  text = f.render();
  CHECK(has_line(text, "probe_all_success_count{" + kNew + "} 1"));
  CHECK(has_line(text, R"(probe_all_success_count{area="storefront",check="home",probe="p1",region="eu",site="shop",team="platform"} 0)"));
  for (const auto& line : lines_of(text)) {
    if (line.find("check=\"home\"") != std::string::npos) CHECK(line.find("team=\"platform\"") != std::string::npos);
  }

  // Nothing configured: no families at all.
  f.metrics.configure({});
  CHECK(f.render().empty());
}

TEST_CASE("scrapes on another thread see whole runs and lose none") {
  Fixture f;
  f.metrics.configure({make_check("home"), make_flow("buy")});
  constexpr int kRuns = 2000;
  std::thread loop([&] {
    for (int i = 0; i < kRuns; ++i) {
      f.metrics.record(0, plain_run(i % 2 == 0, 0.01), i);
      f.metrics.record(1, failing_flow_run(), i);
    }
  });
  const std::string buy_status = "synthprobe_check_failures_total{area=\"checkout\",check=\"buy\",probe=\"p1\","
                                 "reason=\"status\",region=\"eu\",site=\"shop\",team=\"web\",tier=\"gold\"}";
  for (int i = 0; i < 20; ++i) {
    // A check's numbers are copied together under the lock: a run is never half counted.
    const std::string text = f.render_direct();
    const double runs = value_of(text, "probe_all_success_count{" + kBuy + "}");
    CHECK(value_of(text, buy_status) == runs);
    CHECK(value_of(text, "probe_all_duration_seconds_count{" + kBuy + "}") == runs);
    CHECK(value_of(text, "probe_all_duration_seconds_bucket{" + kBuy + ",le=\"0.5\"}") == runs);
  }
  loop.join();
  const std::string text = f.render();
  CHECK(has_line(text, "probe_all_success_count{" + kHome + "} " + std::to_string(kRuns)));
  CHECK(has_line(text, "probe_all_success_sum{" + kHome + "} " + std::to_string(kRuns / 2)));
  CHECK(has_line(text, "probe_all_duration_seconds_count{" + kBuy + "} " + std::to_string(kRuns)));
}

TEST_CASE("self metrics and check metrics render together as one valid exposition") {
  prometheus::Registry registry;
  SelfMetrics self(registry, "0.1.0", {"p1", "eu"});
  self.set_checks_configured(2);
  self.set_checks_in_flight(1);
  self.observe_scheduler_lag(0.0004);
  self.observe_scheduler_lag(0.02);
  self.observe_scheduler_lag(-1);  // a run started early counts as on time
  self.add_checks_delayed();
  self.add_checks_delayed(2);
  self.config_reloaded(true, 1'700'000'000);
  self.config_reloaded(false, 1'700'000'100);  // a rejected reload keeps the last success time

  CheckMetrics checks("p1", "eu");
  checks.configure({make_check("home"), make_flow("buy")});
  checks.record(0, passing_tls_run(), 1'700'000'050);

  // What /metrics serves: the registry through TextSerializer, then the checks from their numbers; the
  // same bytes as TextSerializer over everything.
  const std::string text = render_metrics_text({&registry}, &checks);
  CHECK(text == render_metrics({&registry, &checks}));
  CHECK(text.starts_with("# HELP synthprobe_"));
  require_promtool_clean(text);
  const std::string who = "probe=\"p1\",region=\"eu\"";
  CHECK(has_line(text, "synthprobe_build_info{" + who + ",version=\"0.1.0\"} 1"));
  CHECK(has_line(text, "synthprobe_checks_configured{" + who + "} 2"));
  CHECK(has_line(text, "synthprobe_checks_in_flight{" + who + "} 1"));
  CHECK(has_line(text, "# TYPE synthprobe_scheduler_lag_seconds histogram"));
  CHECK(has_line(text, "synthprobe_scheduler_lag_seconds_count{" + who + "} 3"));
  CHECK(has_line(text, "synthprobe_scheduler_lag_seconds_bucket{" + who + ",le=\"0.001\"} 2"));
  CHECK(has_line(text, "synthprobe_scheduler_lag_seconds_bucket{" + who + ",le=\"0.025\"} 3"));
  CHECK(has_line(text, "synthprobe_scheduler_lag_seconds_bucket{" + who + ",le=\"10\"} 3"));
  CHECK(has_line(text, "synthprobe_scheduler_lag_seconds_bucket{" + who + ",le=\"+Inf\"} 3"));
  // prometheus-cpp 1.0 does not append _total to counters: the names are exactly the contract's.
  CHECK(has_line(text, "# TYPE synthprobe_checks_delayed_total counter"));
  CHECK(has_line(text, "synthprobe_checks_delayed_total{" + who + "} 3"));
  CHECK(text.find("_total_total") == std::string::npos);
  CHECK(has_line(text, "synthprobe_config_last_reload_successful{" + who + "} 0"));
  CHECK(has_line(text, "synthprobe_config_last_reload_success_timestamp_seconds{" + who + "} 1700000000"));
  // Every series of the exposition names its probe and region (the quorum rules count regions).
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    CAPTURE(line);
    CHECK(line.find("probe=\"p1\"") != std::string::npos);
    CHECK(line.find("region=\"eu\"") != std::string::npos);
  }
  CHECK(has_line(text, "probe_success{" + kHome + "} 1"));
  CHECK(render_metrics({nullptr, &checks}) == render_metrics({&checks}));
  CHECK(render_metrics_text({nullptr, &registry}, &checks) == text);
  CHECK(render_metrics_text({&registry}, nullptr) == render_metrics({&registry}));

  // Piece by piece, as the HTTP server sends it: the registry's families first, in one piece.
  MetricsText body({&registry}, &checks);
  std::string piece, joined;
  REQUIRE(body.next(piece));
  CHECK(piece == render_metrics({&registry}));
  do {
    joined += piece;
    piece.clear();
  } while (body.next(piece));
  CHECK(joined == text);
}

namespace {

// Every kind of series at once: a plain check that ran over TLS (certificate expiry present), one that
// was refused (expiry absent), one that never ran, a flow whose second step was not reached, a degraded
// run, a failed regex, values with fractions, NaN; names, sites, areas, steps and label values with
// quotes, backslashes, newlines and UTF-8; user labels that sort before, between and after the probe's
// own (and around the phase, reason and step labels inserted per series).
struct EveryKind {
  CheckMetrics metrics{"p\"1\"", "eu\\west"};

  static CheckPtr hostile_check(const std::string& name, std::map<std::string, std::string> labels) {
    config::Check c;
    c.kind = config::Check::Kind::check;
    c.name = name;
    c.site = "caf\xc3\xa9 \"shop\"";
    c.area = "line\nbreak \\ area";
    c.labels = std::move(labels);
    config::Step step;
    step.name = name;
    c.steps.push_back(step);
    return std::make_shared<const config::Check>(std::move(c));
  }

  static CheckPtr hostile_flow() {
    config::Check c;
    c.kind = config::Check::Kind::flow;
    c.name = "buy \xf0\x9f\x9b\x92";
    c.site = "shop";
    c.area = "";
    c.labels = {{"aa", "first"}, {"pri", "between phase and probe"}, {"ref", "between reason and region"},
                {"step_no", "after step"}, {"zone", "z\"\\\n"}};
    for (const std::string name : {"log\"in\"", "c\\art", "pay\nnow"}) {
      config::Step step;
      step.name = name;
      c.steps.push_back(std::move(step));
    }
    return std::make_shared<const config::Check>(std::move(c));
  }

  EveryKind() {
    metrics.configure({hostile_check("home \"page\"", {{"team", "web\\ops"}, {"app", "\xe2\x9c\x93"}}),
                       hostile_check("refused", {{"phasey", "after phase"}, {"le_x", "x"}}), hostile_flow(),
                       nullptr, hostile_check("never ran", {})});
    metrics.record(0, passing_tls_run(), 1'700'000'000.123456);
    metrics.set_state(0, CheckMetrics::State::up);
    RunResult refused = plain_run(false, 0.000123);
    metrics.record(1, refused, 1'700'000'001.5);
    metrics.set_state(1, CheckMetrics::State::down);
    RunResult flow = failing_flow_run();
    flow.steps.push_back(StepResult{});  // "pay\nnow": not reached
    flow.duration_seconds = 1.0 / 3.0;
    metrics.record(2, flow, 1'700'000'002.25);
    RunResult degraded = passing_tls_run();
    degraded.degraded = true;
    degraded.duration_seconds = 7.25;
    degraded.cert_expiry_unix.reset();  // a handshake without a certificate seen: no expiry
    degraded.failed_due_to_regex = true;
    metrics.record(0, degraded, 1'700'000'003);
    metrics.set_state(2, CheckMetrics::State::degraded);
    RunResult odd = plain_run(true, std::numeric_limits<double>::quiet_NaN());
    odd.phases.transfer = 1e-7;
    odd.body_bytes = 12345678901234567;
    metrics.record(1, odd, 1'700'000'004);
  }
};

}  // namespace

TEST_CASE("the text written from the numbers is byte for byte what TextSerializer makes of Collect()") {
  EveryKind k;
  const std::string direct = render_metrics_text({}, &k.metrics);
  const std::string reference = render_metrics({&k.metrics});
  REQUIRE(!direct.empty());
  CHECK(direct == reference);
  if (direct != reference) {  // the first difference, readable
    const auto a = lines_of(direct), b = lines_of(reference);
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      if (a[i] == b[i]) continue;
      CAPTURE(a[i]);
      CAPTURE(b[i]);
      FAIL("line " << i + 1 << " differs");
    }
  }
  require_promtool_clean(direct);

  // What the exposition says about the hostile labels, spelled out.
  CHECK(direct.find(R"(check="home \"page\"")") != std::string::npos);
  CHECK(direct.find(R"(area="line\nbreak \\ area")") != std::string::npos);
  CHECK(direct.find("site=\"caf\xc3\xa9 \\\"shop\\\"\"") != std::string::npos);
  CHECK(direct.find(R"(step="pay\nnow")") != std::string::npos);
  CHECK(samples(direct, "probe_ssl_earliest_cert_expiry").empty());  // the latest run saw no certificate
  CHECK(count_containing(direct, "probe_duration_seconds{") == 3 + 3);
  CHECK(count_containing(direct, "} Nan") == 2);  // the odd run's duration, and so its check's duration sum
  // Phases, summary, histogram (count, sum, 13 buckets), reasons, degraded, state: nothing of a latest run.
  CHECK(count_containing(direct, "check=\"never ran\"") == 5 + 2 + 15 + 9 + 1 + 1);
}

TEST_CASE("the certificate expiry family appears and goes with the latest run, in both writers") {
  Fixture f;
  f.metrics.configure({make_check("home"), make_check("other")});
  f.metrics.record(1, plain_run(true, 0.01), 1);
  CHECK(f.render().find("probe_ssl_earliest_cert_expiry") == std::string::npos);
  f.metrics.record(0, passing_tls_run(), 2);
  CHECK(samples(f.render(), "probe_ssl_earliest_cert_expiry").size() == 1);
  f.metrics.record(0, plain_run(false, 0.01), 3);
  CHECK(f.render().find("probe_ssl_earliest_cert_expiry") == std::string::npos);
}

TEST_CASE("pieces are whole lines and join to the whole text, whatever their size") {
  EveryKind k;
  const std::string whole = render_metrics_text({}, &k.metrics);
  for (const std::size_t bytes : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{4096}, std::size_t{1} << 20}) {
    CAPTURE(bytes);
    CheckMetrics::TextWriter writer(k.metrics);
    std::string joined, piece;
    std::size_t pieces = 0;
    while (writer.write(piece, bytes)) {
      CHECK(piece.ends_with('\n'));
      if (bytes <= 1) {
        std::set<std::string> checks_in_piece;
        static const std::regex check_label(R"(check="(?:[^"\\]|\\.)*")");
        for (auto it = std::sregex_iterator(piece.begin(), piece.end(), check_label); it != std::sregex_iterator(); ++it) {
          checks_in_piece.insert(it->str());
        }
        CAPTURE(piece);
        // One check's lines in one family (a flow's steps with it), or a family's HELP and TYPE.
        CHECK((checks_in_piece.size() == 1 || (checks_in_piece.empty() && piece.starts_with("# HELP "))));
      }
      joined += piece;
      piece.clear();
      ++pieces;
    }
    CHECK(piece.empty());
    CHECK(!writer.write(piece, bytes));  // finished stays finished
    CHECK(joined == whole);
    if (bytes >= 1 << 20) CHECK(pieces == 1);
    if (bytes <= 1) {
      // 3 checks that ran in 9 families, 4 configured in 6, and the 15 families' HELP and TYPE.
      CHECK(pieces == 3 * 9 + 4 * 6 + 15);
    }
  }
}

TEST_CASE("a writer copies the numbers at its first piece and keeps them across a reload") {
  Fixture f;
  f.metrics.configure({make_check("home"), make_flow("buy")});
  f.metrics.record(0, plain_run(true, 0.01), 1);
  CheckMetrics::TextWriter writer(f.metrics);
  std::string first;
  REQUIRE(writer.write(first, 1));  // the copy is taken now
  f.metrics.record(0, plain_run(true, 0.01), 2);
  f.metrics.configure({make_check("other")});  // what the writer copied stays alive
  std::string rest = first;
  while (writer.write(rest, 1)) {
  }
  CHECK(has_line(rest, "probe_all_success_count{" + kHome + "} 1"));
  CHECK(count_containing(rest, "check=\"buy\"") > 0);
  CHECK(rest.find("check=\"other\"") == std::string::npos);
  const std::string now = f.render();
  CHECK(now.find("check=\"home\"") == std::string::npos);
  CHECK(now.find("check=\"other\"") != std::string::npos);
}
