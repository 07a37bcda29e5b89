#include "probe/engine/assertions.h"

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>
#include <re2/re2.h>

using namespace std::chrono_literals;
namespace cfg = synthprobe::config;
using synthprobe::evaluate;
using synthprobe::Reason;
using synthprobe::ResponseView;
using synthprobe::Verdict;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kDay = 86400;

cfg::CompiledRegex rx(const std::string& pattern) {
  auto re = std::make_shared<const re2::RE2>(pattern);
  REQUIRE(re->ok());
  return {pattern, re};
}

std::vector<cfg::TemplateString> texts(std::initializer_list<std::string> list) {
  std::vector<cfg::TemplateString> out;
  for (const auto& t : list) out.push_back(cfg::TemplateString::literal(t));
  return out;
}

cfg::StatusMatcher status_class(std::string_view text) { return cfg::StatusMatcher::from_class(text).value(); }
cfg::StatusMatcher status_code(long code) { return cfg::StatusMatcher::from_code(code).value(); }

cfg::Expect default_expect() {
  cfg::Expect e;
  e.status = {status_class("2xx")};
  return e;
}

cfg::JsonExpectation json_is(std::string pointer, std::string_view value_json) {
  return {std::move(pointer), boost::json::parse(value_json)};
}

// A 200 response that passes the default expectations; tests change what they are about.
struct Response {
  long status = 200;
  std::string body = "<html>ok</html>";
  Headers headers = {{"content-type", "text/html; charset=utf-8"}};
  double total_seconds = 0.1;
  std::optional<std::int64_t> cert_expiry_unix;

  ResponseView view() const {
    return ResponseView{status, body, &headers, total_seconds, cert_expiry_unix, kNow};
  }
};

Verdict run(const cfg::Expect& e, const Response& r) { return evaluate(e, r.view()); }

// What an earlier flow step extracted, as a run passes it.
using Vars = std::vector<std::pair<std::string, std::string>>;

Verdict run(const cfg::Expect& e, const Response& r, const Vars& vars) {
  return evaluate(e, r.view(), cfg::RenderInputs{&vars, 1'700'000'000'123, nullptr});
}

// An expectation as the loader leaves it when it uses `code`, which an earlier step extracts.
cfg::TemplateString with_code(std::string_view text, cfg::TemplateContext context = cfg::TemplateContext::raw) {
  static const std::set<std::string> kExtracted{"code"};
  cfg::TemplateEnv env;
  env.runtime_vars = &kExtracted;
  cfg::TemplateString::ParseError error{};
  auto t = cfg::TemplateString::parse(text, context, env, error);
  REQUIRE_MESSAGE(t, error.message);
  return *t;
}

cfg::CompiledRegex rx_with_code(std::string_view pattern) {
  return {std::string(pattern), nullptr, with_code(pattern, cfg::TemplateContext::regex)};
}

void check_fails(const Verdict& v, Reason reason, const std::string& message) {
  CHECK_FALSE(v.passed);
  REQUIRE(v.reason.has_value());
  CHECK(*v.reason == reason);
  CHECK(v.message == message);
  CHECK_FALSE(v.degraded);
}

void check_passes(const Verdict& v) {
  CHECK(v.passed);
  CHECK_FALSE(v.reason.has_value());
  CHECK(v.message.empty());
  CHECK_FALSE(v.failed_due_to_regex);
}

}  // namespace

TEST_CASE("status: classes and exact codes") {
  cfg::Expect e;
  e.status = {status_class("2xx"), status_code(304)};
  Response r;
  for (long code : {200L, 204L, 299L, 304L}) {
    r.status = code;
    CAPTURE(code);
    check_passes(run(e, r));
  }
  r.status = 301;
  check_fails(run(e, r), Reason::status, "status 301 not in [2xx, 304]");
  r.status = 503;
  check_fails(run(e, r), Reason::status, "status 503 not in [2xx, 304]");

  e.status = {status_class("5xx")};
  r.status = 503;
  check_passes(run(e, r));
  r.status = 200;
  check_fails(run(e, r), Reason::status, "status 200 not in [5xx]");
}

