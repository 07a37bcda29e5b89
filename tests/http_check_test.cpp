// The engine against real HTTP servers on 127.0.0.1: one case per failure reason, the request
// settings as a server sees them, and the measurements a user reads.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "config/config_loader.h"
#include "probe/engine/check_runner.h"
#include "probe/engine/curl_multi.h"
#include "tests/support/check_builder.h"
#include "tests/support/scripted_server.h"
#include "tests/support/test_server.h"

using namespace synthprobe;
using namespace synthprobe::testing;
using Action = TestResponse::Action;

namespace {

// A constant header's value as the config holds it.
std::string header_text(const config::RequestSettings& s, std::string_view name) {
  for (const auto& h : s.headers)
    if (h.name == name) return h.value.constant_text();
  return "<absent>";
}

TestServer::Handler always(TestResponse r) {
  return [r](const TestRequest&) { return r; };
}

TestResponse ok(std::string body = "hello") {
  TestResponse r;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "text/html; charset=utf-8"}};
  return r;
}

// A server that answers 200 to everything and keeps the requests it saw (read them once runs are over).
struct Recorder {
  std::mutex mu;
  std::vector<TestRequest> seen;
  TestServer server{[this](const TestRequest& req) {
    std::lock_guard lock(mu);
    seen.push_back(req);
    return ok();
  }};
};

}  // namespace

TEST_CASE("a passing check reports status, phases, version and size") {
  TestServer server(always(ok("<html>Add to cart</html>")));
  RunResult r = run_check(make_check(server.url("/")));
  CHECK(r.success);
  CHECK_FALSE(r.reason.has_value());
  CHECK(r.message.empty());
  CHECK(r.status_code == 200);
  CHECK(r.http_version == "1.1");
  CHECK(r.body_bytes == 24);
  CHECK(r.redirects == 0);
  CHECK_FALSE(r.tls_used);
  CHECK_FALSE(r.cert_expiry_unix.has_value());
  CHECK(r.phases.tls == 0.0);
  CHECK(r.phases.connect > 0.0);
  CHECK(r.phases.processing > 0.0);
  CHECK(r.duration_seconds > 0.0);
  CHECK(r.duration_seconds < 5.0);
}

TEST_CASE("dns: a name that does not resolve") {
  auto c = make_check("http://synthprobe-test.invalid/");
  c.settings.timeout = std::chrono::seconds(8);
  RunResult r = run_check(c);
  CHECK_FALSE(r.success);
  REQUIRE(r.reason.has_value());
  CHECK(*r.reason == Reason::dns);
  CHECK(r.message.find("synthprobe-test.invalid") != std::string::npos);
}

