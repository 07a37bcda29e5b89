// Fuzzes extraction (probe/engine/extraction.h) and assertions (probe/engine/assertions.h) over arbitrary
// responses, with expectations loaded from a fixed config: every extraction kind, every expectation kind,
// and templated expectations that insert what was extracted.
//
// Input, read like a small HTTP response:
//   "STATUS [LATENCY_MS [CERT_DAYS]]\n"      e.g. "200 150 30" (no CERT_DAYS: no certificate)
//   header lines "Name: value"; cookie lines as curl lists them (7 tab-separated fields)
//   "\n" then the body (the rest).
// Each check's steps are judged on it; the flow's second step sees what its first step extracted (or, when
// an extraction fails, a slice of the body, so templated expectations still get hostile values).
// Properties beyond "no crash, no UB, no leak": a verdict fails exactly when it has a reason and a message,
// degraded only when passed, the reason is one evaluate() may give, and a message stays short whatever the
// target sent (the messages land in logs, incidents and notifications).

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/text.h"
#include "config/config_loader.h"
#include "probe/engine/assertions.h"
#include "probe/engine/extraction.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace config = synthprobe::config;
using synthprobe::fuzz::require;

constexpr std::string_view kConfig = R"toml(
[[site]]
name = "shop"
vars = { base_url = "https://shop.example.com" }

[[check]]
name = "status"
site = "shop"
url = "${base_url}/"
expect = { status = ["2xx", 304, "4xx"] }

[[check]]
name = "body"
site = "shop"
url = "${base_url}/"
[check.expect]
status = ["1xx", "2xx", "3xx", "4xx", "5xx"]
body_contains = ["Add to cart", "<html"]
body_not_contains = ["Internal Server Error"]
body_regex = ['price">\$[0-9]+', '(?i)<title>[^<]*shop']

[[check]]
name = "headers"
site = "shop"
url = "${base_url}/"
[check.expect]
status = ["1xx", "2xx", "3xx", "4xx", "5xx"]
headers = { "content-type" = "^text/html", "Cache-Control" = "max-age=[0-9]+", "x-empty" = "^$" }

[[check]]
name = "json"
site = "shop"
url = "${base_url}/api"
[check.expect]
status = ["1xx", "2xx", "3xx", "4xx", "5xx"]
json = { "/status" = "UP", "/checks/db/ok" = true, "/replicas" = 3, "/ratio" = 0.5, "/version" = { major = 2 }, "/tags" = ["a", 1], "/a~1b/~0c" = -9223372036854775808, "" = { status = "UP" } }
json_absent = ["/errors", "/items/0/error"]

[[check]]
name = "timing"
site = "shop"
url = "${base_url}/"
[check.expect]
status = ["1xx", "2xx", "3xx", "4xx", "5xx"]
max_latency = "2s"
degraded_latency = "800ms"
cert_min_days = 14

[[flow]]
name = "checkout"
site = "shop"
[flow.expect]
status = ["1xx", "2xx", "3xx", "4xx", "5xx"]
[[flow.step]]
name = "product"
url = "${base_url}/product/42"
extract = { csrf = { regex = 'name="csrf" value="([^"]+)"' }, cart = { json = "/cart/id" }, token = { header = "X-Token" }, sid = { cookie = "session" }, whole = { json = "" } }
[[flow.step]]
name = "confirm"
url = "${base_url}/cart/${cart}"
[flow.step.expect]
body_contains = ["${csrf}", "at ${unix_ms}"]
body_not_contains = ["error ${token}"]
body_regex = ['order ${cart} (confirmed|shipped)', '${sid}|${whole}']
headers = { "x-token" = "^${token}$", "set-cookie" = "session=${sid}" }
json = { "/cart/id" = "${cart}", "/cart" = { id = "${cart}", lines = ["${csrf}", 1] } }
json_absent = ["/errors"]
)toml";

const config::Config& loaded() {
  static const config::Config config = [] {
    auto result = config::load_config_string(kConfig, synthprobe::fuzz::empty_dir() + "/assertions.toml",
                                             synthprobe::fuzz::fake_getenv);
    require(result.config.has_value(), "the fuzz config loads");
    return std::move(*result.config);
  }();
  return config;
}

struct Response {
  long status = 0;
  double seconds = 0;
  std::optional<std::int64_t> cert_days;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> cookie_lines;
  std::string_view body;
};

std::optional<long> number(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{}) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return value;
}

Response read_response(std::string_view in) {
  Response r;
  const auto line = [&in]() {
    const std::size_t nl = in.find('\n');
    const std::string_view l = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    return l;
  };
  std::string_view first = line();
  r.status = number(first).value_or(0);
  r.seconds = static_cast<double>(number(first).value_or(0)) / 1000.0;
  if (auto days = number(first)) r.cert_days = std::clamp(*days, -100'000L, 100'000L);  // what X.509 dates allow
  while (!in.empty()) {
    const std::string_view l = line();
    if (l.empty()) break;
    if (l.find('\t') != std::string_view::npos) {
      r.cookie_lines.emplace_back(l);
    } else if (const std::size_t colon = l.find(':'); colon != std::string_view::npos) {
      r.headers.emplace_back(synthprobe::text::to_lower(l.substr(0, colon)),
                             std::string(synthprobe::text::trim(l.substr(colon + 1))));
    }
  }
  r.body = in;
  return r;
}

void judge(const config::Step& step, const Response& r, std::vector<std::pair<std::string, std::string>>& vars,
           std::mt19937_64& rng) {
  constexpr std::int64_t kNow = 1'700'000'000;
  std::optional<std::int64_t> expiry;
  if (r.cert_days) expiry = kNow + *r.cert_days * 86400;
  const synthprobe::ResponseView view{r.status, r.body, &r.headers, r.seconds, expiry, kNow};
  const synthprobe::Verdict v = synthprobe::evaluate(step.request.expect, view, config::RenderInputs{&vars, 1700000000123, &rng});
  require(v.passed == !v.reason.has_value() && v.passed == v.message.empty(), "failed exactly with reason and message");
  require(!v.degraded || v.passed, "degraded only when passed");
  require(!v.failed_due_to_regex || !v.passed, "a regex failure is a failure");
  require(v.passed || *v.reason == synthprobe::Reason::status || *v.reason == synthprobe::Reason::assertion ||
              *v.reason == synthprobe::Reason::latency,
          "evaluate's reasons are status, assertion or latency");
  require(v.message.size() <= 2048, "a message stays short whatever the target sent");

  for (const auto& x : step.extract) {
    std::string why;
    const synthprobe::ExtractionSource source{r.body, &r.headers, &r.cookie_lines};
    if (auto value = synthprobe::extract(x, source, why)) {
      require(why.empty(), "no reason when extracted");
      vars.emplace_back(x.variable, std::move(*value));
    } else {
      require(!why.empty(), "a failed extraction says why");
      vars.emplace_back(x.variable, std::string(r.body.substr(0, vars.size() * 7 % 23)));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Response response = read_response(synthprobe::fuzz::as_text(data, size));
  std::mt19937_64 rng(3);
  for (const auto& check : loaded().checks) {
    std::vector<std::pair<std::string, std::string>> vars;
    for (const auto& step : check.steps) judge(step, response, vars, rng);
  }
  return 0;
}