TEST_CASE("status: an empty list means the default 2xx") {
  cfg::Expect e;
  Response r;
  check_passes(run(e, r));
  r.status = 503;
  const Verdict v = run(e, r);
  check_fails(v, Reason::status, "status 503 not in [2xx]");
  CHECK_FALSE(v.failed_due_to_regex);
}

TEST_CASE("body_contains") {
  cfg::Expect e = default_expect();
  e.body_contains = texts({"Add to cart", "price"});
  Response r;
  r.body = "<button>Add to cart</button><span>price</span>";
  check_passes(run(e, r));

  r.body = "<span>price</span>";
  const Verdict v = run(e, r);
  check_fails(v, Reason::assertion, R"(body does not contain "Add to cart")");
  CHECK(v.failed_due_to_regex);
}

TEST_CASE("body_not_contains") {
  cfg::Expect e = default_expect();
  e.body_not_contains = texts({"Internal Server Error"});
  Response r;
  check_passes(run(e, r));

  r.body = "<h1>Internal Server Error</h1>";
  const Verdict v = run(e, r);
  check_fails(v, Reason::assertion, R"(body contains "Internal Server Error")");
  CHECK(v.failed_due_to_regex);
}

TEST_CASE("body_regex searches anywhere in the body") {
  cfg::Expect e = default_expect();
  e.body_regex = {rx(R"(price">\$[0-9]+)")};
  Response r;
  r.body = "<p>\n<span class=\"price\">$42</span></p>";
  check_passes(run(e, r));

  r.body = "<span class=\"price\">sold out</span>";
  const Verdict v = run(e, r);
  check_fails(v, Reason::assertion, R"(body does not match /price">\$[0-9]+/)");
  CHECK(v.failed_due_to_regex);
}

TEST_CASE("body_regex message escapes slashes once") {
  cfg::Expect e = default_expect();
  e.body_regex = {rx(R"(</html>)"), rx(R"(a\/b)")};
  Response r;
  r.body = "no end";
  check_fails(run(e, r), Reason::assertion, R"(body does not match /<\/html>/)");
  r.body = "</html>";
  check_fails(run(e, r), Reason::assertion, R"(body does not match /a\/b/)");
}

TEST_CASE("headers: regex on the value, missing header, repeated headers") {
  cfg::Expect e = default_expect();
  e.headers = {{"content-type", rx("^text/html")}};
  Response r;
  check_passes(run(e, r));

  r.headers = {{"content-type", "application/json"}};
  Verdict v = run(e, r);
  check_fails(v, Reason::assertion, R"(header content-type "application/json" does not match /^text\/html/)");
  CHECK(v.failed_due_to_regex);

  r.headers = {{"server", "nginx"}};
  check_fails(run(e, r), Reason::assertion, "header content-type missing");

  r.headers = {};
  check_fails(run(e, r), Reason::assertion, "header content-type missing");

  SUBCASE("no header list at all is a missing header") {
    ResponseView view = r.view();
    view.headers = nullptr;
    check_fails(evaluate(e, view), Reason::assertion, "header content-type missing");
  }

  SUBCASE("several headers of one name pass when any matches; the message quotes the first") {
    e.headers = {{"set-cookie", rx("^session=")}};
    r.headers = {{"set-cookie", "lang=en"}, {"set-cookie", "session=abc"}};
    check_passes(run(e, r));
    r.headers = {{"set-cookie", "lang=en"}, {"set-cookie", "theme=dark"}};
    check_fails(run(e, r), Reason::assertion, R"(header set-cookie "lang=en" does not match /^session=/)");
  }
}

TEST_CASE("headers: names match whatever their case") {
  cfg::Expect e = default_expect();
  e.headers = {{"x-cache", rx("HIT")}};
  Response r;
  r.headers = {{"X-Cache", "HIT from edge"}};
  check_passes(run(e, r));
}

TEST_CASE("JSON: values are type-strict") {
  cfg::Expect e = default_expect();
  Response r;
  r.body = R"({"status":"UP","items":3,"price":19.5,"ok":true,"none":null,"big":18446744073709551615,
              "nested":{"list":[1,{"a":"b"}],"empty":[]}})";

  SUBCASE("matching scalars, nested pointers and containers") {
    e.json = {json_is("/status", R"("UP")"),
              json_is("/items", "3"),
              json_is("/items", "3.0"),
              json_is("/price", "19.5"),
              json_is("/ok", "true"),
              json_is("/none", "null"),
              json_is("/big", "18446744073709551615"),
              json_is("/nested/list/0", "1"),
              json_is("/nested/list/1/a", R"("b")"),
              json_is("/nested/list", R"([1, {"a": "b"}])"),
              json_is("/nested", R"({"empty": [], "list": [1.0, {"a": "b"}]})"),
              json_is("/nested/empty", "[]")};
    check_passes(run(e, r));
  }
  SUBCASE("a string is not a number") {
    e.json = {json_is("/items", R"("3")")};
    const Verdict v = run(e, r);
    check_fails(v, Reason::assertion, R"(JSON /items is 3, expected "3")");
    CHECK_FALSE(v.failed_due_to_regex);
  }
  SUBCASE("a number is not a string") {
    r.body = R"({"items":"3"})";
    e.json = {json_is("/items", "3")};
    check_fails(run(e, r), Reason::assertion, R"(JSON /items is "3", expected 3)");
  }
  SUBCASE("a wrong string") {
    r.body = R"({"status":"DOWN"})";
    e.json = {json_is("/status", R"("UP")")};
    check_fails(run(e, r), Reason::assertion, R"(JSON /status is "DOWN", expected "UP")");
  }
  SUBCASE("true is not 1, null is not false") {
    e.json = {json_is("/ok", "1")};
    check_fails(run(e, r), Reason::assertion, "JSON /ok is true, expected 1");
    e.json = {json_is("/none", "false")};
    check_fails(run(e, r), Reason::assertion, "JSON /none is null, expected false");
  }
  SUBCASE("a fraction is not an integer; doubles read as written") {
    e.json = {json_is("/price", "19")};
    check_fails(run(e, r), Reason::assertion, "JSON /price is 19.5, expected 19");
    e.json = {json_is("/items", "3.5")};
    check_fails(run(e, r), Reason::assertion, "JSON /items is 3, expected 3.5");
    r.body = R"({"items":4.0})";
    e.json = {json_is("/items", "3")};
    check_fails(run(e, r), Reason::assertion, "JSON /items is 4.0, expected 3");
  }
  SUBCASE("integers beyond double precision compare exactly") {
    r.body = R"({"id":9007199254740993})";
    e.json = {json_is("/id", "9007199254740992.0")};
    CHECK_FALSE(run(e, r).passed);
    e.json = {json_is("/id", "9007199254740993")};
    check_passes(run(e, r));
  }
  SUBCASE("arrays compare in order and by length") {
    e.json = {json_is("/nested/list", R"([{"a": "b"}, 1])")};
    CHECK_FALSE(run(e, r).passed);
    e.json = {json_is("/nested/list", "[1]")};
    CHECK_FALSE(run(e, r).passed);
    e.json = {json_is("/nested/list", R"([1, {"a": "c"}])")};
    check_fails(run(e, r), Reason::assertion, R"(JSON /nested/list is [1,{"a":"b"}], expected [1,{"a":"c"}])");
  }
  SUBCASE("objects compare by keys, not order, and extra keys differ") {
    e.json = {json_is("/nested", R"({"list": [1, {"a": "b"}]})")};
    CHECK_FALSE(run(e, r).passed);
  }
  SUBCASE("a missing pointer") {
    e.json = {json_is("/health/status", R"("UP")")};
    check_fails(run(e, r), Reason::assertion, "JSON /health/status missing");
    e.json = {json_is("/nested/list/7", "1")};
    check_fails(run(e, r), Reason::assertion, "JSON /nested/list/7 missing");
  }
  SUBCASE("the first failing expectation is reported") {
    e.json = {json_is("/status", R"("UP")"), json_is("/items", "4"), json_is("/ok", "false")};
    check_fails(run(e, r), Reason::assertion, "JSON /items is 3, expected 4");
  }
}