TEST_CASE("connect: nothing listens on the port") {
  RunResult r = run_check(make_check("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  CHECK_FALSE(r.success);
  CHECK(r.reason == Reason::connect);
  CHECK(r.status_code == 0);
  CHECK_FALSE(r.message.empty());
}

TEST_CASE("timeout: the server accepts and never answers; the run ends at its timeout") {
  TestResponse hang;
  hang.action = Action::hang;
  TestServer server(always(hang));
  auto c = make_check(server.url("/"));
  c.settings.timeout = std::chrono::milliseconds(400);
  RunResult r = run_check(c);
  CHECK(r.reason == Reason::timeout);
  CHECK(r.duration_seconds >= 0.35);
  CHECK(r.duration_seconds < 3.0);
}

TEST_CASE("timeout bounds the whole run, retries included") {
  TestResponse hang;
  hang.action = Action::hang;
  TestServer server(always(hang));
  auto c = make_check(server.url("/"));
  c.settings.timeout = std::chrono::milliseconds(500);
  c.settings.retries = 5;
  RunResult r = run_check(c);
  CHECK(r.reason == Reason::timeout);
  CHECK(r.duration_seconds < 3.0);
}

TEST_CASE("protocol: garbage instead of HTTP") {
  TestResponse garbage;
  garbage.action = Action::garbage;
  garbage.body = "\x01\x02 this is not http at all\r\n\r\n";
  TestServer server(always(garbage));
  RunResult r = run_check(make_check(server.url("/")));
  CHECK(r.reason == Reason::protocol);
}

TEST_CASE("protocol: connection reset in the middle of the body") {
  TestResponse reset = ok(std::string(64 * 1024, 'x'));
  reset.action = Action::reset_mid_body;
  TestServer server(always(reset));
  RunResult r = run_check(make_check(server.url("/")));
  CHECK(r.reason == Reason::protocol);
  CHECK(r.status_code == 200);  // the head arrived; the body did not
}

TEST_CASE("protocol: a redirect loop exceeds max_redirects") {
  TestServer server([](const TestRequest&) {
    TestResponse r;
    r.status = 302;
    r.headers = {{"Location", "/loop"}};
    return r;
  });
  auto c = make_check(server.url("/loop"));
  c.settings.max_redirects = 3;
  RunResult r = run_check(c);
  CHECK(r.reason == Reason::protocol);
  CHECK(r.message.find("redirect") != std::string::npos);
}

TEST_CASE("protocol: a redirect to another scheme says where it went") {
  TestServer server([](const TestRequest&) {
    TestResponse r;
    r.status = 302;
    r.headers = {{"Location", "ftp://127.0.0.1/file"}};
    return r;
  });
  RunResult r = run_check(make_check(server.url("/")));
  CHECK(r.reason == Reason::protocol);
  CHECK(r.message == "redirect to ftp://127.0.0.1/file refused: only http and https are followed");
}

TEST_CASE("protocol: an HTTP/0.9 answer (no status line) is not mistaken for a redirect") {
  SUBCASE("on the first request") {
    ScriptedServer server({Move::read_request(), Move::send("just some bytes, no status line\n")});
    RunResult r = run_check(make_check(server.url("/")));
    CHECK(r.reason == Reason::protocol);
    CHECK(r.message == "the server answered without a valid status line (HTTP/0.9 or not HTTP)");
  }
  SUBCASE("after a redirect to http") {
    ScriptedServer target({Move::read_request(), Move::send("just some bytes, no status line\n")});
    TestServer server([&](const TestRequest&) {
      TestResponse r;
      r.status = 302;
      r.headers = {{"Location", target.url("/")}};
      return r;
    });
    RunResult r = run_check(make_check(server.url("/")));
    CHECK(r.reason == Reason::protocol);
    CHECK(r.message == "the server answered without a valid status line (HTTP/0.9 or not HTTP)");
  }
}

TEST_CASE("protocol: a body over max_body_bytes aborts the transfer") {
  SUBCASE("with Content-Length") {
    TestServer server(always(ok(std::string(100000, 'x'))));
    auto c = make_check(server.url("/"));
    c.settings.max_body_bytes = 1024;
    RunResult r = run_check(c);
    CHECK(r.reason == Reason::protocol);
    CHECK(r.message.find("max_body_bytes") != std::string::npos);
  }
}

TEST_CASE("status: an unexpected code, with the default 2xx") {
  TestResponse r503 = ok("down");
  r503.status = 503;
  TestServer server(always(r503));
  RunResult r = run_check(make_check(server.url("/")));
  CHECK(r.reason == Reason::status);
  CHECK(r.message == "status 503 not in [2xx]");
  CHECK(r.status_code == 503);
}

TEST_CASE("redirects are followed and counted; without following, the 3xx is judged") {
  TestServer server([](const TestRequest& req) {
    if (req.target == "/old") {
      TestResponse r;
      r.status = 301;
      r.headers = {{"Location", "/new"}};
      return r;
    }
    return ok("new page");
  });
  RunResult followed = run_check(make_check(server.url("/old")));
  CHECK(followed.success);
  CHECK(followed.redirects == 1);
  CHECK(followed.status_code == 200);

  auto c = make_check(server.url("/old"));
  c.settings.follow_redirects = false;
  RunResult kept = run_check(c);
  CHECK(kept.reason == Reason::status);
  CHECK(kept.status_code == 301);
  c.settings.expect.status = {*config::StatusMatcher::from_code(301)};
  CHECK(run_check(c).success);
}

TEST_CASE("assertion: body, header and JSON expectations on a real response") {
  TestResponse json = ok(R"({"status":"UP","items":3,"errors":null})");
  json.headers = {{"Content-Type", "application/json"}};
  TestServer server(always(json));

  auto c = make_check(server.url("/api"));
  c.settings.expect.json = {{"/status", boost::json::value("UP")}, {"/items", boost::json::value(3)}};
  c.settings.expect.headers = {{"content-type", regex("^application/json")}};
  CHECK(run_check(c).success);

  c.settings.expect.json = {{"/items", boost::json::value("3")}};
  RunResult typed = run_check(c);
  CHECK(typed.reason == Reason::assertion);

  auto body = make_check(server.url("/api"));
  body.settings.expect.body_contains = {config::TemplateString::literal("Add to cart")};
  RunResult missing = run_check(body);
  CHECK(missing.reason == Reason::assertion);
  CHECK(missing.failed_due_to_regex);

  auto absent = make_check(server.url("/api"));
  absent.settings.expect.json_absent = {"/errors"};
  CHECK(run_check(absent).reason == Reason::assertion);
}

TEST_CASE("latency: slower than max_latency fails; slower than degraded_latency degrades") {
  TestResponse slow = ok();
  slow.delay = std::chrono::milliseconds(300);
  TestServer server(always(slow));

  auto c = make_check(server.url("/"));
  c.settings.expect.max_latency = std::chrono::milliseconds(100);
  RunResult failed = run_check(c);
  CHECK(failed.reason == Reason::latency);

  auto d = make_check(server.url("/"));
  d.settings.expect.degraded_latency = std::chrono::milliseconds(100);
  RunResult degraded = run_check(d);
  CHECK(degraded.success);
  CHECK(degraded.degraded);
}

TEST_CASE("retries: a run passes when a re-try inside it passes") {
  std::atomic<int> calls{0};
  TestServer server([&](const TestRequest&) {
    TestResponse r = ok();
    if (++calls <= 2) r.status = 500;
    return r;
  });
  auto c = make_check(server.url("/"));
  c.settings.retries = 2;
  RunResult r = run_check(c);
  CHECK(r.success);
  CHECK(server.requests() == 3);
  CHECK(r.steps.at(0).attempts == 3);

  calls = 0;
  c.settings.retries = 1;
  CHECK(run_check(c).reason == Reason::status);
}

TEST_CASE("the request carries method, headers, body, auth and the default User-Agent") {
  Recorder recorder;
  TestServer& server = recorder.server;
  const std::vector<TestRequest>& seen = recorder.seen;

  SUBCASE("form body") {
    auto c = make_check(server.url("/cart"));
    c.settings.method = "POST";
    c.settings.body_kind = config::BodyKind::form;
    c.settings.form = {{"csrf", config::TemplateString::literal("a&b=c d")}, {"sku", config::TemplateString::literal("42")}};
    CHECK(run_check(c).success);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].body == "csrf=a%26b%3Dc+d&sku=42");
    CHECK(seen[0].header("content-type") == "application/x-www-form-urlencoded");
    CHECK(seen[0].header("user-agent") == "synthprobe/test");
    CHECK(seen[0].header("expect").empty());
  }
  SUBCASE("json body with a custom method and basic auth") {
    auto c = make_check(server.url("/api"));
    c.settings.method = "PUT";
    c.settings.body_kind = config::BodyKind::json;
    c.settings.body = config::TemplateString::literal(R"({"a":1})");
    c.settings.basic_auth_user = "probe";
    c.settings.basic_auth_password = "s3cret";
    CHECK(run_check(c).success);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "PUT");
    CHECK(seen[0].body == R"({"a":1})");
    CHECK(seen[0].header("content-type") == "application/json");
    CHECK(seen[0].header("authorization") == "Basic cHJvYmU6czNjcmV0");
  }
  SUBCASE("bearer token and a DELETE without body") {
    auto c = make_check(server.url("/cart/1"));
    c.settings.method = "DELETE";
    c.settings.bearer_token = "tok";
    CHECK(run_check(c).success);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "DELETE");
    CHECK(seen[0].header("authorization") == "Bearer tok");
  }
}

