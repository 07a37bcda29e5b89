#include "probe/engine/result_json.h"

#include <limits>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using synthprobe::Phases;
using synthprobe::Reason;
using synthprobe::results_to_json;
using synthprobe::RunResult;
using synthprobe::StepResult;
namespace json = boost::json;

namespace {

const std::vector<std::string> kResultKeys = {
    "name",     "kind",         "site",       "area",        "success",          "degraded",
    "reason",   "message",      "failed_step", "duration_seconds", "status_code", "phases",
    "http_version", "body_bytes", "redirects", "cert_expiry_unix"};
const std::vector<std::string> kStepKeys = {"name",   "success", "reason",       "message",    "status_code",
                                            "duration_seconds", "phases", "http_version", "body_bytes", "redirects"};
const std::vector<std::string> kPhaseKeys = {"resolve", "connect", "tls", "processing", "transfer"};

std::vector<std::string> keys_of(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

RunResult passing_check() {
  RunResult r;
  r.name = "home";
  r.site = "shop";
  r.area = "storefront";
  r.success = true;
  r.duration_seconds = 0.0123;
  r.status_code = 200;
  r.phases = Phases{0.001, 0.0002, 0.005, 0.004, 0.0011};
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

RunResult failing_check() {
  RunResult r;
  r.name = "api";
  r.site = "shop";
  r.area = "api";
  r.success = false;
  r.reason = Reason::status;
  r.message = "status 503 not in [2xx]";
  r.duration_seconds = 0.05;
  r.status_code = 503;
  r.http_version = "1.1";
  r.body_bytes = 17;
  return r;
}

RunResult failed_flow() {
  RunResult r;
  r.name = "checkout";
  r.is_flow = true;
  r.site = "shop";
  r.area = "checkout";
  r.success = false;
  r.reason = Reason::status;
  r.message = "step add-to-cart: status 503 not in [2xx]";
  r.failed_step = "add-to-cart";
  r.duration_seconds = 0.184;
  r.status_code = 503;
  r.phases = Phases{0.0, 0.0002, 0.0, 0.0011, 0.0001};
  r.http_version = "1.1";
  r.body_bytes = 512;

  StepResult product;
  product.name = "product";
  product.success = true;
  product.status_code = 200;
  product.duration_seconds = 0.09;
  product.phases = Phases{0.0, 0.0001, 0.0, 0.0005, 0.0001};
  product.http_version = "1.1";
  product.body_bytes = 2048;

  StepResult add;
  add.name = "add-to-cart";
  add.success = false;
  add.reason = Reason::status;
  add.message = "status 503 not in [2xx]";
  add.status_code = 503;
  add.duration_seconds = 0.094;
  add.http_version = "1.1";
  add.body_bytes = 512;
  add.redirects = 2;

  StepResult pay;
  pay.name = "pay";  // not run: success stays nullopt

  r.steps = {product, add, pay};
  return r;
}

json::object parse_document(const std::vector<RunResult>& results) {
  const std::string text = results_to_json("eu-west-1a", "eu-west", results);
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  REQUIRE_MESSAGE(!ec, text);
  REQUIRE(doc.is_object());
  return doc.as_object();
}

void check_phases(const json::value& v, const Phases& want) {
  REQUIRE(v.is_object());
  const auto& p = v.as_object();
  CHECK(keys_of(p) == kPhaseKeys);
  for (const auto& key : kPhaseKeys) {
    CAPTURE(key);
    CHECK(p.at(key).is_double());
  }
  CHECK(p.at("resolve").as_double() == doctest::Approx(want.resolve));
  CHECK(p.at("connect").as_double() == doctest::Approx(want.connect));
  CHECK(p.at("tls").as_double() == doctest::Approx(want.tls));
  CHECK(p.at("processing").as_double() == doctest::Approx(want.processing));
  CHECK(p.at("transfer").as_double() == doctest::Approx(want.transfer));
}

}  // namespace

TEST_CASE("the document: probe, region, results") {
  const json::object doc = parse_document({passing_check(), failing_check()});
  CHECK(keys_of(doc) == std::vector<std::string>{"probe", "region", "results"});
  CHECK(doc.at("probe") == "eu-west-1a");
  CHECK(doc.at("region") == "eu-west");
  REQUIRE(doc.at("results").is_array());
  CHECK(doc.at("results").as_array().size() == 2);

  const json::object empty = parse_document({});
  CHECK(empty.at("results").as_array().empty());
}

TEST_CASE("a passing check") {
  const RunResult in = passing_check();
  const json::object doc = parse_document({in});
  const json::object& r = doc.at("results").as_array().at(0).as_object();

  CHECK(keys_of(r) == kResultKeys);  // no "steps" for a check
  CHECK(r.at("name") == "home");
  CHECK(r.at("kind") == "check");
  CHECK(r.at("site") == "shop");
  CHECK(r.at("area") == "storefront");
  CHECK(r.at("success") == true);
  CHECK(r.at("degraded") == false);
  CHECK(r.at("reason").is_null());
  CHECK(r.at("message").is_null());
  CHECK(r.at("failed_step").is_null());
  REQUIRE(r.at("duration_seconds").is_double());
  CHECK(r.at("duration_seconds").as_double() == doctest::Approx(0.0123));
  CHECK(r.at("status_code").to_number<int>() == 200);
  check_phases(r.at("phases"), in.phases);
  CHECK(r.at("http_version") == "2");
  CHECK(r.at("body_bytes").to_number<int>() == 5120);
  CHECK(r.at("redirects").to_number<int>() == 1);
  CHECK(r.at("cert_expiry_unix").to_number<std::int64_t>() == 1'800'000'000);
}

TEST_CASE("a failing check") {
  const RunResult in = failing_check();
  const json::object doc = parse_document({in});
  const json::object& r = doc.at("results").as_array().at(0).as_object();

  CHECK(keys_of(r) == kResultKeys);
  CHECK(r.at("success") == false);
  CHECK(r.at("degraded") == false);
  CHECK(r.at("reason") == "status");
  CHECK(r.at("message") == "status 503 not in [2xx]");
  CHECK(r.at("failed_step").is_null());
  CHECK(r.at("status_code").to_number<int>() == 503);
  check_phases(r.at("phases"), Phases{});
  CHECK(r.at("http_version") == "1.1");
  CHECK(r.at("body_bytes").to_number<int>() == 17);
  CHECK(r.at("redirects").to_number<int>() == 0);
  CHECK(r.at("cert_expiry_unix").is_null());
}

TEST_CASE("a check without a response: http_version null, status 0") {
  RunResult in = failing_check();
  in.reason = Reason::dns;
  in.message = "could not resolve host shop.example.com";
  in.status_code = 0;
  in.http_version = {};
  in.body_bytes = 0;
  const json::object doc = parse_document({in});
  const json::object& r = doc.at("results").as_array().at(0).as_object();
  CHECK(r.at("reason") == "dns");
  CHECK(r.at("status_code").to_number<int>() == 0);
  CHECK(r.at("http_version").is_null());
}

TEST_CASE("a degraded check passed: no reason or message") {
  RunResult in = passing_check();
  in.degraded = true;
  const json::object doc = parse_document({in});
  const json::object& r = doc.at("results").as_array().at(0).as_object();
  CHECK(r.at("success") == true);
  CHECK(r.at("degraded") == true);
  CHECK(r.at("reason").is_null());
  CHECK(r.at("message").is_null());
}

TEST_CASE("a failed flow with a step not run") {
  const RunResult in = failed_flow();
  const json::object doc = parse_document({in});
  const json::object& r = doc.at("results").as_array().at(0).as_object();

  std::vector<std::string> keys = kResultKeys;
  keys.push_back("steps");
  CHECK(keys_of(r) == keys);
  CHECK(r.at("kind") == "flow");
  CHECK(r.at("success") == false);
  CHECK(r.at("reason") == "status");
  CHECK(r.at("message") == "step add-to-cart: status 503 not in [2xx]");
  CHECK(r.at("failed_step") == "add-to-cart");
  CHECK(r.at("duration_seconds").as_double() == doctest::Approx(0.184));
  CHECK(r.at("status_code").to_number<int>() == 503);
  check_phases(r.at("phases"), in.phases);

  const json::array& steps = r.at("steps").as_array();
  REQUIRE(steps.size() == 3);
  for (const auto& s : steps) CHECK(keys_of(s.as_object()) == kStepKeys);

  const json::object& product = steps[0].as_object();
  CHECK(product.at("name") == "product");
  CHECK(product.at("success") == true);
  CHECK(product.at("reason").is_null());
  CHECK(product.at("message").is_null());
  CHECK(product.at("status_code").to_number<int>() == 200);
  CHECK(product.at("duration_seconds").as_double() == doctest::Approx(0.09));
  check_phases(product.at("phases"), in.steps[0].phases);
  CHECK(product.at("http_version") == "1.1");
  CHECK(product.at("body_bytes").to_number<int>() == 2048);
  CHECK(product.at("redirects").to_number<int>() == 0);

  const json::object& add = steps[1].as_object();
  CHECK(add.at("name") == "add-to-cart");
  CHECK(add.at("success") == false);
  CHECK(add.at("reason") == "status");
  CHECK(add.at("message") == "status 503 not in [2xx]");
  CHECK(add.at("status_code").to_number<int>() == 503);
  CHECK(add.at("redirects").to_number<int>() == 2);

  const json::object& pay = steps[2].as_object();
  CHECK(pay.at("name") == "pay");
  CHECK(pay.at("success").is_null());
  CHECK(pay.at("reason").is_null());
  CHECK(pay.at("message").is_null());
  CHECK(pay.at("status_code").to_number<int>() == 0);
  CHECK(pay.at("http_version").is_null());
}

TEST_CASE("a passing flow has no failed_step") {
  RunResult in = failed_flow();
  in.success = true;
  in.reason.reset();
  in.message.clear();
  in.failed_step = "stale";  // ignored once the run passed
  const json::object doc = parse_document({in});
  const json::object& r = doc.at("results").as_array().at(0).as_object();
  CHECK(r.at("failed_step").is_null());
  CHECK(r.at("reason").is_null());
  CHECK(r.at("message").is_null());
}

TEST_CASE("seconds print as plain decimals rounded to the microsecond") {
  RunResult in = failed_flow();
  in.duration_seconds = 0.1 + 0.2;  // 0.30000000000000004
  const std::string text = results_to_json("p", "r", {in});
  CHECK(text.find(R"("duration_seconds":0.3,)") != std::string::npos);
  CHECK(text.find(R"("resolve":0.0,)") != std::string::npos);
  CHECK(text.find(R"("connect":0.0002,)") != std::string::npos);
  CHECK(text.find('E') == std::string::npos);
}

TEST_CASE("strings are escaped") {
  RunResult in = failing_check();
  in.message = "body does not contain \"Add to cart\"\n\t\\";
  const json::object doc = parse_document({in});
  CHECK(doc.at("results").as_array().at(0).at("message") == "body does not contain \"Add to cart\"\n\t\\");
}

TEST_CASE("result_to_json is the same object the document holds") {
  const RunResult in = failed_flow();
  const json::object doc = parse_document({in});
  CHECK(json::parse(synthprobe::serialize_json(synthprobe::result_to_json(in))) ==
        doc.at("results").as_array().at(0));
}

TEST_CASE("serialize_json: doubles stay doubles, non-finite becomes null") {
  json::object o;
  o["zero"] = 0.0;
  o["int"] = 3;
  o["big"] = 1e300;
  o["tiny"] = 1e-7;
  o["nan"] = std::numeric_limits<double>::quiet_NaN();
  o["list"] = json::array{1.5, nullptr, true, "x"};
  const std::string text = synthprobe::serialize_json(o);
  const json::value back = json::parse(text);
  CHECK(back.at("zero").is_double());
  CHECK(back.at("int").is_int64());
  CHECK(back.at("big").as_double() == doctest::Approx(1e300));
  CHECK(back.at("tiny").as_double() == doctest::Approx(1e-7));
  CHECK(back.at("nan").is_null());
  CHECK(back.at("list") == json::array{1.5, nullptr, true, "x"});
}