TEST_CASE("JSON: a body that is not JSON") {
  cfg::Expect e = default_expect();
  e.json = {json_is("/status", R"("UP")")};
  Response r;
  r.body = "<html>maintenance</html>";
  const Verdict v = run(e, r);
  CHECK_FALSE(v.passed);
  CHECK(v.reason == Reason::assertion);
  CHECK(v.message.rfind("body is not JSON: ", 0) == 0);
  CHECK(v.message.size() > std::string("body is not JSON: ").size());

  SUBCASE("json_absent alone also needs JSON") {
    e.json.clear();
    e.json_absent = {"/errors"};
    CHECK(run(e, r).message.rfind("body is not JSON: ", 0) == 0);
  }
  SUBCASE("a body is not parsed without JSON expectations") {
    e.json.clear();
    check_passes(run(e, r));
  }
}

TEST_CASE("json_absent") {
  cfg::Expect e = default_expect();
  e.json_absent = {"/errors", "/data/0/error"};
  Response r;
  r.body = R"({"data":[{"id":1}]})";
  check_passes(run(e, r));

  r.body = R"({"data":[{"id":1}],"errors":[]})";
  check_fails(run(e, r), Reason::assertion, "JSON /errors present");

  r.body = R"({"data":[{"error":null}]})";
  check_fails(run(e, r), Reason::assertion, "JSON /data/0/error present");
}