TEST_CASE("headers from a loaded config go out in config order: constant ones from lines built at load") {
  Recorder recorder;
  TestServer& server = recorder.server;
  const std::vector<TestRequest>& seen = recorder.seen;
  const std::string toml = "[[site]]\nname = \"shop\"\n[[check]]\nname = \"api\"\nsite = \"shop\"\nmethod = \"POST\"\n"
                           "json = '{\"a\":1}'\nurl = \"" + server.url("/api") + "\"\n"
                           "headers = { X-First = \"1\", X-Request = \"r-${uuid}\", X-Empty = \"\", X-Last = \"last\" }\n";
  auto loaded = config::load_config_string(toml, "t.toml");
  REQUIRE(loaded.errors.empty());
  const config::RequestSettings& s = loaded.config->checks.at(0).steps.at(0).request;
  const std::string user_agent = "User-Agent: " + header_text(s, "User-Agent");
  CHECK(s.fixed_header_lines == std::string("X-First: 1\0X-Last: last\0", 24) + user_agent + '\0');
  const auto check = std::make_shared<const config::Check>(loaded.config->checks.at(0));
  for (const RunResult& r : run_once({check, check}, 1)) CHECK_MESSAGE(r.success, r.message);
  REQUIRE(seen.size() == 2);
  for (const TestRequest& req : seen) {
    std::vector<std::string> names;
    for (const auto& [name, value] : req.headers)
      if (name.starts_with("x-") || name == "user-agent" || name == "content-type") names.push_back(name);
    CHECK(names == std::vector<std::string>{"x-first", "x-request", "x-empty", "x-last", "user-agent", "content-type"});
    CHECK(req.header("x-first") == "1");
    CHECK(req.header("x-request").size() == 2 + 36);  // "r-" and a UUID
    CHECK(req.header("x-empty").empty());
    CHECK(req.header("x-last") == "last");
    CHECK(req.header("content-type") == "application/json");
    CHECK(req.header("expect").empty());
  }
  CHECK(seen[0].header("x-request") != seen[1].header("x-request"));
}

TEST_CASE("resolve pins a host name to an address; the Host header keeps the name") {
  std::string host;
  TestServer server([&](const TestRequest& req) {
    host = req.header("host");
    return ok();
  });
  const std::string port = std::to_string(server.port());
  auto c = make_check("http://shop.example.test:" + port + "/");
  c.settings.resolve = {"shop.example.test:" + port + ":127.0.0.1"};
  RunResult r = run_check(c);
  CHECK(r.success);
  CHECK(host == "shop.example.test:" + port);
}

TEST_CASE("a resolve pin applies to its own check only, not to other checks of the same host:port") {
  // The origin on 127.0.0.2 and the edge on 127.0.0.1 share one port, as an origin and its CDN share :443.
  TestServer edge(always(ok("edge")));
  std::optional<TestServer> origin;
  try {
    origin.emplace(always(ok("origin")), ListenOn{"127.0.0.2", edge.port()});
  } catch (const std::exception& e) {
    MESSAGE("skipped: cannot listen on 127.0.0.2: " << e.what());
    return;
  }
  const std::string port = std::to_string(edge.port());
  auto pinned = make_check("http://localhost:" + port + "/", "pinned");
  pinned.settings.resolve = {"localhost:" + port + ":127.0.0.2"};
  pinned.settings.expect.body_contains = {config::TemplateString::literal("origin")};
  auto plain = make_check("http://localhost:" + port + "/", "plain");
  plain.settings.ip_version = config::IpVersion::v4;  // localhost may also be ::1, where nothing listens
  plain.settings.expect.body_contains = {config::TemplateString::literal("edge")};
  for (const bool fresh : {true, false}) {
    CAPTURE(fresh);
    pinned.settings.fresh_connection = fresh;
    plain.settings.fresh_connection = fresh;
    // One after another on one CurlMulti, the pinned check first: its pin must not stay behind.
    const auto results = run_once({finish(pinned), finish(plain), finish(pinned), finish(plain)}, 1);
    for (const RunResult& r : results) CHECK_MESSAGE(r.success, r.name << ": " << r.message);
  }
  CHECK(origin->requests() == 4);
  CHECK(edge.requests() == 4);
}

TEST_CASE("a pooled handle carries no option from one run into the next (plain runs keep their options)") {
  Recorder recorder;
  const std::vector<TestRequest>& seen = recorder.seen;
  auto get = make_check(recorder.server.url("/get"), "get");
  auto post = make_check(recorder.server.url("/post"), "post");
  post.settings.method = "POST";
  post.settings.body_kind = config::BodyKind::form;
  post.settings.form = {{"sku", config::TemplateString::literal("42")}};
  post.settings.basic_auth_user = "probe";
  post.settings.basic_auth_password = "s3cret";
  auto head = make_check(recorder.server.url("/head"), "head");
  head.settings.method = "HEAD";
  auto bearer = make_check(recorder.server.url("/bearer"), "bearer");
  bearer.settings.bearer_token = "t0ken";
  std::string with_user = recorder.server.url("/user");
  with_user.insert(with_user.find("//") + 2, "u:pw@");
  auto in_url = make_check(with_user, "in-url");  // its handle is reset, not kept (keeps_options); a guard
  // either way: the runs after it must not send its credentials
  // One after another on one CurlMulti: each GET takes the handle the run before gave back.
  const auto results = run_once({finish(get), finish(post), finish(get), finish(head), finish(get), finish(bearer),
                                 finish(get), finish(in_url), finish(get)}, 1);
  for (const RunResult& r : results) CHECK_MESSAGE(r.success, r.name << ": " << r.message);
  REQUIRE(seen.size() == 9);
  CHECK(seen[7].header("authorization") == "Basic dTpwdw==");
  for (const std::size_t i : {0, 2, 4, 6, 8}) {
    CAPTURE(i);
    CHECK(seen[i].target == "/get");
    CHECK(seen[i].method == "GET");
    CHECK(seen[i].body.empty());
    CHECK(seen[i].header("authorization").empty());
    CHECK(seen[i].header("content-type").empty());
    CHECK(seen[i].header("content-length").empty());
  }
  CHECK(seen[1].method == "POST");
  CHECK(seen[1].body == "sku=42");
  CHECK(seen[1].header("authorization") == "Basic cHJvYmU6czNjcmV0");
  CHECK(seen[3].method == "HEAD");
  CHECK(seen[5].header("authorization") == "Bearer t0ken");
}