TEST_CASE("cert_min_days") {
  cfg::Expect e = default_expect();
  e.cert_min_days = 14;
  Response r;

  r.cert_expiry_unix = kNow + 30 * kDay;
  check_passes(run(e, r));
  r.cert_expiry_unix = kNow + 14 * kDay;
  check_passes(run(e, r));

  r.cert_expiry_unix = kNow + 14 * kDay - 1;
  check_fails(run(e, r), Reason::assertion, "certificate expires in 13 days (< 14)");
  r.cert_expiry_unix = kNow + 3 * kDay + 100;
  check_fails(run(e, r), Reason::assertion, "certificate expires in 3 days (< 14)");
  r.cert_expiry_unix = kNow + kDay;
  check_fails(run(e, r), Reason::assertion, "certificate expires in 1 day (< 14)");
  r.cert_expiry_unix = kNow - 5;
  check_fails(run(e, r), Reason::assertion, "certificate has expired");

  r.cert_expiry_unix.reset();
  const Verdict v = run(e, r);
  check_fails(v, Reason::assertion, "no certificate to check cert_min_days");
  CHECK_FALSE(v.failed_due_to_regex);

  SUBCASE("without cert_min_days the certificate is not judged") {
    e.cert_min_days.reset();
    r.cert_expiry_unix = kNow - kDay;
    check_passes(run(e, r));
  }
}

TEST_CASE("max_latency fails, degraded_latency only marks") {
  cfg::Expect e = default_expect();
  e.max_latency = 2s;
  e.degraded_latency = 800ms;
  Response r;

  r.total_seconds = 0.5;
  Verdict v = run(e, r);
  check_passes(v);
  CHECK_FALSE(v.degraded);

  r.total_seconds = 0.8;  // at the limit is not over it
  CHECK_FALSE(run(e, r).degraded);

  r.total_seconds = 0.9;
  v = run(e, r);
  check_passes(v);
  CHECK(v.degraded);

  r.total_seconds = 2.0;
  v = run(e, r);
  CHECK(v.passed);
  CHECK(v.degraded);

  r.total_seconds = 2.31;
  v = run(e, r);
  check_fails(v, Reason::latency, "took 2.310s, max_latency 2s");
  CHECK_FALSE(v.failed_due_to_regex);

  SUBCASE("sub-second limits print in ms") {
    e.max_latency = 250ms;
    r.total_seconds = 0.3;
    check_fails(run(e, r), Reason::latency, "took 0.300s, max_latency 250ms");
  }
}