TEST_CASE("fresh_connection, either way, holds on a handle a run of the other kind gave back") {
  TestServer server(always(ok("either")));
  auto kept = make_check(server.url("/"), "kept");
  kept.settings.fresh_connection = false;
  auto fresh = make_check(server.url("/"), "fresh");
  const auto results =
      run_once({finish(kept), finish(kept), finish(fresh), finish(kept), finish(kept), finish(fresh)}, 1);
  REQUIRE(results.size() == 6);
  for (const RunResult& r : results) CHECK_MESSAGE(r.success, r.name << ": " << r.message);
  CHECK(results[0].phases.connect > 0.0);
  CHECK(results[1].phases.connect == 0.0);  // reused
  CHECK(results[2].phases.connect > 0.0);   // fresh, on a handle a keep-alive run gave back
  CHECK(results[3].phases.connect == 0.0);  // keep-alive on the handle the fresh run kept: not FRESH_CONNECT
  CHECK(results[4].phases.connect == 0.0);  // and the run before did not close it (not FORBID_REUSE)
  CHECK(results[5].phases.connect > 0.0);
}

TEST_CASE("plain runs one after another each get their own redirect and body-size settings") {
  TestServer server([](const TestRequest& req) {
    if (req.target != "/moved") return ok(std::string(100, 'x'));
    TestResponse r;
    r.status = 302;
    r.headers = {{"Location", "/final"}};
    return r;
  });
  auto follows = make_check(server.url("/moved"), "follows");
  auto judges = make_check(server.url("/moved"), "judges");
  judges.settings.follow_redirects = false;
  judges.settings.expect.status = {*config::StatusMatcher::from_class("3xx")};
  auto small = make_check(server.url("/final"), "small");
  small.settings.max_body_bytes = 10;
  auto large = make_check(server.url("/final"), "large");
  const auto results =
      run_once({finish(judges), finish(follows), finish(judges), finish(small), finish(large), finish(small)}, 1);
  REQUIRE(results.size() == 6);
  CHECK_MESSAGE(results[0].success, results[0].message);
  CHECK(results[0].status_code == 302);
  CHECK_MESSAGE(results[1].success, results[1].message);  // on the handle the 3xx-judging run kept
  CHECK(results[1].status_code == 200);
  CHECK(results[1].redirects == 1);
  CHECK(results[2].status_code == 302);
  CHECK_FALSE(results[3].success);  // 100 bytes over its 10
  CHECK_MESSAGE(results[4].success, results[4].message);
  CHECK(results[4].body_bytes == 100);
  CHECK_FALSE(results[5].success);
}

TEST_CASE("keep-alive runs in a row each get curl's retries on a connection the server dropped") {
  // Every second request is read and dropped unanswered: each run after the first finds its reused
  // connection dead and curl retries on a new one. curl counts those retries per handle and gives up after
  // five; only a reset clears the count, so a handle going from run to run unreset would fail the seventh.
  std::atomic<int> requests{0};
  TestServer server([&](const TestRequest&) {
    if (++requests % 2 == 0) {
      TestResponse dropped;
      dropped.action = Action::garbage;  // nothing, then close
      return dropped;
    }
    return ok("alive");
  });
  auto c = make_check(server.url("/"));
  c.settings.fresh_connection = false;
  const auto check = finish(c);
  const auto results = run_once({check, check, check, check, check, check, check, check}, 1);
  for (const RunResult& r : results) CHECK_MESSAGE(r.success, r.message);
  CHECK(requests.load() == 15);  // 1 + 7 runs of a dropped request and its retry
}

TEST_CASE("environment proxy variables are ignored") {
  TestServer server(always(ok()));
  const std::string bogus = "http://127.0.0.1:" + std::to_string(closed_port());
  setenv("http_proxy", bogus.c_str(), 1);
  setenv("HTTP_PROXY", bogus.c_str(), 1);
  setenv("ALL_PROXY", bogus.c_str(), 1);
  RunResult r = run_check(make_check(server.url("/")));
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("ALL_PROXY");
  CHECK(r.success);
}

TEST_CASE("a large body is read to its end (curl stops reading in chunks; the socket stays reported until drained)") {
  std::string big(3 * 1024 * 1024, 'x');
  big += "END-MARKER";
  TestServer server(always(ok(big)));
  auto c = make_check(server.url("/big"));
  c.settings.expect.body_contains = {config::TemplateString::literal("END-MARKER")};
  c.settings.timeout = std::chrono::seconds(10);
  RunResult r = run_check(c);
  CHECK_MESSAGE(r.success, r.message);
  CHECK(r.body_bytes == big.size());
  CHECK(r.duration_seconds < 5.0);
}

TEST_CASE("fresh_connection = false reuses the connection across runs without stalling") {
  TestServer server(always(ok("kept alive")));
  auto c = make_check(server.url("/"));
  c.settings.fresh_connection = false;
  auto check = finish(c);
  boost::asio::io_context io(1);
  std::vector<RunResult> results;
  {
    CurlMulti multi(io);
    CheckRunner runner(multi);
    std::function<void()> next = [&] {
      runner.run(check, [&](RunResult&& r) {
        results.push_back(std::move(r));
        if (results.size() < 3) next();
      });
    };
    next();
    io.run();
  }
  REQUIRE(results.size() == 3);
  for (const auto& r : results) {
    CHECK_MESSAGE(r.success, r.message);
    CHECK(r.duration_seconds < 2.0);
  }
  // The second and third runs reused the first run's connection: no new TCP connect.
  CHECK(results[1].phases.connect == 0.0);
}

TEST_CASE("a header carrying a secret never follows a redirect to another origin unless the check opts in") {
  std::mutex mu;
  std::vector<TestRequest> elsewhere_seen;
  TestServer elsewhere([&](const TestRequest& req) {
    std::lock_guard lock(mu);
    elsewhere_seen.push_back(req);
    return ok("elsewhere");
  });
  std::vector<TestRequest> origin_seen;
  TestServer origin([&](const TestRequest& req) {
    std::lock_guard lock(mu);
    origin_seen.push_back(req);
    TestResponse r;
    r.status = 302;
    if (req.target == "/same") r.headers = {{"Location", "/final"}};
    else if (req.target == "/away") r.headers = {{"Location", elsewhere.url("/landing")}};
    else return ok("final");
    return r;
  });
  // Secrets come from the config, as users write them.
  const auto load = [&](const std::string& path, const std::string& headers, const std::string& extra = "") {
    const std::string toml = "[[site]]\nname = \"shop\"\n[[check]]\nname = \"api\"\nsite = \"shop\"\nurl = \"" +
                             origin.url(path) + "\"\nheaders = " + headers + "\n" + extra;
    auto loaded = config::load_config_string(toml, "t.toml", [](const char* name) -> const char* {
      return std::string_view(name) == "API_KEY" ? "key-123" : nullptr;
    });
    REQUIRE(loaded.errors.empty());
    REQUIRE(loaded.config.has_value());
    return std::make_shared<const config::Check>(loaded.config->checks.at(0));
  };
  const std::string secret_headers = R"({ X-Api-Key = "${env:API_KEY}", Authorization = "Bearer ${env:API_KEY}" })";

  SUBCASE("refused, naming the target, the header and the setting; the other origin never sees a request") {
    const RunResult r = run_once({load("/away", secret_headers)}, 1).at(0);
    CHECK_FALSE(r.success);
    CHECK(r.reason == Reason::protocol);
    CHECK(r.message == "redirect to " + elsewhere.url("/landing") +
                           " would carry a secret header (X-Api-Key); set follow_redirects_with_secrets = true to allow");
    CHECK(elsewhere_seen.empty());
  }
  SUBCASE("a redirect on the same origin keeps the header") {
    const RunResult r = run_once({load("/same", secret_headers)}, 1).at(0);
    CHECK_MESSAGE(r.success, r.message);
    REQUIRE(origin_seen.size() == 2);
    CHECK(origin_seen[1].header("x-api-key") == "key-123");
  }
  SUBCASE("follow_redirects_with_secrets = true follows, as the user asked") {
    const RunResult r = run_once({load("/away", secret_headers, "follow_redirects_with_secrets = true")}, 1).at(0);
    CHECK_MESSAGE(r.success, r.message);
    REQUIRE(elsewhere_seen.size() == 1);
    CHECK(elsewhere_seen[0].header("x-api-key") == "key-123");
    CHECK(elsewhere_seen[0].header("authorization").empty());  // curl drops that one itself
  }
  SUBCASE("headers without secrets, and Authorization (which curl drops), follow") {
    const RunResult r =
        run_once({load("/away", R"({ X-Plain = "v", Authorization = "Bearer ${env:API_KEY}" })")}, 1).at(0);
    CHECK_MESSAGE(r.success, r.message);
    REQUIRE(elsewhere_seen.size() == 1);
    CHECK(elsewhere_seen[0].header("x-plain") == "v");
    CHECK(elsewhere_seen[0].header("authorization").empty());
  }
}