TEST_CASE("a failed response is never degraded") {
  cfg::Expect e = default_expect();
  e.degraded_latency = 100ms;
  Response r;
  r.status = 500;
  r.total_seconds = 5;
  const Verdict v = run(e, r);
  CHECK_FALSE(v.passed);
  CHECK_FALSE(v.degraded);
}

TEST_CASE("when several fail, the first in order wins: status, body, headers, JSON, certificate, latency") {
  cfg::Expect e = default_expect();
  e.body_contains = texts({"Add to cart"});
  e.headers = {{"content-type", rx("^application/json")}};
  e.json = {json_is("/status", R"("UP")")};
  e.cert_min_days = 14;
  e.max_latency = 1s;

  Response r;
  r.status = 503;
  r.body = R"({"status":"DOWN"})";
  r.headers = {{"content-type", "text/html"}};
  r.total_seconds = 3;
  r.cert_expiry_unix = kNow + kDay * 2;

  check_fails(run(e, r), Reason::status, "status 503 not in [2xx]");
  r.status = 200;
  check_fails(run(e, r), Reason::assertion, R"(body does not contain "Add to cart")");
  r.body = R"({"status":"DOWN","label":"Add to cart"})";
  check_fails(run(e, r), Reason::assertion,
              R"(header content-type "text/html" does not match /^application\/json/)");
  r.headers = {{"content-type", "application/json"}};
  check_fails(run(e, r), Reason::assertion, R"(JSON /status is "DOWN", expected "UP")");
  r.body = R"({"status":"UP","label":"Add to cart"})";
  check_fails(run(e, r), Reason::assertion, "certificate expires in 2 days (< 14)");
  r.cert_expiry_unix = kNow + kDay * 90;
  check_fails(run(e, r), Reason::latency, "took 3.000s, max_latency 1s");
  r.total_seconds = 0.2;
  check_passes(run(e, r));
}

TEST_CASE("body checks run in order: contains, not contains, regex") {
  cfg::Expect e = default_expect();
  e.body_contains = texts({"needle"});
  e.body_not_contains = texts({"error"});
  e.body_regex = {rx("^ok")};
  Response r;
  r.body = "error";
  check_fails(run(e, r), Reason::assertion, R"(body does not contain "needle")");
  r.body = "error needle";
  check_fails(run(e, r), Reason::assertion, R"(body contains "error")");
  r.body = "a needle";
  check_fails(run(e, r), Reason::assertion, "body does not match /^ok/");
  r.body = "ok needle";
  check_passes(run(e, r));
}

TEST_CASE("long target text is truncated in messages") {
  cfg::Expect e = default_expect();
  e.headers = {{"x-long", rx("^short$")}};
  Response r;
  r.headers = {{"x-long", std::string(10000, 'a')}};
  const Verdict v = run(e, r);
  CHECK_FALSE(v.passed);
  CHECK(v.message.size() < 300);
  CHECK(v.message.find("...\"") != std::string::npos);
}

TEST_CASE("body_contains and body_not_contains render the run's values; messages show them rendered") {
  cfg::Expect e = default_expect();
  e.body_contains = {with_code("order ${code} confirmed")};
  e.body_not_contains = {with_code("order ${code} cancelled")};
  Response r;
  r.body = "<p>order KRD2WQX1G4S3Y8LH confirmed</p>";
  check_passes(run(e, r, {{"code", "KRD2WQX1G4S3Y8LH"}}));
  check_fails(run(e, r, {{"code", "OTHER"}}), Reason::assertion, R"(body does not contain "order OTHER confirmed")");
  r.body += "<p>order KRD2WQX1G4S3Y8LH cancelled</p>";
  check_fails(run(e, r, {{"code", "KRD2WQX1G4S3Y8LH"}}), Reason::assertion,
              R"(body contains "order KRD2WQX1G4S3Y8LH cancelled")");
}