namespace {

// Runs `chains` sequences of runs on one CheckRunner through the allocation-free API: each finished run
// starts the next of its chain, until `per_chain` runs of it have finished. pick(n) chooses the check of
// the n-th run started.
struct Chains final : RunReceiver {
  CheckRunner& runner;
  std::function<std::shared_ptr<const config::Check>(std::size_t)> pick;
  std::size_t per_chain;
  std::size_t started = 0;
  std::vector<std::size_t> done_per_chain;
  std::vector<std::pair<std::size_t, RunResult>> results;  // (run number, result)

  Chains(CheckRunner& r, std::size_t chains, std::size_t per,
         std::function<std::shared_ptr<const config::Check>(std::size_t)> p)
      : runner(r), pick(std::move(p)), per_chain(per), done_per_chain(chains, 0) {
    for (std::size_t c = 0; c < chains; ++c) start(static_cast<std::uint32_t>(c));
  }
  void start(std::uint32_t chain) {
    const std::size_t n = started++;
    runner.run(pick(n), *this, chain, n);
  }
  void on_run_done(std::uint32_t chain, std::uint64_t run, RunResult&& r) override {
    results.emplace_back(static_cast<std::size_t>(run), std::move(r));
    if (++done_per_chain[chain] < per_chain) start(chain);
  }
};

}  // namespace

TEST_CASE("a pooled run gives the same results run after run, whatever ran on it before") {
  std::mutex mu;
  std::vector<TestRequest> seen;
  TestServer server([&](const TestRequest& req) {
    std::lock_guard lock(mu);
    seen.push_back(req);
    TestResponse r = ok(req.target == "/a" ? "alpha page" : "beta");
    if (req.target == "/b") r.status = 503;
    return r;
  });
  // a: a POST with a JSON body, a header of its own and a body assertion; passes.
  auto a = make_check(server.url("/a"), "check-a");
  a.settings.method = "POST";
  a.settings.body_kind = config::BodyKind::json;
  a.settings.body = config::TemplateString::literal(R"({"x":1})");
  a.settings.headers.push_back({"X-Only-A", config::TemplateString::literal("1")});
  a.settings.expect.body_contains = {config::TemplateString::literal("alpha")};
  // b: a GET by a pinned name with a bearer token; fails on its 503.
  const std::string port = std::to_string(server.port());
  auto b = make_check("http://pinned.example.test:" + port + "/b", "check-b");
  b.settings.resolve = {"pinned.example.test:" + port + ":127.0.0.1"};
  b.settings.bearer_token = "tok";
  const auto check_a = finish(a);
  const auto check_b = finish(b);

  constexpr std::size_t kRuns = 40;
  boost::asio::io_context io(1);
  std::vector<std::pair<std::size_t, RunResult>> results;
  std::size_t idle_after = 0;
  std::size_t done_runs = 0;
  {
    CurlMulti multi(io);
    CheckRunner runner(multi);
    // One chain: every run after the first is on the object the previous one gave back.
    Chains chains(runner, 1, kRuns, [&](std::size_t n) { return n % 2 == 0 ? check_a : check_b; });
    io.run();
    results = std::move(chains.results);
    idle_after = runner.idle_runs();
    CHECK(runner.in_flight() == 0);
    // The std::function API shares the pool.
    runner.run(check_a, [&](RunResult&& r) {
      CHECK_MESSAGE(r.success, r.message);
      ++done_runs;
    });
    io.restart();
    io.run();
    CHECK(runner.idle_runs() == 1);
  }
  CHECK(done_runs == 1);
  CHECK(idle_after == 1);
  REQUIRE(results.size() == kRuns);
  const RunResult* first_b = nullptr;
  for (const auto& [n, r] : results) {
    CAPTURE(n);
    if (n % 2 == 0) {
      CHECK_MESSAGE(r.success, r.message);
      CHECK(r.name == "check-a");
      CHECK(r.status_code == 200);
      CHECK(r.body_bytes == 10);
      CHECK(r.message.empty());
      CHECK_FALSE(r.reason.has_value());
      REQUIRE(r.steps.size() == 1);
      CHECK(r.steps[0].name == "check-a");
    } else {
      CHECK_FALSE(r.success);
      CHECK(r.name == "check-b");
      CHECK(r.status_code == 503);
      CHECK(r.reason == Reason::status);
      if (!first_b) first_b = &r;
      CHECK(r.message == first_b->message);
      REQUIRE(r.steps.size() == 1);
      CHECK(r.steps[0].name == "check-b");
    }
  }
  std::lock_guard lock(mu);
  REQUIRE(seen.size() == kRuns + 1);
  for (const TestRequest& req : seen) {
    CAPTURE(req.target);
    if (req.target == "/a") {
      CHECK(req.method == "POST");
      CHECK(req.body == R"({"x":1})");
      CHECK(req.header("x-only-a") == "1");
      CHECK(req.header("content-type") == "application/json");
      CHECK(req.header("authorization").empty());
    } else {
      CHECK(req.method == "GET");
      CHECK(req.body.empty());
      CHECK(req.header("x-only-a").empty());
      CHECK(req.header("content-type").empty());
      CHECK(req.header("authorization") == "Bearer tok");
      CHECK(req.header("host") == "pinned.example.test:" + port);
    }
    CHECK(req.header("user-agent") == "synthprobe/test");
    CHECK(req.header("expect").empty());
  }
}

TEST_CASE("sockets closed, reopened under the same number and parked by curl never stall a run") {
  // A third of the answers keep the connection, a third promise to keep it and close it (curl parks a
  // dead socket, which reads EOF while no transfer wants it), a third say Connection: close (curl closes
  // the socket and the next one usually gets the same descriptor number).
  std::atomic<std::size_t> n{0};
  TestServer server([&](const TestRequest&) {
    const std::size_t k = n++;
    if (k % 3 == 0) return ok("ok");
    TestResponse r;
    r.action = Action::garbage;
    r.body = std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: ") +
             (k % 3 == 1 ? "keep-alive" : "close") + "\r\n\r\nok";
    return r;
  });
  auto c = make_check(server.url("/"));
  c.settings.fresh_connection = false;
  c.settings.expect.body_contains = {config::TemplateString::literal("ok")};
  const auto check = finish(c);

  constexpr std::size_t kChains = 4, kPerChain = 60;
  boost::asio::io_context io(1);
  std::vector<std::pair<std::size_t, RunResult>> results;
  {
    CurlMulti multi(io);
    CheckRunner runner(multi);
    Chains chains(runner, kChains, kPerChain, [&](std::size_t) { return check; });
    io.run();
    results = std::move(chains.results);
    CHECK(runner.idle_runs() == kChains);
  }
  REQUIRE(results.size() == kChains * kPerChain);
  for (const auto& [k, r] : results) {
    CAPTURE(k);
    CHECK_MESSAGE(r.success, r.message);
    CHECK(r.duration_seconds < 2.0);
  }
}

TEST_CASE("runs in flight when the engine goes away are abandoned, their pooled objects freed") {
  TestResponse hang;
  hang.action = Action::hang;
  TestServer server(always(hang));
  auto quick_server = std::make_unique<TestServer>(always(ok()));
  auto slow = finish(make_check(server.url("/")));
  auto fast = finish(make_check(quick_server->url("/")));
  boost::asio::io_context io(1);
  std::size_t reported = 0;
  {
    CurlMulti multi(io);
    CheckRunner runner(multi);
    // Two finish and go back to the pool; three hang when the runner and the multi are destroyed.
    for (int i = 0; i < 2; ++i) runner.run(fast, [&](RunResult&&) { ++reported; });
    while (reported < 2) io.run_one();
    for (int i = 0; i < 3; ++i) runner.run(slow, [&](RunResult&&) { ++reported; });
    io.run_for(std::chrono::milliseconds(100));
    CHECK(runner.in_flight() == 3);
    CHECK(runner.idle_runs() == 0);  // the hanging runs took the pooled objects and one more
  }
  CHECK(reported == 2);  // the abandoned ones report nothing (ASan: nothing leaks, nothing is used after)
}