TEST_CASE("built-ins render too: ${unix_ms} is the run's") {
  cfg::Expect e = default_expect();
  e.body_contains = {with_code("t=${unix_ms}")};
  Response r;
  r.body = "t=1700000000123";
  check_passes(run(e, r, {}));
}

TEST_CASE("body_regex and header patterns match an inserted value literally") {
  cfg::Expect e = default_expect();
  e.body_regex = {rx_with_code("id=${code};")};
  e.headers = {{"x-order", rx_with_code("^${code}$")}};
  const Vars vars{{"code", "a.b(c)+"}};
  Response r;
  r.body = "id=a.b(c)+;";
  r.headers = {{"x-order", "a.b(c)+"}};
  check_passes(run(e, r, vars));

  // "." and "+" are not operators in an inserted value: only the value itself matches.
  r.body = "id=aXb(c);";
  check_fails(run(e, r, vars), Reason::assertion, R"(body does not match /id=a\.b\(c\)\+;/)");
  r.body = "id=a.b(c)+;";
  r.headers = {{"x-order", "aXb(c)"}};
  const Verdict v = run(e, r, vars);
  check_fails(v, Reason::assertion, R"x(header x-order "aXb(c)" does not match /^a\.b\(c\)\+$/)x");
  CHECK(v.failed_due_to_regex);
}

TEST_CASE("a pattern whose rendering is not a valid regex fails the response with RE2's reason") {
  cfg::Expect e = default_expect();
  e.body_regex = {rx_with_code("${code}*")};
  Response r;
  r.body = "xxx";
  check_passes(run(e, r, {{"code", "x"}}));
  // Empty, the value leaves a repetition with nothing to repeat.
  check_fails(run(e, r, {{"code", ""}}), Reason::assertion,
              "body_regex /*/ is not a valid regex: no argument for repetition operator: *");
  e.body_regex.clear();
  e.headers = {{"x-order", rx_with_code("${code}+")}};
  r.headers = {{"x-order", "x"}};
  check_fails(run(e, r, {{"code", ""}}), Reason::assertion,
              "header x-order pattern /+/ is not a valid regex: no argument for repetition operator: +");
}

TEST_CASE("JSON values render the run's values, at any depth, and stay type-strict") {
  cfg::Expect e = default_expect();
  cfg::JsonExpectation code = json_is("/data/orderByCode/code", R"("")");
  code.templates = {{"", with_code("${code}")}};
  cfg::JsonExpectation tags = json_is("/data/orderByCode/tags", R"(["fixed", ""])");
  tags.templates = {{"/1", with_code("tag-${code}")}};
  e.json = {code, tags};
  Response r;
  r.body = R"({"data":{"orderByCode":{"code":"KRD2WQX1G4S3Y8LH","tags":["fixed","tag-KRD2WQX1G4S3Y8LH"]}}})";
  check_passes(run(e, r, {{"code", "KRD2WQX1G4S3Y8LH"}}));
  check_fails(run(e, r, {{"code", "OTHER"}}), Reason::assertion,
              R"(JSON /data/orderByCode/code is "KRD2WQX1G4S3Y8LH", expected "OTHER")");
  e.json = {tags};
  check_fails(run(e, r, {{"code", "OTHER"}}), Reason::assertion,
              R"(JSON /data/orderByCode/tags is ["fixed","tag-KRD2WQX1G4S3Y8LH"], expected ["fixed","tag-OTHER"])");
  // A rendered value is a string: it never equals a number, however it reads.
  r.body = R"({"data":{"orderByCode":{"code":42}}})";
  e.json = {code};
  check_fails(run(e, r, {{"code", "42"}}), Reason::assertion, R"(JSON /data/orderByCode/code is 42, expected "42")");
}
